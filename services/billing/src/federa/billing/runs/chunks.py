"""Processing one chunk of a run: in one transaction, charge each due subscription one period
ahead with the domain's quote, credit rule 29's to-date adjustments, issue the documents,
write the billing log, and publish — or, in a dry run, only count.

Exactly once per subscription and period: the chunk's row is locked first, so a redelivered
chunk waits for (or finds done) its twin; every subscription row is locked and its next
unbilled date re-read, so a subscription another run charged meanwhile is not due any more;
and `billing_log`'s unique (subscription, period start) of standing charges refuses a second
one should anything else slip. A crash before the commit leaves nothing, and the redelivered
message does the whole chunk again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.store import load_catalogue
from federa.billing.documents.e_invoice import e_invoice_payers_in_tx
from federa.billing.documents.events import issued_events
from federa.billing.documents.settings import InvoicingSettings, invoicing_settings_of
from federa.billing.documents.store import (
    DocumentRows,
    copy_documents_in_tx,
    copy_in_tx,
    document_rows,
    issue_drafts,
    lines_of,
    payer_numbers,
    peek_blocks_in_tx,
    reserve_blocks_in_tx,
)
from federa.billing.domain.catalogue import Catalogue
from federa.billing.domain.documents import (
    Charge,
    DocumentDraft,
    DocumentKind,
    InvoicingMode,
    build_documents,
)
from federa.billing.domain.e_invoice import EInvoiceFields, EInvoicePayers, payers_of
from federa.billing.domain.errors import BillingRuleError
from federa.billing.domain.grouping import DocumentGrouping
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.lifecycle import record_charge
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.numbering import NumberBlock
from federa.billing.domain.quote import quote
from federa.billing.domain.subscription import SubscriptionState, payer_on
from federa.billing.domain.to_date_adjustment import (
    ChargedDocument,
    credited_periods,
    needs_credit,
    to_date_credit_memo,
)
from federa.billing.runs.state import ChunkCounts, finish_chunk_in_tx
from federa.billing.storage.documents_tables import (
    billing_log,
    billing_run_chunks,
    billing_run_errors,
    billing_run_report,
    billing_runs,
    documents,
)
from federa.billing.storage.tables import lifecycle_entries, members, subscriptions
from federa.billing.subscriptions.store import entry_of, state_of
from federa.shared.db import Database, is_any_of
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.outbox import record_events_in_tx

Row = dict[str, Any]

_ADVANCE = text(
    """
    UPDATE subscriptions s
    SET billed_from = u.billed_from, billed_through = u.billed_through,
        billing_status = u.billing_status, version = s.version + 1,
        updated_at = now(), updated_by = :actor
    FROM unnest(CAST(:ids AS uuid[]), CAST(:froms AS date[]), CAST(:throughs AS date[]),
                CAST(:statuses AS text[])) AS u(id, billed_from, billed_through, billing_status)
    WHERE s.id = u.id
    """
)


@dataclass
class _Subject:
    """One subscription of the chunk, as locked and read."""

    row: Row
    state: SubscriptionState

    @property
    def id(self) -> uuid.UUID:
        value: uuid.UUID = self.row["id"]
        return value

    @property
    def organisation(self) -> uuid.UUID | None:
        value: uuid.UUID | None = self.row["organisation_id"]
        return value


@dataclass
class _Billed:
    """What the chunk computed, before anything is written."""

    charges: list[Charge] = field(default_factory=list)
    advanced: list[tuple[uuid.UUID, SubscriptionState]] = field(default_factory=list)
    free: list[tuple[uuid.UUID, SubscriptionState]] = field(default_factory=list)
    errors: list[Row] = field(default_factory=list)
    credit_candidates: list[_Subject] = field(default_factory=list)
    skipped: int = 0
    failure: str | None = None
    # Rule 35: the e-invoice fields of the chunk's documents of public customers, by id.
    e_invoices: dict[uuid.UUID, EInvoiceFields] = field(default_factory=dict)


async def _lock_chunk(session: AsyncSession, run_id: uuid.UUID, chunk_no: int) -> Row | None:
    row = (
        (
            await session.execute(
                select(billing_run_chunks)
                .where(
                    billing_run_chunks.c.run_id == run_id,
                    billing_run_chunks.c.chunk_no == chunk_no,
                )
                .with_for_update(key_share=True)
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def _subjects(session: AsyncSession, tenant: str, ids: Sequence[uuid.UUID]) -> list[_Subject]:
    """The chunk's subscriptions, locked (in id order, as every chunk locks, so two
    transactions never wait on each other crosswise), in the chunk's own order."""
    rows = {
        row["id"]: dict(row)
        for row in (
            await session.execute(
                select(subscriptions)
                .where(
                    is_any_of(subscriptions.c.id, ids, "ids"),
                    subscriptions.c.tenant == tenant,
                    subscriptions.c.deleted_at.is_(None),
                )
                .order_by(subscriptions.c.id)
                .with_for_update(key_share=True)
            )
        ).mappings()
    }
    entries: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for entry in (
        await session.execute(
            select(lifecycle_entries)
            .where(is_any_of(lifecycle_entries.c.subscription_id, rows, "ids"))
            .order_by(lifecycle_entries.c.subscription_id, lifecycle_entries.c.position)
        )
    ).mappings():
        entries[entry["subscription_id"]].append(entry_of(dict(entry)))
    return [_Subject(rows[i], state_of(rows[i], entries[i])) for i in ids if i in rows]


