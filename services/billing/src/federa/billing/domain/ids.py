"""Typed identifiers, so two UUIDs can never be swapped silently (style §3 example 12)."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

MemberId = NewType("MemberId", UUID)
PayerId = NewType("PayerId", UUID)
OrganisationId = NewType("OrganisationId", UUID)
