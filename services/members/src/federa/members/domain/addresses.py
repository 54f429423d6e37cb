"""Composing a one-line address from its parts (SPEC §2.1: split address → `address`)."""

from __future__ import annotations

from dataclasses import dataclass

FLOOR_SIDES = {"tv": "tv.", "th": "th.", "mf": "mf.", "midt": "midt"}


@dataclass(frozen=True)
class StreetAddress:
    street_name: str
    street_no: str | None = None
    street_letter: str | None = None
    floor: str | None = None
    floor_side: str | None = None

    def one_line(self) -> str:
        """`Vestergade 12B, 2. th.` — house number and letter together, floor after a comma."""
        line = self.street_name.strip()
        number = f"{self.street_no or ''}{(self.street_letter or '').upper()}".strip()
        if number:
            line = f"{line} {number}"
        if self.floor:
            floor = self.floor.strip()
            floor = floor if not floor.isdigit() else f"{floor}."
            side = FLOOR_SIDES.get((self.floor_side or "").strip().lower(), self.floor_side or "")
            line = f"{line}, {floor} {side}".rstrip()
        return line