async def _member_facts(
    session: AsyncSession, member_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, MemberFacts]:
    """Pricing's facts about each member from billing's copy (the prerequisite rule's active
    products are not needed to price, so they are not read)."""
    rows = await session.execute(
        select(
            members.c.member_id,
            members.c.birth_date,
            members.c.value_units,
            members.c.gift_amount,
            members.c.country_code,
            members.c.postcode,
        ).where(is_any_of(members.c.member_id, set(member_ids), "ids"))
    )
    return {
        row.member_id: MemberFacts(
            member_id=MemberId(row.member_id),
            birth_date=row.birth_date,
            value_units=row.value_units,
            gift_amount=row.gift_amount or 0,
            country_code=row.country_code,
            postcode=row.postcode,
        )
        for row in rows
    }


def _error(run: Row, chunk_no: int, subject: _Subject, code: str, message: str) -> Row:
    return {
        "run_id": run["id"],
        "chunk_no": chunk_no,
        "tenant": run["tenant"],
        "subscription_id": subject.id,
        "subscription_no": subject.state.subscription_no,
        "member_id": subject.state.member_id,
        "organisation_id": subject.organisation,
        "code": code,
        "message": message,
    }


def _bill(
    run: Row,
    chunk_no: int,
    subjects: Sequence[_Subject],
    catalogue: Catalogue,
    facts: dict[uuid.UUID, MemberFacts],
    e_invoices: EInvoicePayers,
) -> _Billed:
    """Rules 24-26 and 29, pure over what was read: each subject is a credit candidate,
    charged, free, not due, or an error for the log."""
    billed = _Billed()
    to_date_filter = run["filters"].get("to_date") is not None
    for index, subject in enumerate(subjects):
        state = subject.state
        if needs_credit(state.to_date, state.billed_through, to_date_filter=to_date_filter):
            billed.credit_candidates.append(subject)
            continue
        member = facts.get(state.member_id)
        try:
            if member is None:
                raise BillingRuleError(f"billing has no copy of member {state.member_id} yet")
            charge = quote(
                state,
                catalogue,
                member,
                bill_through=run["bill_through_date"],
                use_value_bands=run["use_value_bands"],
            )
            if charge.period is not None and not charge.free:
                # Rule 35: an e-invoice that could not be posted is an error, not a document.
                e_invoices.check(
                    payer_on(state, charge.period.start),
                    subject.row.get("payer_reference"),
                    state.subscription_no,
                )
        except BillingRuleError as error:
            code = "member-unknown" if member is None else error.code
            billed.errors.append(_error(run, chunk_no, subject, code, error.message))
            if run["stop_on_error"]:
                billed.failure = (
                    f"stopped at subscription {state.subscription_no}: {code}: {error.message}"
                )
                billed.skipped += len(subjects) - index - 1
                break
            continue
        if charge.period is None:
            billed.skipped += 1  # charged meanwhile, or no longer covered
            continue
        advanced = record_charge(state, charge.period, free=charge.free)
        if charge.free:
            billed.free.append((subject.id, advanced))
            continue
        billed.advanced.append((subject.id, advanced))
        billed.charges.append(
            Charge(
                subscription_id=subject.id,
                subscription_no=state.subscription_no,
                member_id=state.member_id,
                payer=payer_on(state, charge.period.start),
                organisation=(
                    None if subject.organisation is None else OrganisationId(subject.organisation)
                ),
                period_from=charge.period.start,
                period_to=charge.period.end,
                lines=charge.lines,
                settlements=charge.settlements,
            )
        )
    return billed


