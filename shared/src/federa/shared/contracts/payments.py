"""Events published by the payments service.

Only what other services already consume is declared here; payments adds its other events
(and optional fields to these) as it grows. Fields beyond the ids are optional so that payments
can extend them compatibly within a version.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from federa.shared.contracts.registry import EventData, event


class ArrearsStopExecutedV1(EventData):
    """One member's part of an executed arrears-stop batch (SPEC §2.3 rule 16, flow F5).

    The posting options of the batch are repeated per member: each option is None (or False)
    when it was not selected.
    """

    arrears_stop_id: UUID
    member_id: UUID
    # The subscriptions stopped for this member; billing stops them and credits the charges.
    subscription_ids: list[UUID] = Field(default_factory=list)
    stop_reason_code: str | None = None
    # "change status" + status.
    member_status_to_set: str | None = None
    # "change leaving reason" + reason.
    leaving_reason: str | None = None
    # "change category" + category.
    member_category_to_set: str | None = None
    leaving_date: date | None = None
    stop_active_offices: bool = False
    stop_active_affiliations: bool = False


ARREARS_STOP_EXECUTED = event(
    "payments",
    "arrears_stop",
    "executed",
    1,
    ArrearsStopExecutedV1,
    "An arrears stop was executed for a member: billing stops the subscriptions, members "
    "applies the selected status, leaving reason, category and leaving date and ends offices "
    "and affiliations when asked.",
)
