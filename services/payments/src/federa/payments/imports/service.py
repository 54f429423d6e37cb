"""Payment-file import (SPEC §2.3 rule 21, flow F3 step 3): preview, import, progress, report.

- *Preview* parses the file and runs matching and application in a transaction that is rolled
  back: the report shows what an import would do; nothing is stored.
- *Import* parses and checks the whole file first; a bad file is refused with every problem
  named (entry, line, field), and nothing from it is applied. A good file is recorded and its
  entries applied in chunks of `CHUNK` in the background, one transaction per chunk that also
  adds to the file's counts, so `GET` shows progress that matches the ledger.
- *Idempotent*: the same file (by SHA-256 of its bytes) is one import; posting it again returns
  the first. An entry seen before in another file (same bank reference) is skipped and counted
  as a duplicate. A file whose import failed half-way is resumed by posting it again: its
  applied entries are duplicates by then.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import cast, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.setup import SourceKind
from federa.payments.events import Events
from federa.payments.imports import report
from federa.payments.ledger.posting import IncomingPayment, Posted, receive_payments_in_tx
from federa.payments.ledger.workset import Workset
from federa.payments.sources.bgmax import parse_bgmax
from federa.payments.sources.camt import parse_camt053, parse_camt054
from federa.payments.sources.model import FileRejected, Parser, PaymentFile, Problem
from federa.payments.storage.tables import PAYMENT_FILE_COLUMNS, payment_files
from federa.payments.tenancy import SetupDocument, setup_of
from federa.shared.auth import Principal
from federa.shared.contracts.payments import (
    PAYMENT_FILE_IMPORTED,
    BankEntryTotalV1,
    PaymentFileImportedV1,
)
from federa.shared.db import Database
from federa.shared.http.problems import Problem as HttpProblem

log = logging.getLogger(__name__)

FORMATS: dict[str, Parser] = {
    "camt054": parse_camt054,
    "camt053": parse_camt053,
    "bgmax": parse_bgmax,
}
CHUNK = 500
# An importing file without a heartbeat for this long has lost the task that ran it.
ABANDONED_SECONDS = 120
_RUNNING: set[asyncio.Task[None]] = set()


def today() -> Any:
    return datetime.now(UTC).date()


async def parse(
    db: Database, tenant: str, raw: bytes, format: str
) -> tuple[PaymentFile, SetupDocument]:
    async with db.sessions() as session:
        setup = await setup_of(session, tenant)
    if not raw.strip():
        raise FileRejected([Problem("the file is empty")])
    parsed = await asyncio.to_thread(FORMATS[format], raw, setup.currency)
    return parsed, setup


def incoming(
    file: PaymentFile, payment_file_id: uuid.UUID | None, sha: str
) -> list[IncomingPayment]:
    """The file's entries as payments. An entry without a bank reference gets one from the
    file's hash and its number, so resuming a file never applies an entry twice."""
    return [
        IncomingPayment(
            source=file.format,
            source_kind=SourceKind.BANK,
            amount=e.amount,
            currency=e.currency,
            value_date=e.value_date,
            booking_date=e.booking_date,
            bank_reference=e.bank_reference or f"file:{sha[:32]}:{e.entry_no}",
            reference=e.reference,
            invoice_no=e.invoice_no,
            payer_number=e.payer_number,
            debtor_name=e.debtor_name,
            debtor_iban=e.debtor_iban,
            description=e.description,
            fee=e.fee,
            payment_file_id=payment_file_id,
            entry_no=e.entry_no,
        )
        for e in file.entries
    ]


async def preview(db: Database, tenant: str, raw: bytes, format: str) -> dict[str, Any]:
    """What an import would do, computed on the real ledger and rolled back."""
    file, setup = await parse(db, tenant, raw, format)
    posted: list[Posted] = []
    async with db.sessions() as session:
        transaction = await session.begin()
        try:
            for chunk in _chunks(incoming(file, None, hashlib.sha256(raw).hexdigest())):
                ws = Workset(tenant, today(), Events(tenant))
                posted.extend(await receive_payments_in_tx(session, ws, setup, chunk))
        finally:
            await transaction.rollback()
    counts = report.add_counts(report.empty_counts(), posted)
    return {
        "format": format,
        "currency": file.currency,
        "entries": len(file.entries),
        "amount": file.amount,
        "fees": file.fees,
        "counts": counts,
        "skipped": [p.as_dict() for p in file.skipped],
        "lines": [report.line(p) for p in posted[: report.REPORT_LIMIT]],
    }


