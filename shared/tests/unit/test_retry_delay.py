from __future__ import annotations

from federa.shared.messaging.consumer import retry_delay


def test_the_hold_before_redelivery_doubles_from_the_base_up_to_the_cap() -> None:
    delays = [retry_delay(n, base=0.5, cap=30) for n in range(8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_a_first_delivery_without_a_count_waits_the_base() -> None:
    assert retry_delay(-1, base=0.25) == 0.25
