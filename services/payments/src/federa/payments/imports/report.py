"""One report per payment file: counts by outcome and a line for every entry that needs a
look (SPEC §2.3 rule 21: "a receipt is produced")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from federa.payments.ledger.posting import Posted

COUNTS = (
    "matched",
    "partly_matched",
    "unmatched",
    "exceptions",
    "gifts",
    "writeoffs",
    "duplicates",
    "applied_amount",
    "gift_amount",
    "writeoff_amount",
    "exception_amount",
)
# Lines kept with a file: a file with more problems than this is the wrong file.
REPORT_LIMIT = 1000


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def outcome(posted: Posted) -> str:
    """matched (applied, nothing waits), partly_matched (applied, a rest waits), unmatched
    (nothing applied), duplicate."""
    if posted.status == "duplicate":
        return "duplicate"
    application = posted.application
    if application is None or not application.allocations:
        return "unmatched"
    return "partly_matched" if application.exception else "matched"


def add_counts(counts: dict[str, int], posted: Iterable[Posted]) -> dict[str, int]:
    for p in posted:
        kind = outcome(p)
        counts["duplicates" if kind == "duplicate" else kind] += 1
        application = p.application
        if application is None:
            continue
        counts["exceptions"] += 1 if application.exception else 0
        counts["gifts"] += 1 if application.gift else 0
        counts["writeoffs"] += 1 if application.written_off else 0
        counts["applied_amount"] += application.applied
        counts["gift_amount"] += application.gift
        counts["writeoff_amount"] += application.written_off
        counts["exception_amount"] += application.exception
    return counts


def line(posted: Posted) -> dict[str, Any]:
    application = posted.application
    return {
        "entry": posted.entry_no,
        "amount": posted.amount,
        "outcome": outcome(posted),
        "status": posted.status,
        "matched_by": posted.matched_by,
        "payer_account_id": str(posted.payer_account_id) if posted.payer_account_id else None,
        "payment_id": str(posted.payment_id) if posted.payment_id else None,
        "exception_id": str(posted.exception_id) if posted.exception_id else None,
        "reason": posted.reason,
        "allocations": [
            {"document_id": str(a.document_id), "amount": a.amount, "written_off": a.written_off}
            for a in (application.allocations if application else ())
        ],
        "gift": application.gift if application else 0,
        "exception": application.exception if application else 0,
    }


def needs_a_look(posted: Posted) -> bool:
    return outcome(posted) != "matched" or bool(posted.application and posted.application.gift)