async def _charged_documents(
    session: AsyncSession, candidates: Sequence[_Subject]
) -> tuple[list[ChargedDocument], dict[uuid.UUID, str]]:
    """The documents that charged the candidates for days after their to-dates and were not
    credited yet; with their numbers."""
    if not candidates:
        return [], {}
    to_date = {c.id: c.state.to_date for c in candidates}
    log = await session.execute(
        select(
            billing_log.c.subscription_id, billing_log.c.document_id, billing_log.c.period_to
        ).where(
            billing_log.c.subscription_id.in_(list(to_date)),
            billing_log.c.entry_kind == "charge",
            billing_log.c.credited_by_document_id.is_(None),
            billing_log.c.document_id.is_not(None),
        )
    )
    wanted = {
        row.document_id
        for row in log
        if (end := to_date[row.subscription_id]) is not None and row.period_to > end
    }
    if not wanted:
        return [], {}
    heads = (
        (
            await session.execute(
                select(documents).where(documents.c.id.in_(list(wanted))).order_by(documents.c.id)
            )
        )
        .mappings()
        .all()
    )
    lines = await lines_of(session, [head["id"] for head in heads])
    charged = [
        ChargedDocument(
            id=head["id"],
            payer=PayerId(head["payer_account_id"]),
            member=None if head["member_id"] is None else MemberId(head["member_id"]),
            organisation=(
                None if head["organisation_id"] is None else OrganisationId(head["organisation_id"])
            ),
            lines=tuple(lines[head["id"]]),
        )
        for head in heads
    ]
    return charged, {head["id"]: head["document_no"] for head in heads}


def _credit_memos(
    run: Row,
    settings: InvoicingSettings,
    candidates: Sequence[_Subject],
    charged: Sequence[ChargedDocument],
) -> list[DocumentDraft]:
    to_dates: dict[uuid.UUID, date] = {
        c.id: c.state.to_date for c in candidates if c.state.to_date is not None
    }
    memos = []
    for document in charged:
        memo = to_date_credit_memo(
            document,
            to_dates,
            posting_date=run["posting_date"],
            payment_terms_days=settings.payment_terms_days,
        )
        if memo is not None:
            memos.append(memo)
    return memos


def _report_rows(
    run: Row,
    chunk_no: int,
    subjects: Sequence[_Subject],
    billed: _Billed,
    invoices: Sequence[DocumentDraft],
    memos: Sequence[DocumentDraft],
) -> list[Row]:
    """Per organisation of the subscriptions (SPEC §2.5 item 6): what was charged, failed and
    credited."""
    organisation_of = {s.id: s.organisation for s in subjects}
    totals: dict[uuid.UUID | None, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            (
                "subscriptions",
                "failed",
                "lines",
                "amount",
                "vat_amount",
                "branch_share",
                "credited",
                "credited_amount",
            ),
            0,
        )
    )
    for subscription_id, _ in billed.advanced + billed.free:
        totals[organisation_of[subscription_id]]["subscriptions"] += 1
    for error in billed.errors:
        totals[error["organisation_id"]]["failed"] += 1
    for document in invoices:
        for line in document.lines:
            org = totals[organisation_of.get(line.subscription_id)]  # type: ignore[arg-type]
            org["lines"] += 1
            org["amount"] += line.amount
            org["vat_amount"] += line.vat_amount
            org["branch_share"] += line.branch_share
    for memo in memos:
        for credit in credited_periods(memo):
            org = totals[organisation_of.get(credit.subscription_id)]
            org["credited"] += 1
            org["credited_amount"] += credit.amount
    return [
        {"run_id": run["id"], "chunk_no": chunk_no, "organisation_id": org, **values}
        for org, values in sorted(totals.items(), key=lambda item: str(item[0]))
    ]


