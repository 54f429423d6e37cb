"""The hand-built event history the service tests share, and the facts it should yield.

federation → north (region) → branch a, branch b; south (region) → branch c.
"""

from __future__ import annotations

from datetime import date

from federa.statistics.fixtures import History

D = date


def reference_history(tenant: str) -> History:
    h = History(tenant)
    h.organisation("federation", "federation")
    h.organisation("north", "region", "federation")
    h.organisation("south", "region", "federation")
    h.organisation("a", "branch", "north")
    h.organisation("b", "branch", "north")
    h.organisation("c", "branch", "south")
    h.member("anna", org="a", gender="F", birth_date=D(1950, 5, 1), postcode="2100")
    h.member(
        "bo",
        org="a",
        gender="M",
        birth_date=D(1990, 2, 2),
        postcode="2100",
        enrolment_date=D(2024, 1, 1),
    )
    h.member("carl", org="b", gender="M", birth_date=D(1930, 1, 1), postcode="2200")
    h.member(
        "dora",
        org="c",
        gender="F",
        birth_date=D(1980, 7, 7),
        postcode="8000",
        enrolment_date=D(2024, 3, 1),
    )
    h.member("erik", org="c", gender="M", postcode="8000")
    h.member(
        "fia",
        org="b",
        gender="F",
        birth_date=D(2001, 1, 1),
        postcode="2200",
        enrolment_date=D(2024, 5, 1),
    )

    # anna: a running membership since 2023, paid for 2024.
    h.start("anna-memb", "anna", "MEMB", D(2023, 1, 1))
    h.invoice(
        "anna-2024",
        [("anna-memb", D(2024, 1, 1), D(2024, 12, 31), 45000)],
        posting_date=D(2024, 1, 2),
        due_date=D(2024, 1, 31),
    )
    h.pay("anna-2024", "anna-2024", 45000, D(2024, 1, 20))

    # bo: billed through March, committed through June: runs until June.
    h.start("bo-memb", "bo", "MEMB", D(2024, 1, 1), to_date=D(2024, 6, 30))
    h.invoice(
        "bo-q1",
        [("bo-memb", D(2024, 1, 1), D(2024, 3, 31), 30000)],
        posting_date=D(2024, 1, 2),
        due_date=D(2024, 2, 1),
    )
    h.pay("bo-part", "bo-q1", 10000, D(2024, 2, 10))
    # ... and edge to edge a magazine from July: a switch.
    h.start("bo-mag", "bo", "MAG", D(2024, 7, 1))
    h.invoice(
        "bo-mag-draft",
        [("bo-mag", D(2024, 7, 1), D(2024, 12, 31), 12000)],
        posting_date=D(2024, 7, 1),
        due_date=D(2024, 7, 31),
        kind="draft_invoice",
    )

    # carl: ended before 2024.
    h.start("carl-memb", "carl", "MEMB", D(2022, 1, 1), to_date=D(2023, 12, 31))
    h.invoice(
        "carl-2023",
        [("carl-memb", D(2023, 1, 1), D(2023, 12, 31), 40000)],
        posting_date=D(2023, 1, 2),
        due_date=D(2023, 1, 31),
    )

    # dora: a half-year card, then a running one edge to edge, which is deleted: no switch.
    h.start("dora-half", "dora", "MEMB", D(2024, 3, 1), to_date=D(2024, 8, 31), price_code="HALF")
    h.invoice(
        "dora-half",
        [("dora-half", D(2024, 3, 1), D(2024, 8, 31), 24000)],
        posting_date=D(2024, 3, 1),
        due_date=D(2024, 3, 31),
    )
    h.start("dora-run", "dora", "MEMB", D(2024, 9, 1))
    h.delete("dora-run")

    # erik: a running magazine, billed Feb-Sep, stopped from October.
    h.start("erik-mag", "erik", "MAG", D(2024, 2, 1))
    h.invoice(
        "erik-mag",
        [("erik-mag", D(2024, 2, 1), D(2024, 9, 30), 16000)],
        posting_date=D(2024, 2, 1),
        due_date=D(2024, 3, 1),
    )
    h.stop("erik-mag", D(2024, 10, 1), reason="MOVED")

    # fia: a running student membership from May, notified by an order not yet paid.
    h.start("fia-memb", "fia", "MEMB", D(2024, 5, 1), price_code="STUD")
    h.invoice(
        "fia-order",
        [("fia-memb", D(2024, 5, 1), D(2025, 4, 30), 24000)],
        posting_date=D(2024, 5, 1),
        due_date=D(2024, 5, 31),
        kind="order",
    )
    h.change_price_code("fia-memb", "STD", D(2024, 9, 1))  # no longer a student
    h.unidentified_payment("stray", 5000, D(2024, 6, 3))
    h.exception("short", 20000)
    h.exception("twice", 30000, resolved=True)
    h.member_left("carl", D(2024, 1, 15), "deceased")
    return h


# (label, member, product, from, end, monthly revenue) as the rules say they should come out.
EXPECTED_FACTS = [
    ("anna-memb", "anna", "MEMB", D(2023, 1, 1), None, 3750),
    ("bo-memb", "bo", "MEMB", D(2024, 1, 1), D(2024, 6, 30), 10000),
    ("bo-mag", "bo", "MAG", D(2024, 7, 1), None, 2000),
    ("carl-memb", "carl", "MEMB", D(2022, 1, 1), D(2023, 12, 31), 3333),
    ("dora-half", "dora", "MEMB", D(2024, 3, 1), D(2024, 8, 31), 4000),
    ("erik-mag", "erik", "MAG", D(2024, 2, 1), D(2024, 9, 30), 2000),
    ("fia-memb", "fia", "MEMB", D(2024, 5, 1), None, 2000),
]
