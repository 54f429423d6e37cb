"""The event log's words and money formatting."""

from __future__ import annotations

import uuid

import pytest

from federa.statistics.domain.money import format_money
from federa.statistics.domain.wording import Names, describe, refs_of

PAYER, MEMBER = uuid.uuid4(), uuid.uuid4()
NAMES = Names({MEMBER: "Anna Berg"}, {PAYER: "Anna Berg"}, {})


@pytest.mark.parametrize(
    ("event_type", "data", "text"),
    [
        (
            "federa.billing.document.issued.v1",
            {
                "kind": "invoice",
                "document_no": "10042",
                "payer_account_id": str(PAYER),
                "total_amount": 45000,
                "currency": "DKK",
            },
            "Invoice 10042 to Anna Berg, 450.00 DKK, issued",
        ),
        (
            "federa.payments.payment.received.v1",
            {"amount": 123456789, "currency": "DKK", "payer_account_id": None},
            "Payment of 1,234,567.89 DKK from an unidentified payer received",
        ),
        (
            "federa.members.member.left.v1",
            {"member_id": str(MEMBER), "leaving_reason": "moved"},
            "Anna Berg left (moved)",
        ),
        (
            "federa.billing.subscription.stopped.v1",
            {
                "member_id": str(MEMBER),
                "subscription_no": 7,
                "product_code": "MEMB",
                "stop_date": "2024-10-01",
                "reason_code": "MOVED",
            },
            "Subscription 7 (MEMB) for Anna Berg stopped from 2024-10-01 (MOVED)",
        ),
        (
            "federa.payments.refund.issued.v1",
            {"amount": 5000, "currency": "SEK", "payer_account_id": str(PAYER)},
            "Refund of 50.00 SEK to Anna Berg issued",
        ),
        (
            "federa.someone.thing.happened.v1",
            {"amount": 100, "currency": "EUR"},
            "Someone: thing happened, 1.00 EUR",
        ),
    ],
)
def test_events_in_words(event_type: str, data: dict[str, object], text: str) -> None:
    assert describe(event_type, data, NAMES) == text


def test_refs_and_outcomes() -> None:
    refs = refs_of(
        "federa.payments.receivable.closed.v1",
        {"member_id": str(MEMBER), "payer_account_id": str(PAYER), "how": "paid"},
    )
    assert (refs.member_id, refs.payer_account_id, refs.outcome) == (MEMBER, PAYER, "closed:paid")


@pytest.mark.parametrize(
    ("minor", "text"), [(0, "0.00"), (-5, "-0.05"), (100000000, "1,000,000.00")]
)
def test_money(minor: int, text: str) -> None:
    assert format_money(minor) == text