def _counts(
    billed: _Billed, invoices: Sequence[DocumentDraft], memos: Sequence[DocumentDraft]
) -> ChunkCounts:
    credited = {c.subscription_id for memo in memos for c in credited_periods(memo)}
    return ChunkCounts(
        charged=len(billed.advanced),
        free=len(billed.free),
        failed=len(billed.errors),
        skipped=billed.skipped,
        credited=len(credited),
        documents=len(invoices),
        credit_memos=len(memos),
        lines=sum(len(d.lines) for d in invoices),
        members=len({c.member_id for c in billed.charges}),
        amount=sum(d.total_amount for d in invoices),
        credited_amount=sum(d.total_amount for d in memos),
    )


async def _advance_subscriptions(
    session: AsyncSession, advanced: Sequence[tuple[uuid.UUID, SubscriptionState]], actor: str
) -> None:
    if not advanced:
        return
    await session.execute(
        _ADVANCE,
        {
            "ids": [i for i, _ in advanced],
            "froms": [s.billed_from for _, s in advanced],
            "throughs": [s.billed_through for _, s in advanced],
            "statuses": [s.billing_status.value for _, s in advanced],
            "actor": actor,
        },
    )


def _log_rows(
    run: Row,
    billed: _Billed,
    invoices: Sequence[DocumentDraft],
    memos: Sequence[DocumentDraft],
) -> list[Row]:
    base = {"tenant": run["tenant"], "billing_run_id": run["id"], "credited_by_document_id": None}
    rows = []
    for document in invoices:
        for charge in document.charges:
            rows.append(
                {
                    **base,
                    "subscription_id": charge.subscription_id,
                    "entry_kind": "charge",
                    "document_id": document.id,
                    "period_from": charge.period_from,
                    "period_to": charge.period_to,
                    "amount": charge.amount,
                }
            )
    for subscription_id, state in billed.free:
        assert state.billed_from is not None
        assert state.billed_through is not None
        rows.append(
            {
                **base,
                "subscription_id": subscription_id,
                "entry_kind": "charge",
                "document_id": None,
                "period_from": state.billed_from,
                "period_to": state.billed_through,
                "amount": 0,
            }
        )
    for memo in memos:
        for credit in credited_periods(memo):
            rows.append(
                {
                    **base,
                    "subscription_id": credit.subscription_id,
                    "entry_kind": "credit",
                    "document_id": memo.id,
                    "period_from": credit.period.start,
                    "period_to": credit.period.end,
                    "amount": credit.amount,
                }
            )
    return rows


async def _store(
    session: AsyncSession,
    run: Row,
    chunk_no: int,
    subjects: Sequence[_Subject],
    billed: _Billed,
    invoices: list[DocumentDraft],
    memos: list[DocumentDraft],
    credited_numbers: dict[uuid.UUID, str],
    worker: str,
) -> None:
    if not run["dry_run"]:
        # Rule 29: coverage ends at the to-date; moving billed-through back to it is what
        # makes the adjustment happen once.
        pulled_back = [
            (s.id, replace(s.state, billed_through=s.state.to_date))
            for s in billed.credit_candidates
        ]
        await _advance_subscriptions(
            session, billed.advanced + billed.free + pulled_back, actor=f"billing-run:{run['id']}"
        )
    if billed.errors:
        await session.execute(insert(billing_run_errors), billed.errors)
    # A chunk reports on hundreds of branches: COPY, not an INSERT a row.
    await copy_in_tx(
        session,
        billing_run_report.name,
        _report_rows(run, chunk_no, subjects, billed, invoices, memos),
    )
    if not run["dry_run"]:
        await _issue(session, run, billed, invoices, memos, credited_numbers)
    await finish_chunk_in_tx(
        session,
        run["id"],
        chunk_no,
        _counts(billed, invoices, memos),
        worker=worker,
        failure=billed.failure,
    )


@dataclass(frozen=True)
class _Prepared:
    """A chunk's numbered documents as the rows and events to write."""

    blocks: dict[DocumentKind, NumberBlock]
    rows: DocumentRows
    events: list[CloudEvent]


