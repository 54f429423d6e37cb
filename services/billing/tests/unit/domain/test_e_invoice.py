"""Rules 35, 35a-35c (e-invoicing to public customers): GLN validation, field derivation, the
completeness check a run and posting apply, and the external document number of a document
with several subscriptions."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from federa.billing.domain.documents import Charge, DocumentDraft, DocumentKind
from federa.billing.domain.e_invoice import (
    REQUIRED_FIELDS,
    EInvoiceFields,
    EInvoiceIncomplete,
    EInvoicePayers,
    EInvoiceSetup,
    InvalidEInvoiceSetup,
    InvalidGln,
    PayerEInvoice,
    PaymentMethod,
    derive,
    external_reference,
    gs1_check_digit,
    normalised_gln,
    payers_of,
    valid_gln,
)
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.subscription import LifecycleEntry, LifecycleKind, SubscriptionState

# A real-world shaped GLN: 579000000000 + its check digit.
GLN = "5790000000005"
EAN_METHOD = PaymentMethod("EAN", "E-invoice", payment_channel="Kontoverførsel")
SETUP = EInvoiceSetup(
    country_codes={"DK": "DK"},
    currency_codes={"DKK": "DKK"},
    payment_methods={
        "EAN": EAN_METHOD,
        "CASH": PaymentMethod("CASH", payment_channel="Kontant", balancing_account="1000"),
    },
    sales_unit_code="STK",
)


def public_payer(payer: uuid.UUID | None = None, **changes: object) -> PayerEInvoice:
    values: dict[str, object] = {
        "payer": payer or uuid.uuid4(),
        "gln": GLN,
        "payment_method": "EAN",
        "country_code": "DK",
    }
    values.update(changes)
    return PayerEInvoice(**values)  # type: ignore[arg-type]


def test_the_check_digit_is_gs1s_and_agrees_with_python_stdnum() -> None:
    assert gs1_check_digit("579000000000") == 5
    assert valid_gln(GLN)
    assert ean.is_valid(GLN)
    assert not valid_gln("5790000000006")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_twelve_digits_get_the_check_digit_stdnum_computes(body: str) -> None:
    assert gs1_check_digit(body) == int(ean.calc_check_digit(body))
    assert valid_gln(body + str(gs1_check_digit(body)))


def test_a_gln_as_people_write_it_is_normalised_and_a_wrong_one_refused() -> None:
    assert normalised_gln("5790 0000-0000 5") == GLN
    with pytest.raises(InvalidGln, match="check digit"):
        normalised_gln("5790000000006")
    with pytest.raises(InvalidGln, match="13 digits"):
        normalised_gln("57900000000")
    with pytest.raises(InvalidGln, match="13 digits"):
        normalised_gln("579000000000A")


def test_the_setup_and_the_payer_give_every_field() -> None:
    fields = derive(SETUP, public_payer(), "DKK", "PO-4711")
    assert fields == EInvoiceFields(
        gln=GLN,
        endpoint_scheme="GLN",
        country_code="DK",
        currency_code="DKK",
        unit_code="STK",
        payment_method="EAN",
        payment_channel="Kontoverførsel",
        external_document_no="PO-4711",
    )
    assert fields.missing() == ()


def test_each_missing_piece_is_named() -> None:
    assert derive(None, public_payer(), "DKK", "PO-1").missing() == (
        "country_code",
        "currency_code",
        "unit_code",
        "payment_method",
        "payment_channel",
    )
    assert derive(SETUP, public_payer(country_code="SE"), "DKK", "x").missing() == ("country_code",)
    assert derive(SETUP, public_payer(), "EUR", "x").missing() == ("currency_code",)
    assert derive(SETUP, public_payer(gln=None), "DKK", " ").missing() == (
        "gln",
        "external_document_no",
    )


def test_a_payment_method_with_a_balancing_account_or_no_channel_is_no_e_invoice_method() -> None:
    assert derive(SETUP, public_payer(payment_method="CASH"), "DKK", "x").missing() == (
        "payment_method",
        "payment_channel",
    )
    with pytest.raises(InvalidEInvoiceSetup, match="no balancing account"):
        SETUP.e_invoice_method("CASH")
    no_channel = EInvoiceSetup(payment_methods={"EAN": PaymentMethod("EAN")})
    with pytest.raises(InvalidEInvoiceSetup, match="payment channel"):
        no_channel.e_invoice_method("EAN")
    with pytest.raises(InvalidEInvoiceSetup, match="no payment method"):
        SETUP.e_invoice_method("NOPE")
    assert SETUP.e_invoice_method("EAN") is EAN_METHOD


def test_a_run_refuses_a_subscription_whose_e_invoice_would_be_incomplete() -> None:
    payer = uuid.uuid4()
    payers = EInvoicePayers("DKK", SETUP, {payer: public_payer(payer)})
    payers.check(payer, "PO-1", 7)
    with pytest.raises(EInvoiceIncomplete) as refused:
        payers.check(payer, None, 7)
    assert refused.value.code == "e-invoice-incomplete"
    assert refused.value.missing == ("external_document_no",)
    assert "Subscription 7" in refused.value.message
    # A paper payer (not among the e-invoice payers) needs nothing.
    payers.check(uuid.uuid4(), None, 8)


def test_a_payer_with_only_a_gln_or_only_the_method_is_an_incomplete_e_invoice_payer() -> None:
    assert public_payer(payment_method=None).e_invoice_payer
    assert public_payer(gln=None).e_invoice_payer
    assert not public_payer(gln=None, payment_method=None).e_invoice_payer
    payer = uuid.uuid4()
    payers = EInvoicePayers("DKK", SETUP, {payer: public_payer(payer, payment_method=None)})
    with pytest.raises(EInvoiceIncomplete) as refused:
        payers.check(payer, "PO-1", 1)
    assert refused.value.missing == ("payment_method", "payment_channel")


def _charge(payer: uuid.UUID, subscription_no: int) -> Charge:
    return Charge(
        subscription_id=uuid.uuid4(),
        subscription_no=subscription_no,
        member_id=MemberId(uuid.uuid4()),
        payer=PayerId(payer),
        organisation=None,
        period_from=date(2025, 1, 1),
        period_to=date(2025, 12, 31),
        lines=(),
    )


def test_a_document_of_several_subscriptions_carries_their_distinct_references() -> None:
    payer = uuid.uuid4()
    first, second, third = _charge(payer, 3), _charge(payer, 1), _charge(payer, 2)
    draft = DocumentDraft(
        id=uuid.uuid4(),
        kind=DocumentKind.INVOICE,
        payer=PayerId(payer),
        member=None,
        organisation=None,
        posting_date=date(2025, 6, 15),
        due_date=date(2025, 6, 29),
        lines=(),
        charges=(first, second, third),
    )
    references = {
        first.subscription_id: "PO-9",
        second.subscription_id: "PO-1",
        third.subscription_id: "PO-1",
    }
    payers = EInvoicePayers("DKK", SETUP, {payer: public_payer(payer)})
    fields = payers.for_document(draft, references)
    assert fields is not None
    assert fields.external_document_no == "PO-1, PO-9"  # by subscription number, once each
    assert fields.missing() == ()
    paper = EInvoicePayers("DKK", SETUP, {})
    assert paper.for_documents([draft], references) == {}


def test_external_reference_of_blank_references_is_none() -> None:
    assert external_reference([None, " ", ""]) is None
    assert external_reference(["A"]) == "A"


def test_stored_fields_stand_and_blank_ones_are_filled() -> None:
    stored = EInvoiceFields(gln=GLN, external_document_no="PO-1")
    filled = stored.filled_from(derive(SETUP, public_payer(gln="4000000000006"), "DKK", None))
    assert filled.gln == GLN
    assert filled.external_document_no == "PO-1"
    assert filled.missing() == ()
    assert set(REQUIRED_FIELDS) <= set(EInvoiceFields.__dataclass_fields__)


def test_the_payers_a_chunk_reads_include_payer_changes_ahead() -> None:
    old, new = uuid.uuid4(), uuid.uuid4()
    state = SubscriptionState(
        subscription_no=1,
        member_id=MemberId(uuid.uuid4()),
        product="P",
        price_code="C",
        payer=PayerId(old),
        from_date=date(2025, 1, 1),
        registration_date=date(2025, 1, 1),
        lifecycle=(
            LifecycleEntry(
                LifecycleKind.PAYER_CHANGE,
                "DEB+",
                date(2026, 1, 1),
                date(2025, 6, 1),
                old_value=str(old),
                new_value=str(new),
            ),
        ),
    )
    assert payers_of([state]) == {old, new}


def test_a_setup_with_a_blank_code_is_refused() -> None:
    with pytest.raises(InvalidEInvoiceSetup):
        EInvoiceSetup(country_codes={"DK": " "}).checked()
    with pytest.raises(InvalidEInvoiceSetup):
        EInvoiceSetup(payment_methods={"A": PaymentMethod("B")}).checked()
    assert SETUP.checked() is SETUP