async def start_import(
    db: Database, principal: Principal, raw: bytes, format: str, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """(the file record, True if this call started the import)."""
    file, setup = await parse(db, principal.tenant, raw, format)
    sha = hashlib.sha256(raw).hexdigest()
    async with db.transaction() as session:
        row, start = await _record_in_tx(session, principal, raw, file, sha, idempotency_key)
    if start:
        _spawn(db, principal.tenant, row, file, setup)
    return row, start


def _spawn(
    db: Database, tenant: str, row: dict[str, Any], file: PaymentFile, setup: SetupDocument
) -> None:
    task = asyncio.create_task(
        run_import(
            db, tenant, row["payment_file_id"], file, setup, row["file_sha256"], row["processed"]
        ),
        name=f"payment-file-{row['payment_file_id']}",
    )
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


async def resume_if_abandoned(db: Database, tenant: str, file_id: uuid.UUID) -> bool:
    """Take over an import whose task stopped writing heartbeats (its process died), and go on
    from its last committed chunk. Any replica may; the UPDATE lets only one win."""
    async with db.transaction() as session:
        claimed = (
            (
                await session.execute(
                    update(payment_files)
                    .where(
                        payment_files.c.tenant == tenant,
                        payment_files.c.payment_file_id == file_id,
                        payment_files.c.status == "importing",
                        payment_files.c.heartbeat_at
                        < func.now() - text(f"interval '{ABANDONED_SECONDS} seconds'"),
                    )
                    .values(heartbeat_at=func.now())
                    .returning(payment_files)
                )
            )
            .mappings()
            .one_or_none()
        )
    if claimed is None:
        return False
    async with db.sessions() as session:
        setup = await setup_of(session, tenant)
    file = await asyncio.to_thread(FORMATS[claimed["format"]], claimed["content"], setup.currency)
    log.warning("resuming payment file %s at entry %s", file_id, claimed["processed"])
    _spawn(db, tenant, dict(claimed), file, setup)
    return True


async def _record_in_tx(
    session: AsyncSession,
    principal: Principal,
    raw: bytes,
    file: PaymentFile,
    sha: str,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    tenant = principal.tenant
    if idempotency_key is not None:
        keyed = (
            (
                await session.execute(
                    select(*PAYMENT_FILE_COLUMNS).where(
                        payment_files.c.tenant == tenant,
                        payment_files.c.idempotency_key == idempotency_key,
                    )
                )
            )
            .mappings()
            .one_or_none()
        )
        if keyed is not None and keyed["file_sha256"] != sha:
            raise HttpProblem(
                409,
                "idempotency-key-reused",
                "Idempotency key already used",
                f"Payment file {keyed['payment_file_id']} used this key for another file.",
            )
    created = (
        (
            await session.execute(
                insert(payment_files)
                .values(
                    payment_file_id=uuid.uuid4(),
                    tenant=tenant,
                    format=file.format,
                    file_sha256=sha,
                    idempotency_key=idempotency_key,
                    status="importing",
                    currency=file.currency,
                    entries=len(file.entries),
                    amount=file.amount,
                    counts={**report.empty_counts(), "fees": file.fees},
                    report=[p.as_dict() | {"outcome": "skipped"} for p in file.skipped][
                        : report.REPORT_LIMIT
                    ],
                    created_by=principal.subject,
                    content=raw,
                )
                .on_conflict_do_nothing(constraint="uq_payment_files_sha256")
                .returning(*PAYMENT_FILE_COLUMNS)
            )
        )
        .mappings()
        .one_or_none()
    )
    if created is not None:
        return dict(created), True
    earlier = dict(
        (
            await session.execute(
                select(*PAYMENT_FILE_COLUMNS)
                .where(payment_files.c.tenant == tenant, payment_files.c.file_sha256 == sha)
                .with_for_update()
            )
        )
        .mappings()
        .one()
    )
    if earlier["status"] != "failed":
        return earlier, False
    # Resume after the last committed chunk; its counts stand.
    await session.execute(
        update(payment_files)
        .where(payment_files.c.payment_file_id == earlier["payment_file_id"])
        .values(status="importing", heartbeat_at=func.now(), finished_at=None)
    )
    return {**earlier, "status": "importing"}, True


def _chunks(items: Sequence[IncomingPayment]) -> list[Sequence[IncomingPayment]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


async def run_import(
    db: Database,
    tenant: str,
    file_id: uuid.UUID,
    file: PaymentFile,
    setup: SetupDocument,
    sha: str,
    start: int = 0,
) -> None:
    try:
        for chunk in _chunks(incoming(file, file_id, sha)[start:]):
            async with db.transaction() as session:
                await _import_chunk_in_tx(session, tenant, file_id, chunk, setup)
        async with db.transaction() as session:
            await _finish_in_tx(session, tenant, file_id, file)
    except Exception as exc:
        log.exception("payment file %s failed", file_id)
        try:
            async with db.transaction() as session:
                await session.execute(
                    update(payment_files)
                    .where(payment_files.c.payment_file_id == file_id)
                    .values(
                        status="failed",
                        finished_at=func.now(),
                        report=payment_files.c.report.op("||")(
                            cast(
                                json.dumps(
                                    [
                                        {
                                            "outcome": "failed",
                                            "message": f"{type(exc).__name__}: {exc}",
                                        }
                                    ]
                                ),
                                JSONB,
                            )
                        ),
                    )
                )
        except Exception:
            log.exception("cannot mark payment file %s failed", file_id)


async def _import_chunk_in_tx(
    session: AsyncSession,
    tenant: str,
    file_id: uuid.UUID,
    chunk: Sequence[IncomingPayment],
    setup: SetupDocument,
) -> None:
    ws = Workset(tenant, today(), Events(tenant, causation_id=str(file_id)))
    posted = await receive_payments_in_tx(session, ws, setup, chunk)
    row = (
        (
            await session.execute(
                select(payment_files.c.counts, payment_files.c.report)
                .where(payment_files.c.payment_file_id == file_id)
                .with_for_update()
            )
        )
        .mappings()
        .one()
    )
    counts = report.add_counts(dict(row["counts"]), posted)
    lines = list(row["report"])
    room = report.REPORT_LIMIT - len(lines)
    if room > 0:
        lines.extend(report.line(p) for p in posted if report.needs_a_look(p))
        lines = lines[: report.REPORT_LIMIT]
    await session.execute(
        update(payment_files)
        .where(payment_files.c.payment_file_id == file_id)
        .values(
            processed=payment_files.c.processed + len(chunk),
            counts=counts,
            report=lines,
            heartbeat_at=func.now(),
        )
    )


def bank_entries(file: PaymentFile) -> list[BankEntryTotalV1]:
    """Rule 21, "one bank entry per day": the file's payments summed per value date."""
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for entry in file.entries:
        day = days[entry.value_date]
        day[0] += 1
        day[1] += entry.amount
        day[2] += entry.fee
    return [
        BankEntryTotalV1(value_date=d, payments=n, amount=amount, fees=fees)
        for d, (n, amount, fees) in sorted(days.items())
    ]


async def _finish_in_tx(
    session: AsyncSession, tenant: str, file_id: uuid.UUID, file: PaymentFile
) -> None:
    row = (
        (
            await session.execute(
                update(payment_files)
                .where(payment_files.c.payment_file_id == file_id)
                .values(status="done", finished_at=func.now())
                .returning(*PAYMENT_FILE_COLUMNS)
            )
        )
        .mappings()
        .one()
    )
    counts = row["counts"]
    events = Events(tenant)
    events.add(
        PAYMENT_FILE_IMPORTED,
        PaymentFileImportedV1(
            payment_file_id=file_id,
            format=file.format,
            file_sha256=row["file_sha256"],
            currency=file.currency,
            entries=len(file.entries),
            amount=file.amount,
            matched=counts["matched"],
            partly_matched=counts["partly_matched"],
            unmatched=counts["unmatched"],
            exceptions=counts["exceptions"],
            gifts=counts["gifts"],
            writeoffs=counts["writeoffs"],
            duplicates=counts["duplicates"],
            fees=file.fees,
            bank_entries=bank_entries(file),
        ),
        subject=file_id,
        version=1,
    )
    await events.flush_in_tx(session)