async def _issue(
    session: AsyncSession,
    run: Row,
    billed: _Billed,
    invoices: list[DocumentDraft],
    memos: list[DocumentDraft],
    credited_numbers: dict[uuid.UUID, str],
) -> None:
    """Number and write the chunk's documents, their billing log and their events.

    The number sequences stay locked from the reservation to the commit, and a second worker
    waits for them, so the chunk prepares its rows and events (most of its CPU after pricing)
    before it reserves, with the numbers it would get if no one reserved first; should another
    chunk have taken numbers meanwhile, it prepares them again with the block it got. Only the
    writes and the commit are left inside the lock."""
    drafts = [*invoices, *memos]
    payers = await payer_numbers(session, (d.payer for d in drafts))

    def prepare(blocks: dict[DocumentKind, NumberBlock]) -> _Prepared:
        issued = issue_drafts(
            drafts,
            blocks,
            tenant=run["tenant"],
            currency=run["currency"],
            payer_numbers=payers,
            billing_run_id=run["id"],
            created_by=f"billing-run:{run['id']}",
            credited_numbers=credited_numbers,
            e_invoices=billed.e_invoices,
        )
        events = issued_events(issued, correlation_id=str(run["id"]))
        return _Prepared(blocks, document_rows(issued), events)

    log_rows = _log_rows(run, billed, invoices, memos)
    prepared = prepare(await peek_blocks_in_tx(session, run["tenant"], drafts))
    blocks = await reserve_blocks_in_tx(session, run["tenant"], drafts)
    if blocks != prepared.blocks:
        prepared = prepare(blocks)
    await copy_documents_in_tx(session, prepared.rows)
    await copy_in_tx(session, billing_log.name, log_rows)
    for memo in memos:
        credited = [c.subscription_id for c in credited_periods(memo)]
        await session.execute(
            update(billing_log)
            .where(
                billing_log.c.document_id == memo.credits,
                billing_log.c.subscription_id.in_(credited),
                billing_log.c.entry_kind == "charge",
            )
            .values(credited_by_document_id=memo.id)
        )
    await record_events_in_tx(session, prepared.events, copy=True)


async def process_chunk(
    db: Database, run_id: uuid.UUID, chunk_no: int, *, worker: str = "worker"
) -> str:
    """Process one chunk; returns what happened (done, skipped, already-done, unknown). Raises
    on infrastructure failures, so the message is redelivered."""
    async with db.transaction() as session:
        chunk = await _lock_chunk(session, run_id, chunk_no)
        if chunk is None:
            return "unknown"
        if chunk["status"] != "queued":
            return "already-done"
        run = dict(
            (await session.execute(select(billing_runs).where(billing_runs.c.id == run_id)))
            .mappings()
            .one()
        )
        if run["status"] not in ("planned", "running"):
            # Cancelled, or failed on stop-on-error: the remaining chunks are skipped.
            await session.execute(
                update(billing_run_chunks)
                .where(
                    billing_run_chunks.c.run_id == run_id,
                    billing_run_chunks.c.chunk_no == chunk_no,
                )
                .values(status="skipped", processed_at=datetime.now(UTC), processed_by=worker)
            )
            return "skipped"
        subjects = await _subjects(session, run["tenant"], chunk["subscription_ids"])
        facts = await _member_facts(session, [s.state.member_id for s in subjects])
        stored = await load_catalogue(session, run["tenant"])
        settings = await invoicing_settings_of(session, run["tenant"])
        e_invoices = await e_invoice_payers_in_tx(
            session, run["tenant"], run["currency"], payers_of(s.state for s in subjects)
        )
        billed = _bill(run, chunk_no, subjects, stored.catalogue, facts, e_invoices)
        # Deleted since the run was planned: nothing to charge.
        billed.skipped += len(chunk["subscription_ids"]) - len(subjects)
        invoices = build_documents(
            billed.charges,
            grouping=DocumentGrouping(run["document_grouping"]),
            mode=InvoicingMode(run["invoicing_mode"]),
            posting_date=run["posting_date"],
            payment_terms_days=settings.payment_terms_days,
            accounting=settings.product_accounting,
            gift_posting_type=settings.gift_posting_type,
        )
        billed.e_invoices = e_invoices.for_documents(
            invoices, {s.id: s.row.get("payer_reference") for s in subjects}
        )
        charged, numbers = await _charged_documents(session, billed.credit_candidates)
        memos = _credit_memos(run, settings, billed.credit_candidates, charged)
        await _store(session, run, chunk_no, subjects, billed, invoices, memos, numbers, worker)
        return "done"
