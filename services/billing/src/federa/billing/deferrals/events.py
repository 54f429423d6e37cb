"""`billing.deferral.recognised`: one per fiscal period a recognition booked anything in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from federa.billing.deferrals.setup import DeferralSetup
from federa.billing.domain.deferral import FiscalPeriod
from federa.shared.contracts.billing import (
    DEFERRAL_RECOGNISED,
    DeferralEntryV1,
    DeferralRecognisedV1,
)
from federa.shared.envelope import CloudEvent, new_event


def recognised_events(
    recognition: Mapping[str, Any], journal: Sequence[Mapping[str, Any]], setup: DeferralSetup
) -> list[CloudEvent]:
    """`journal` in fiscal-period order. The subject is the recognition; its events are
    versions 1, 2, ... in period order, so the ledger applies them in that order."""
    events = []
    through = FiscalPeriod.of(recognition["through_period"])
    for version, (first_day, rows) in enumerate(
        groupby(journal, key=lambda r: r["fiscal_period"]), start=1
    ):
        period = FiscalPeriod.of(first_day)
        entries = [
            DeferralEntryV1(
                deferral_account=r["deferral_account"],
                revenue_account=r["revenue_account"],
                dimension_1=r["dimension_1"],
                dimension_2=r["dimension_2"],
                amount=r["amount"],
                lines=r["lines"],
            )
            for r in rows
        ]
        events.append(
            new_event(
                DEFERRAL_RECOGNISED,
                DeferralRecognisedV1(
                    recognition_id=recognition["id"],
                    fiscal_period=str(period),
                    fiscal_year_start=setup.fiscal_year.start_of(period),
                    period_no=setup.fiscal_year.period_no(period),
                    period_from=period.first_day,
                    period_to=period.last_day,
                    posting_date=period.last_day,
                    through_period=str(through),
                    currency=recognition["currency"],
                    journal_type=setup.journal_type,
                    journal_name=setup.journal_name,
                    amount=sum(e.amount for e in entries),
                    entries=entries,
                ),
                subject=str(recognition["id"]),
                tenant=recognition["tenant"],
                aggregate_version=version,
            )
        )
    return events
