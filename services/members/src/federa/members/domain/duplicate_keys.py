"""What "the same street and house number" means for the duplicate check (SPEC §2.1 rule 1).

Addresses arrive split (street name, number, letter) or as one line typed by hand or imported
(`Vestergade 12 B, 2. th.`). Both are reduced to one key — the street's words without spaces
and the house number with its letter — so `Vestergade 12B`, `vestergade 12 b, st.` and
`Vester Gade 12B` compare equal, while `Vestergade 14` does not. Floor and side are not part
of the key: SPEC names street, number and postcode only.
"""

from __future__ import annotations

from federa.members.domain.phonetic import normalise


def street_key(
    street_name: str | None,
    street_no: str | None,
    street_letter: str | None,
    address: str | None,
) -> str | None:
    """`<street words>|<number><letter>`, or None when there is no street to compare.

    A one-line address wins when present: the service composes it from the split fields, so
    both forms of one address give the same key.
    """
    if address and address.strip():
        return _from_line(address)
    if street_name and street_name.strip():
        street = normalise(street_name).replace(" ", "")
        number = normalise(f"{street_no or ''}{street_letter or ''}").replace(" ", "")
        return f"{street}|{number}" if street else None
    return None


def _from_line(line: str) -> str | None:
    # The floor and side follow the first comma (`12B, 2. th.`); the street comes before.
    words = normalise(line.split(",", 1)[0]).split()
    street: list[str] = []
    number = ""
    for at, word in enumerate(words):
        # A number opening the line is part of the name (`10. Februar Vej 3`).
        if street and word[0].isdigit():
            number = word
            following = words[at + 1] if at + 1 < len(words) else ""
            if word.isdigit() and len(following) == 1 and following.isalpha():
                number += following
            break
        street.append(word)
    return f"{''.join(street)}|{number}" if street else None
