"""Search keys for names: a normalised form for typo-tolerant search and a phonetic key
built from the tenant's spelling equivalences (SPEC §2.1 rules 1-2: Kristian/Christian).

Equivalences are symmetric: a registered pair (fragment, phonetic) puts both spellings in one
group, and every member of a group is rewritten to the group's canonical spelling (the
alphabetically first), so `Kristian` and `Christian` get the same key whichever way the pair
was entered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

_FOLD = str.maketrans(
    {
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "á": "a",
        "à": "a",
        "ó": "o",
    }
)
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_DOUBLED = re.compile(r"(.)\1+")


def normalise(name: str) -> str:
    """Lower case, Nordic letters folded to ASCII, punctuation dropped, spaces collapsed."""
    folded = name.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", folded)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", ascii_only)).strip()


def canonical_spellings(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map every fragment in an equivalence group to the group's canonical spelling."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        a, b = normalise(a), normalise(b)
        if not a or not b:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {fragment: find(fragment) for fragment in parent if fragment != find(fragment)}


def phonetic_key(name: str, canonical: Mapping[str, str]) -> str:
    """The name with equivalent fragments rewritten and doubled letters collapsed."""
    text = normalise(name)
    if canonical:
        # Longest fragments first, so "christian" is rewritten before "ch".
        fragments = sorted(canonical, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(f) for f in fragments))
        text = pattern.sub(lambda m: canonical[m.group(0)], text)
    return _DOUBLED.sub(r"\1", text)
