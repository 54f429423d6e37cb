"""The catalogue's small value objects as JSON, the way they are stored on their row and sent in
events: billing terms as structured period expressions (SPEC §6.2), period-start rules, age
bands and lifecycle codes."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from federa.billing.domain.age_bands import AgeBand
from federa.billing.domain.calculations import PayrollTiers, PriceCalculation, ValueBands
from federa.billing.domain.catalogue import LifecycleCodes
from federa.billing.domain.start_dates import PeriodStartRule
from federa.billing.domain.terms import BillingTerm

Json = dict[str, Any]

# How a price code is priced (SPEC §2.2 rules 16-18), as stored and published.
FIXED, VALUE_BANDS, PAYROLL = "fixed", "value_bands", "payroll"


def calculation_kind(calculation: PriceCalculation) -> str:
    if isinstance(calculation, ValueBands):
        return VALUE_BANDS
    if isinstance(calculation, PayrollTiers):
        return PAYROLL
    return FIXED


def term_to_json(term: BillingTerm) -> Json:
    if term.running_year:
        return {"until_year_end": True}
    return {"years": term.years, "months": term.months, "days": term.days}


def term_from_json(value: Json) -> BillingTerm:
    if value.get("until_year_end"):
        return BillingTerm(running_year=True)
    return BillingTerm(
        years=int(value.get("years", 0)),
        months=int(value.get("months", 0)),
        days=int(value.get("days", 0)),
    )


def start_rules_to_json(rules: tuple[PeriodStartRule, ...]) -> list[Json]:
    return [asdict(rule) for rule in rules]


def start_rules_from_json(values: list[Json]) -> tuple[PeriodStartRule, ...]:
    return tuple(PeriodStartRule(**value) for value in values)


def age_bands_to_json(bands: tuple[AgeBand, ...]) -> list[Json]:
    return [asdict(band) for band in bands]


def age_bands_from_json(values: list[Json]) -> tuple[AgeBand, ...]:
    return tuple(AgeBand(**value) for value in values)


def lifecycle_codes_to_json(codes: LifecycleCodes) -> Json:
    return asdict(codes)


def lifecycle_codes_from_json(value: Json) -> LifecycleCodes:
    # Only the codes a product overrides need to be stored; the rest are the standard ones.
    known = {f.name for f in fields(LifecycleCodes)}
    return LifecycleCodes(**{k: v for k, v in value.items() if k in known})
