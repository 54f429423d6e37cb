"""Rules 3-8: each strategy with exact, over- and underpayments against several open items.

Each row: the open items (A oldest), the payment, and what the strategy decides: allocations
per item as `name: applied[+written off]`, gift, exception and its reason. SPEC §5 rows 31-34
are marked where they are the row.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from federa.payments.domain.outcome import Application, ExceptionReason
from federa.payments.domain.setup import Overpayment, Rules, SourceSetup, Strategy, Tolerance
from federa.payments.domain.setup import Underpayment as Under
from federa.payments.domain.strategies import apply_payment

from .builders import doc, items

SINGLE = Strategy.SINGLE_CHARGE
WHOLE = Strategy.WHOLE_DOCUMENT
MOST = Strategy.AS_MUCH_AS_POSSIBLE
MOST_WHOLE = Strategy.WHOLE_DOCUMENTS_AS_POSSIBLE
GIFT, EXC = Overpayment.GIFT, Overpayment.EXCEPTION
R = ExceptionReason


def rules(
    strategy: Strategy,
    over: Overpayment = GIFT,
    under: Under = Under.WRITE_OFF,
    *,
    writeoff_max: int | None = 10,
    tolerance: Tolerance | None = None,
) -> Rules:
    return Rules(
        source=SourceSetup(strategy, over, under),
        writeoff_enabled=writeoff_max is not None,
        writeoff_max=writeoff_max or 0,
        tolerance=tolerance,
    )


def summary(result: Application) -> tuple[dict[str, str], int, int, ExceptionReason | None]:
    names = {doc(n): n for n in "ABCDE"}
    allocations = {
        names[a.document_id]: f"{a.amount}" + (f"+{a.written_off}" if a.written_off else "")
        for a in result.allocations
    }
    return allocations, result.gift, result.exception, result.reason


CASES = [
    # strategy, open items, payment, rules kwargs, (allocations, gift, exception, reason)
    # --- single charge (rule 3)
    pytest.param(SINGLE, (300, 200), 300, {}, ({"A": "300"}, 0, 0, None), id="single-exact"),
    pytest.param(
        SINGLE, (300, 200), 500, {}, ({"A": "300"}, 200, 0, None), id="single-over-row-32"
    ),
    pytest.param(
        SINGLE, (300, 200), 295, {}, ({"A": "295+5"}, 0, 0, None), id="single-under-in-limit"
    ),
    pytest.param(
        SINGLE, (300, 200), 280, {}, ({}, 0, 280, R.PARTIAL_PAYMENT), id="single-under-beyond"
    ),
    pytest.param(SINGLE, (), 150, {}, ({}, 150, 0, None), id="single-no-charge-gift"),
    pytest.param(
        SINGLE,
        (300, 200),
        500,
        {"over": EXC},
        ({"A": "300"}, 0, 200, R.OVERPAYMENT),
        id="single-over-exception",
    ),
    # --- whole document (rule 4)
    pytest.param(WHOLE, (300, 200), 200, {}, ({"B": "200"}, 0, 0, None), id="whole-exact-B"),
    pytest.param(WHOLE, (300, 200), 350, {}, ({"A": "300"}, 50, 0, None), id="whole-over"),
    pytest.param(
        WHOLE, (300, 200), 195, {}, ({"B": "195+5"}, 0, 0, None), id="whole-under-in-limit"
    ),
    pytest.param(
        WHOLE, (300, 200), 150, {}, ({}, 0, 150, R.PARTIAL_PAYMENT), id="whole-under-no-gift"
    ),
    pytest.param(WHOLE, (), 80, {}, ({}, 80, 0, None), id="whole-no-charge-gift"),
    # --- as much as possible (rule 5)
    pytest.param(
        MOST, (300, 200), 400, {}, ({"A": "300", "B": "100"}, 0, 0, None), id="most-row-33"
    ),
    pytest.param(
        MOST, (300, 200), 500, {}, ({"A": "300", "B": "200"}, 0, 0, None), id="most-exact"
    ),
    pytest.param(
        MOST, (300, 200), 550, {}, ({"A": "300", "B": "200"}, 50, 0, None), id="most-over"
    ),
    pytest.param(
        MOST,
        (300, 200),
        495,
        {},
        ({"A": "300", "B": "195+5"}, 0, 0, None),
        id="most-under-in-limit-row-31",
    ),
    pytest.param(
        MOST,
        (300, 200),
        480,
        {"under": Under.EXCEPTION},
        ({"A": "300", "B": "180"}, 0, 0, None),
        id="most-under-stays-open",
    ),
    # --- as many whole documents as possible (rule 6)
    pytest.param(
        MOST_WHOLE,
        (300, 200),
        600,
        {},
        ({"A": "300", "B": "200"}, 100, 0, None),
        id="most-whole-over-row-34",
    ),
    pytest.param(
        MOST_WHOLE,
        (300, 200),
        400,
        {},
        ({"A": "300"}, 0, 100, R.REMAINDER),
        id="most-whole-remainder-row-34",
    ),
    pytest.param(
        MOST_WHOLE,
        (400, 100, 200),
        300,
        {},
        ({"B": "100", "C": "200"}, 0, 0, None),
        id="most-whole-skips-too-large",
    ),
    pytest.param(
        MOST_WHOLE,
        (300, 200),
        495,
        {},
        ({"A": "300", "B": "195+5"}, 0, 0, None),
        id="most-whole-under-in-limit",
    ),
    pytest.param(
        MOST_WHOLE,
        (300, 200),
        500,
        {},
        ({"A": "300", "B": "200"}, 0, 0, None),
        id="most-whole-exact",
    ),
]


@pytest.mark.parametrize(("strategy", "amounts", "payment", "kwargs", "expected"), CASES)
def test_strategy_table(
    strategy: Strategy,
    amounts: tuple[int, ...],
    payment: int,
    kwargs: dict[str, object],
    expected: tuple[dict[str, str], int, int, ExceptionReason | None],
) -> None:
    result = apply_payment(payment, items(*amounts), rules(strategy, **kwargs))  # type: ignore[arg-type]
    assert summary(result) == expected


def test_single_charge_prefers_an_order_of_exactly_the_amount_over_the_oldest() -> None:
    from .builders import item

    open_items = [item("A", 300, age=0), item("B", 200, age=1, kind="order")]
    result = apply_payment(200, open_items, rules(SINGLE))
    assert summary(result) == ({"B": "200"}, 0, 0, None)


def test_without_write_off_a_shortfall_beyond_nothing_is_forgiven() -> None:
    result = apply_payment(299, items(300), rules(SINGLE, writeoff_max=None))
    assert summary(result) == ({}, 0, 299, R.PARTIAL_PAYMENT)


def test_write_off_needs_the_sources_underpayment_rule_to_be_write_off() -> None:
    result = apply_payment(299, items(300), rules(SINGLE, under=Under.EXCEPTION))
    assert summary(result) == ({}, 0, 299, R.PARTIAL_PAYMENT)


@pytest.mark.parametrize(
    ("tolerance", "payment", "expected"),
    [
        (Tolerance(amount=20), 480, ({"A": "480+20"}, 0, 0, None)),
        (Tolerance(amount=20), 479, ({}, 0, 479, R.PARTIAL_PAYMENT)),
        (Tolerance(percent=Decimal("5")), 475, ({"A": "475+25"}, 0, 0, None)),
        (Tolerance(percent=Decimal("5")), 474, ({}, 0, 474, R.PARTIAL_PAYMENT)),
        # Rule 7 wins over the tolerance: an overpayment is a gift whatever its size.
        (Tolerance(amount=20), 900, ({"A": "500"}, 400, 0, None)),
    ],
)
def test_tolerance_forgives_a_reference_payments_shortfall_beyond_the_write_off_limit(
    tolerance: Tolerance, payment: int, expected: object
) -> None:
    result = apply_payment(
        payment,
        items(500),
        rules(SINGLE, writeoff_max=None, tolerance=tolerance),
        reference_payment=True,
    )
    assert summary(result) == expected


def test_tolerance_does_not_apply_to_payments_without_a_reference() -> None:
    result = apply_payment(
        480, items(500), rules(SINGLE, writeoff_max=None, tolerance=Tolerance(amount=20))
    )
    assert summary(result) == ({}, 0, 480, R.PARTIAL_PAYMENT)


def test_nothing_open_with_the_exception_rule_keeps_the_money_for_a_person() -> None:
    result = apply_payment(100, [], rules(MOST, over=EXC))
    assert summary(result) == ({}, 0, 100, R.NOTHING_OPEN)


def test_an_excess_of_exactly_the_reminder_fee_waits_for_a_person_instead_of_a_gift() -> None:
    with_fee = Rules(source=SourceSetup(SINGLE, GIFT), reminder_fee=2500)
    assert summary(apply_payment(52500, items(50000), with_fee)) == (
        {"A": "50000"},
        0,
        2500,
        R.REMINDER_FEE_INCLUDED,
    )
    assert summary(apply_payment(52600, items(50000), with_fee)) == ({"A": "50000"}, 2600, 0, None)


def test_a_payment_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        apply_payment(0, items(100), rules(MOST))
