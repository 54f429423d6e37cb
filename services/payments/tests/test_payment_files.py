"""camt.054/053 files against open items fed by billing's events: preview, import, report,
idempotency and refusal of bad files."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from federa.payments.sources.samples import SamplePayment, camt
from federa.shared.contracts.payments import (
    EXCEPTION_RAISED,
    GIFT_RECORDED,
    PAYMENT_APPLIED,
    PAYMENT_FILE_IMPORTED,
    PAYMENT_UNIDENTIFIED,
)
from federa.shared.payment_reference import ReferenceSeries, payment_reference
from federa.shared.testing.harness import eventually

from .conftest import Doc, Payments


async def three_invoices(api: Payments) -> tuple[list[Doc], list[SamplePayment]]:
    """Three payers with one invoice each, and a file that pays the first exactly, the
    second with 50.00 too much, and one payment nobody can be found for."""
    docs = []
    for amount in (45000, 30000, 20000):
        payer = await api.payer()
        docs += await api.invoices(payer, amount)
    unknown = payment_reference(ReferenceSeries.INVOICE, 9_999_999)
    file = [
        SamplePayment(45000, reference=docs[0].reference, bank_reference=f"{api.tenant}-1"),
        SamplePayment(35000, reference=docs[1].reference, bank_reference=f"{api.tenant}-2"),
        SamplePayment(12345, reference=unknown, bank_reference=f"{api.tenant}-3"),
    ]
    return docs, file


async def test_a_camt054_file_is_matched_by_reference_applied_and_reported(api: Payments) -> None:
    docs, file = await three_invoices(api)
    done = await api.import_file(camt(file, message_id=api.tenant))

    assert (done["entries"], done["processed"], done["amount"]) == (3, 3, 92345)
    counts = done["counts"]
    assert {
        k: counts[k] for k in ("matched", "unmatched", "exceptions", "gifts", "duplicates")
    } == {
        "matched": 2,
        "unmatched": 1,
        "exceptions": 1,
        "gifts": 1,
        "duplicates": 0,
    }
    assert (counts["applied_amount"], counts["gift_amount"], counts["exception_amount"]) == (
        75000,
        5000,
        12345,
    )
    assert await api.remaining(*docs) == [0, 0, 20000]

    applied = [e["data"] for e in await api.outbox(PAYMENT_APPLIED.type)]
    assert sorted((a["allocations"][0]["amount"], a["gift_amount"]) for a in applied) == [
        (30000, 5000),
        (45000, 0),
    ]
    assert [e["data"]["amount"] for e in await api.outbox(GIFT_RECORDED.type)] == [5000]
    [raised] = await api.outbox(EXCEPTION_RAISED.type)
    assert (raised["data"]["reason"], raised["data"]["amount"]) == ("unknown_payer", 12345)
    assert len(await api.outbox(PAYMENT_UNIDENTIFIED.type)) == 1
    [imported] = await api.outbox(PAYMENT_FILE_IMPORTED.type)
    assert (imported["data"]["matched"], imported["data"]["unmatched"]) == (2, 1)
    assert imported["data"]["bank_entries"] == [
        {"value_date": "2026-03-02", "payments": 3, "amount": 92345, "fees": 0}
    ]

    report = await api.call("GET", f"/v1/payment-files/{done['payment_file_id']}/report")
    assert sorted((line["entry"], line["outcome"]) for line in report["report"]) == [
        (2, "matched"),  # kept in the report: it left a gift
        (3, "unmatched"),
    ]
    for payment in (await api.call("GET", "/v1/payments"))["items"]:
        versions = await api.versions(payment["payment_id"])
        assert versions == list(range(1, len(versions) + 1))
    assert await api.versions(docs[1].document_id) == [1]  # receivable.closed
    assert (await api.reconciliation())["balanced"] is True


async def test_preview_shows_what_an_import_would_do_and_stores_nothing(api: Payments) -> None:
    docs, file = await three_invoices(api)
    raw = camt(file, message_id=api.tenant)
    preview = await api.call(
        "POST", "/v1/payment-files:preview", params={"format": "camt054"}, content=raw
    )
    assert preview["counts"]["matched"] == 2
    assert [line["outcome"] for line in preview["lines"]] == ["matched", "matched", "unmatched"]
    assert await api.remaining(*docs) == [45000, 30000, 20000]
    assert (await api.call("GET", "/v1/payments"))["total"] == 0
    assert await api.outbox(PAYMENT_APPLIED.type) == []

    done = await api.import_file(raw)
    assert done["counts"] == preview["counts"] | {"fees": 0}


async def test_the_same_file_twice_applies_nothing_the_second_time(api: Payments) -> None:
    docs, file = await three_invoices(api)
    raw = camt(file, message_id=api.tenant)
    first = await api.import_file(raw)
    second = await api.import_file(raw)
    assert second["payment_file_id"] == first["payment_file_id"]
    # Another file that repeats an entry by its bank reference: that entry is a duplicate.
    again = camt(
        [
            file[0],
            SamplePayment(20000, reference=docs[2].reference, bank_reference=f"{api.tenant}-9"),
        ],
        message_id=f"{api.tenant}-b",
    )
    third = await api.import_file(again)
    assert (third["counts"]["duplicates"], third["counts"]["matched"]) == (1, 1)
    assert await api.remaining(*docs) == [0, 0, 0]
    assert len(await api.outbox(PAYMENT_APPLIED.type)) == 3
    assert (await api.call("GET", "/v1/payments"))["total"] == 4
    assert (await api.reconciliation())["balanced"] is True


async def test_an_idempotency_key_names_one_file(api: Payments) -> None:
    _, file = await three_invoices(api)
    await api.import_file(camt(file, message_id=api.tenant), **{"Idempotency-Key": "k1"})
    response = await api.service.client.post(
        "/v1/payment-files",
        params={"format": "camt054"},
        content=camt(file[:1], message_id=f"{api.tenant}-other"),
        headers={**api.headers(), "Idempotency-Key": "k1"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def _rejected(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["entry"], e["field"]) for e in body["errors"]]


BAD_FILES = [
    pytest.param(
        lambda ok, bad_ref: camt(ok, control_sum=1),
        [(None, "TxsSummry/TtlNtries/Sum")],
        id="wrong-control-sum",
    ),
    pytest.param(
        lambda ok, bad_ref: camt(ok, control_count=5),
        [(None, "TxsSummry/TtlNtries/NbOfNtries")],
        id="wrong-entry-count",
    ),
    pytest.param(
        lambda ok, bad_ref: camt(ok).replace(b'Ccy="DKK"', b'Ccy="XXQ"', 1),
        [(1, "Ntry/Amt/@Ccy")],
        id="unknown-currency",
    ),
    pytest.param(
        lambda ok, bad_ref: camt(ok).replace(
            b'<Amt Ccy="DKK">450.00', b'<Amt Ccy="DKK">-450.00', 1
        ),
        [(1, "Ntry/Amt")],
        id="negative-amount",
    ),
    pytest.param(
        lambda ok, bad_ref: camt([ok[0], SamplePayment(100, reference=bad_ref)], control_sum=45100),
        [(2, "RmtInf/Strd/CdtrRefInf/Ref")],
        id="bad-check-digit",
    ),
    pytest.param(
        lambda ok, bad_ref: camt(ok)[:-200],
        [(None, None)],
        id="truncated",
    ),
]


@pytest.mark.parametrize(("make", "expected"), BAD_FILES)
async def test_a_bad_file_is_refused_naming_entry_and_field_and_nothing_is_applied(
    api: Payments, make: Any, expected: list[tuple[Any, ...]]
) -> None:
    payer = await api.payer()
    [doc] = await api.invoices(payer, 45000)
    ok = [SamplePayment(45000, reference=doc.reference, bank_reference=f"{api.tenant}-1")]
    good = doc.reference
    bad_ref = good[:-1] + str((int(good[-1]) + 1) % 10)
    raw = make(ok, bad_ref)
    response = await api.service.client.post(
        "/v1/payment-files", params={"format": "camt054"}, content=raw, headers=api.headers()
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"].endswith("payment-file-rejected")
    assert _rejected(body) == expected
    assert all(e["line"] for e in body["errors"] if e["entry"])
    assert (await api.call("GET", "/v1/payment-files"))["total"] == 0
    assert await api.remaining(doc) == [45000]

    # The fixed file imports.
    fixed = await api.import_file(camt(ok, message_id=api.tenant))
    assert fixed["counts"]["matched"] == 1
    assert await api.remaining(doc) == [0]


async def test_a_camt053_statement_imports_its_credits_and_skips_its_debits(api: Payments) -> None:
    payer = await api.payer()
    [doc] = await api.invoices(payer, 45000)
    raw = camt(
        [
            SamplePayment(45000, reference=doc.reference, bank_reference=f"{api.tenant}-1"),
            SamplePayment(999, bank_reference=f"{api.tenant}-2"),
        ],
        statement=True,
    ).replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>",
        b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>",
        1,
    )
    # The second entry becomes a debit (bank fee, outgoing transfer): not a payment.
    head, _, tail = raw.rpartition(b"<CdtDbtInd>CRDT</CdtDbtInd>")
    raw = head + b"<CdtDbtInd>DBIT</CdtDbtInd>" + tail
    done = await api.import_file(raw, fmt="camt053")
    assert (done["entries"], done["counts"]["matched"]) == (1, 1)
    report = await api.call("GET", f"/v1/payment-files/{done['payment_file_id']}/report")
    assert [(line["entry"], line["outcome"]) for line in report["report"]] == [(2, "skipped")]
    assert await api.remaining(doc) == [0]


async def test_chunks_see_what_earlier_chunks_paid(
    api: Payments, monkeypatch: pytest.MonkeyPatch
) -> None:
    from federa.payments.imports import service

    monkeypatch.setattr(service, "CHUNK", 2)
    payer = await api.payer()
    docs = await api.invoices(payer, 100, 200)
    file = [
        SamplePayment(100, reference=docs[0].reference, bank_reference=f"{api.tenant}-1"),
        SamplePayment(200, reference=docs[1].reference, bank_reference=f"{api.tenant}-2"),
        # Third entry, second chunk: the first invoice again.
        SamplePayment(100, reference=docs[0].reference, bank_reference=f"{api.tenant}-3"),
    ]
    done = await api.import_file(camt(file, message_id=api.tenant))
    assert (done["processed"], done["counts"]["matched"], done["counts"]["unmatched"]) == (3, 2, 1)
    exceptions = await api.call("GET", "/v1/exceptions")
    assert [e["reason"] for e in exceptions["items"]] == ["paid_twice"]


async def test_the_api_describes_itself(api: Payments) -> None:
    spec = (await api.service.client.get("/openapi.json")).json()
    assert "/v1/payment-files:preview" in spec["paths"]
    assert "/v1/exceptions/{exception_id}/apply" in spec["paths"]


async def test_an_import_that_died_half_way_is_resumed_after_its_last_chunk(
    api: Payments, monkeypatch: pytest.MonkeyPatch
) -> None:
    from federa.payments.imports import service

    monkeypatch.setattr(service, "CHUNK", 2)
    real_chunk = service._import_chunk_in_tx
    calls = 0

    async def dies_on_the_second_chunk(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("the database went away")
        await real_chunk(*args, **kwargs)

    monkeypatch.setattr(service, "_import_chunk_in_tx", dies_on_the_second_chunk)
    payer = await api.payer()
    docs = await api.invoices(payer, 100, 200, 300, 400, 500)
    raw = camt(
        [
            SamplePayment(d.amount, reference=d.reference, bank_reference=f"{api.tenant}-{n}")
            for n, d in enumerate(docs)
        ],
        message_id=api.tenant,
    )
    response = await api.service.client.post(
        "/v1/payment-files", params={"format": "camt054"}, content=raw, headers=api.headers()
    )
    file_id = response.json()["payment_file_id"]

    async def failed() -> dict[str, Any] | None:
        row: dict[str, Any] = await api.call("GET", f"/v1/payment-files/{file_id}")
        return row if row["status"] == "failed" else None

    row = await eventually(failed)
    assert (row["processed"], row["counts"]["matched"]) == (2, 2)
    assert await api.remaining(*docs) == [0, 0, 300, 400, 500]

    # Posting the same file again goes on after the last committed chunk.
    done = await api.import_file(raw)
    assert done["payment_file_id"] == file_id
    assert (done["processed"], done["counts"]["matched"], done["counts"]["duplicates"]) == (5, 5, 0)
    assert await api.remaining(*docs) == [0, 0, 0, 0, 0]
    assert (await api.reconciliation())["balanced"] is True


async def test_an_import_whose_process_died_is_taken_over_when_someone_looks_at_it(
    api: Payments, monkeypatch: pytest.MonkeyPatch
) -> None:
    from federa.payments.imports import service

    monkeypatch.setattr(service, "CHUNK", 2)
    payer = await api.payer()
    docs = await api.invoices(payer, 100, 200, 300)
    raw = camt(
        [
            SamplePayment(d.amount, reference=d.reference, bank_reference=f"{api.tenant}-{n}")
            for n, d in enumerate(docs)
        ],
        message_id=api.tenant,
    )
    done = await api.import_file(raw)
    # As if the process had died after the first chunk: still importing, no heartbeat since.
    async with api.service.runtime.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE payment_files SET status = 'importing', processed = 2, "
                "heartbeat_at = now() - interval '1 hour' WHERE payment_file_id = :f"
            ),
            {"f": done["payment_file_id"]},
        )
    resumed = await api.import_file(raw)  # polls GET, which takes the import over
    assert (resumed["status"], resumed["processed"]) == ("done", 3)
    # The third entry was applied the first time: its bank reference makes it a duplicate.
    assert resumed["counts"]["duplicates"] == 1
    assert await api.remaining(*docs) == [0, 0, 0]
