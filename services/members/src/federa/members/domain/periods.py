"""Dated links (affiliations, offices): active is derived from the dates, never stored."""

from __future__ import annotations

from datetime import date


def is_active(from_date: date, to_date: date | None, on: date) -> bool:
    """Active from `from_date` through `to_date` inclusive (SPEC §2.1 rule 8)."""
    return from_date <= on and (to_date is None or on <= to_date)


def check_period(from_date: date, to_date: date | None) -> None:
    if to_date is not None and to_date < from_date:
        raise ValueError("ends before it starts")
