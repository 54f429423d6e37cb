"""Refunds of overpayments and double payments, and the pain.001 file that pays them.

A refund takes money that waits in an open exception (the only money of a payment not yet
applied or given); it is written to the ledger as a `refund` entry of the payment, announced
with `refund.issued`, and leaves in the next export: `export_in_tx` puts every pending refund
in one ISO 20022 pain.001 credit-transfer initiation and marks them exported.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.ledger.workset import Workset
from federa.payments.refunds.pain001 import Transfer, pain001
from federa.payments.storage.tables import refund_exports, refunds
from federa.payments.tenancy import SetupDocument
from federa.shared.contracts.payments import REFUND_ISSUED, RefundIssuedV1
from federa.shared.http.problems import Problem


def refund_in_ws(
    ws: Workset,
    payment: dict[str, Any],
    *,
    amount: int,
    reason: str,
    exception_id: uuid.UUID | None,
    iban: str | None,
    bic: str | None,
    name: str | None,
    version: int,
) -> uuid.UUID:
    account = (iban or payment["debtor_iban"] or "").replace(" ", "").upper()
    creditor = name or payment["debtor_name"]
    if not account or not creditor:
        raise Problem(
            422,
            "refund-account-missing",
            "No account to refund to",
            "The payment names no debtor account; give `iban` and `name`.",
        )
    refund_id = uuid.uuid4()
    ws.ledger(
        "refund",
        amount,
        payment["currency"],
        payer_account_id=payment["payer_account_id"],
        payment_id=payment["payment_id"],
        member_id=payment["member_id"],
        note=reason,
    )
    ws.refund_rows.append(
        {
            "refund_id": refund_id,
            "tenant": ws.tenant,
            "payment_id": payment["payment_id"],
            "exception_id": exception_id,
            "payer_account_id": payment["payer_account_id"],
            "amount": amount,
            "currency": payment["currency"],
            "creditor_name": creditor,
            "iban": account,
            "bic": bic,
            "reason": reason,
            "status": "pending",
        }
    )
    ws.events.add(
        REFUND_ISSUED,
        RefundIssuedV1(
            refund_id=refund_id,
            payment_id=payment["payment_id"],
            payer_account_id=payment["payer_account_id"],
            amount=amount,
            currency=payment["currency"],
            reason=reason,
        ),
        subject=payment["payment_id"],
        version=version,
    )
    return refund_id


async def export_in_tx(
    session: AsyncSession,
    tenant: str,
    setup: SetupDocument,
    actor: str,
    *,
    idempotency_key: str | None = None,
) -> dict[str, Any] | None:
    """Every pending refund in one pain.001; None when nothing is pending."""
    rows = (
        (
            await session.execute(
                select(refunds)
                .where(refunds.c.tenant == tenant, refunds.c.status == "pending")
                .order_by(refunds.c.created_at, refunds.c.refund_id)
                .with_for_update(skip_locked=True)
            )
        )
        .mappings()
        .all()
    )
    if not rows:
        return None
    export_id = uuid.uuid4()
    now = datetime.now(UTC)
    message_id = f"FEDERA-{now:%Y%m%d%H%M%S}-{export_id.hex[:8]}"
    document = pain001(
        message_id=message_id,
        created_at=now,
        debtor_name=setup.company_name,
        debtor_iban=setup.refund_account_iban,
        debtor_bic=setup.refund_account_bic,
        execution_date=now.date(),
        currency=setup.currency,
        transfers=[
            Transfer(
                end_to_end_id=row["refund_id"].hex[:35],
                amount=row["amount"],
                creditor_name=row["creditor_name"],
                creditor_iban=row["iban"],
                creditor_bic=row["bic"],
                remittance=f"Refund {row['reason']}"[:140],
            )
            for row in rows
        ],
    )
    values = {
        "export_id": export_id,
        "tenant": tenant,
        "message_id": message_id,
        "refunds": len(rows),
        "amount": sum(r["amount"] for r in rows),
        "currency": setup.currency,
        "document": document.decode(),
        "created_by": actor,
        "idempotency_key": idempotency_key,
    }
    await session.execute(insert(refund_exports).values(**values))
    await session.execute(
        update(refunds)
        .where(refunds.c.refund_id.in_([r["refund_id"] for r in rows]))
        .values(status="exported", export_id=export_id)
    )
    return values
