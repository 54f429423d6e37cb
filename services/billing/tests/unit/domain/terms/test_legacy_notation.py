"""Legacy billing-term notation (SPEC §2.2 rule 20, §5 rows 4 and 13, §6.2)."""

from __future__ import annotations

from datetime import date

import pytest

from federa.billing.domain.errors import InvalidBillingTerm
from federa.billing.domain.terms import (
    QUARTER,
    RUNNING_YEAR,
    YEAR,
    BillingTerm,
    parse_legacy_term,
    period_end,
)


@pytest.mark.parametrize(
    ("notation", "term"),
    [
        ("1Å", YEAR),
        ("1Å-1D", YEAR),  # NAV's formula for the last day: one year long
        ("15M", BillingTerm(months=15)),  # SPEC §2.2 rule 20: "15M: 15 months"
        ("3M", QUARTER),
        ("1K", QUARTER),
        ("2K+1M", BillingTerm(months=7)),
        ("6M", BillingTerm(months=6)),
        ("LÅ", RUNNING_YEAR),
        ("lå", RUNNING_YEAR),
        (" 1å-1d ", YEAR),
        ("1M+14D", BillingTerm(months=1, days=15)),
        ("30D", BillingTerm(days=31)),  # day formulas give the last day too
    ],
)
def test_legacy_notation_reads_as_a_structured_term(notation: str, term: BillingTerm) -> None:
    assert parse_legacy_term(notation) == term


@pytest.mark.parametrize(
    ("notation", "start", "last_day"),
    [
        # SPEC §5 row 4 (illustrative dates): 1Å-1D from 2024-03-15 ends 2025-03-14.
        ("1Å-1D", date(2024, 3, 15), date(2025, 3, 14)),
        # SPEC §5 row 4: LÅ from 2024-03-15 runs to 2024-12-31.
        ("LÅ", date(2024, 3, 15), date(2024, 12, 31)),
        ("15M", date(2024, 3, 1), date(2025, 5, 31)),
        ("1K", date(2024, 11, 1), date(2025, 1, 31)),
    ],
)
def test_a_legacy_term_gives_the_periods_last_day(
    notation: str, start: date, last_day: date
) -> None:
    assert period_end(start, parse_legacy_term(notation)) == last_day


def test_six_months_from_enrolment_reaches_the_qualifying_date() -> None:
    # SPEC §5 row 13 (illustrative): `6M` from 2024-01-15 → qualifying date 2024-07-15, the
    # first day after a six-month period.
    six_months = parse_legacy_term("6M")
    assert period_end(date(2024, 1, 15), six_months) == date(2024, 7, 14)


@pytest.mark.parametrize(
    ("notation", "complaint"),
    [
        ("", "empty"),
        ("X", "not legacy notation"),
        ("1Y", "not legacy notation"),
        ("1Å1M", "not legacy notation"),
        ("1Å-1Å", "names Å twice"),
        ("-1Å", "negative"),
        ("-1D", "at least one day"),
        ("LM", "only the running year"),
        ("1M-28D", None),
        ("1M-29D", "could be empty in February"),
        ("99Å", "implausibly long"),
    ],
)
def test_bad_legacy_notation_is_refused_with_a_clear_message(
    notation: str, complaint: str | None
) -> None:
    if complaint is None:
        assert parse_legacy_term(notation) == BillingTerm(months=1, days=-27)
        return
    with pytest.raises(InvalidBillingTerm, match=complaint):
        parse_legacy_term(notation)


def test_terms_describe_themselves_in_words() -> None:
    assert YEAR.describe() == "1 year"
    assert BillingTerm(months=15).describe() == "15 months"
    assert BillingTerm(months=1, days=15).describe() == "1 month 15 days"
    assert RUNNING_YEAR.describe() == "running year (to 31 December)"


def test_a_running_year_has_no_offsets() -> None:
    with pytest.raises(InvalidBillingTerm):
        BillingTerm(years=1, running_year=True)
