"""Recruitment gifts' pure rules (SPEC §2.2 rule 39): which item, who receives it, which
charge is the first, the paid window and the export file."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.recruitment_gifts import (
    CSV_COLUMNS,
    ExportRow,
    GiftChannel,
    Person,
    Recipient,
    Recruitment,
    cell,
    check_window,
    csv_text,
    gift_invoice,
    gift_terms,
    in_window,
    is_first_charge,
)

RECRUIT = MemberId(uuid.uuid4())
RECRUITER = MemberId(uuid.uuid4())


def test_the_channels_item_goes_to_the_recruiter() -> None:
    terms = gift_terms(Recruitment(RECRUIT, RECRUITER), GiftChannel("MGM", "MUG-1"))
    assert terms is not None
    assert (terms.gift_item_no, terms.recipient, terms.recipient_member) == (
        "MUG-1",
        Recipient.RECRUITER,
        RECRUITER,
    )
    assert terms.gift_to_new_member is False


def test_gift_to_new_member_sends_it_to_the_recruit() -> None:
    terms = gift_terms(Recruitment(RECRUIT, RECRUITER), GiftChannel("F", "BAG", True))
    assert terms is not None
    assert (terms.recipient, terms.recipient_member) == (Recipient.RECRUIT, RECRUIT)


def test_the_subscriptions_own_item_wins_and_no_item_means_no_gift() -> None:
    own = gift_terms(Recruitment(RECRUIT, RECRUITER, "BOOK"), GiftChannel("MGM", "MUG-1"))
    assert own is not None
    assert own.gift_item_no == "BOOK"
    assert gift_terms(Recruitment(RECRUIT, RECRUITER, "BOOK"), None) is not None
    assert gift_terms(Recruitment(RECRUIT, RECRUITER), GiftChannel("MGM")) is None
    assert gift_terms(Recruitment(RECRUIT, RECRUITER), None) is None


def test_only_the_earliest_standing_charge_is_the_first() -> None:
    first, second = date(2025, 1, 1), date(2026, 1, 1)
    assert is_first_charge(first, [first, second])
    assert not is_first_charge(second, [first, second])
    # The first period credited and charged again: only the new charge stands.
    assert is_first_charge(first, [first])


@given(st.dates(), st.dates(), st.dates())
def test_the_window_includes_both_ends(paid: date, a: date, b: date) -> None:
    low, high = min(a, b), max(a, b)
    assert in_window(paid, low, high) == (low <= paid <= high)
    assert in_window(low, low, high)
    assert in_window(high, low, high)


def test_a_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ImpossibleDates):
        check_window(date(2025, 7, 2), date(2025, 7, 1))
    check_window(date(2025, 7, 1), date(2025, 7, 1))
    check_window(None, date(2025, 7, 1))


def test_the_zero_invoice_has_one_line_of_the_item_at_zero() -> None:
    draft = gift_invoice(
        gift_item_no="MUG-1",
        subscription_no=17,
        recipient=RECRUITER,
        payer=PayerId(uuid.uuid4()),
        organisation=None,
        posting_date=date(2025, 7, 1),
    )
    [line] = draft.lines
    assert (draft.total_amount, draft.due_date, line.amount, line.kind) == (
        0,
        date(2025, 7, 1),
        0,
        "recruitment_gift",
    )
    assert "MUG-1" in line.description
    assert line.member_id == RECRUITER
    assert line.subscription_id is None


def test_the_file_has_the_recruiters_name_and_address_and_the_recruits_name() -> None:
    row = ExportRow(
        paid_on=date(2025, 6, 20),
        gift_item_no="MUG-1",
        recipient=Recipient.RECRUITER,
        recruiter=Person(1, "Rita, Hverver", "Vej 1", None, "8000", "Aarhus", "DK"),
        recruit=Person(2, "=HYPERLINK(1)"),
        subscription_no=17,
        product="ANNUAL",
        acquisition_channel="MGM",
        document_no="4",
        invoice_no=None,
    )
    text = csv_text([row])
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    [read] = list(csv.DictReader(io.StringIO(text)))
    assert (read["recruiter_name"], read["recruiter_address"], read["recruiter_city"]) == (
        "Rita, Hverver",
        "Vej 1",
        "Aarhus",
    )
    # A name a spreadsheet would run as a formula is quoted.
    assert read["recruit_name"] == "'=HYPERLINK(1)"
    assert (read["paid_on"], read["recipient"]) == ("2025-06-20", "recruiter")
    assert read["invoice_no"] == ""


def test_cells_that_look_like_formulas_are_neutralised() -> None:
    assert cell("+45 1234") == "'+45 1234"
    assert cell("Anna") == "Anna"
    assert cell(None) == ""
