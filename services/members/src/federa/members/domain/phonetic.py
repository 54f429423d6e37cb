"""Search keys for names: a normalised form for typo-tolerant search and a phonetic key
built from the tenant's spelling equivalences (SPEC §2.1 rules 1-2: Kristian/Christian).

Equivalences are symmetric and transitive: a registered pair (fragment, phonetic) puts both
spellings in one group, and every spelling of a group is rewritten to the group's canonical
spelling, so `Kristian` and `Christian` get the same key whichever way the pair was entered.
The canonical spelling is the group's shortest (then alphabetically first): rewriting then
never lengthens a name.

Rewriting reads the name left to right and, at each position, takes the longest spelling of
any group (canonical spellings included, so a canonical spelling is never broken up by a
shorter fragment inside it); doubled letters are then collapsed. This is repeated until the
text no longer changes, so the key is a fixed point: the key of a key is the key itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import combinations, product

# Letters NFKD does not decompose, written the way Nordic and German spelling does.
_FOLD = str.maketrans(
    {
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "ð": "d",
        "þ": "th",
        "đ": "d",
        "ł": "l",
        "œ": "oe",
    }
)
# An apostrophe joins a name (O'Brien, D'Angelo) rather than separating two words.
_APOSTROPHES = re.compile(r"['\u2019`\u00b4]")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_DOUBLED = re.compile(r"(.)\1+")
# Passes never lengthen the text, so a rewrite that does not settle is cycling; the cycle's
# smallest member is taken, which keeps the key deterministic and still a fixed point.
_MAX_PASSES = 64


def normalise(name: str) -> str:
    """Lower case, Nordic letters folded to ASCII, punctuation dropped, spaces collapsed."""
    folded = _APOSTROPHES.sub("", name.lower()).translate(_FOLD)
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", folded)).strip()


def _canonical_order(spelling: str) -> tuple[int, str]:
    return (len(spelling), spelling)


def canonical_spellings(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map every fragment in an equivalence group to the group's canonical spelling.

    The canonical spellings themselves are not keys; they are the values.
    """
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
            keep, drop = sorted((ra, rb), key=_canonical_order)
            parent[drop] = keep
    return {fragment: find(fragment) for fragment in parent if fragment != find(fragment)}


def equivalence_groups(canonical: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Every spelling → all spellings of its group, the canonical one first."""
    members: dict[str, set[str]] = {}
    for fragment, root in canonical.items():
        members.setdefault(root, {root}).add(fragment)
    groups: dict[str, tuple[str, ...]] = {}
    for root, spellings in members.items():
        ordered = (root, *sorted(spellings - {root}))
        for spelling in ordered:
            groups[spelling] = ordered
    return groups


def _alternation(spellings: Iterable[str]) -> re.Pattern[str]:
    # Longest first: at each position the regex takes the first alternative that matches.
    ordered = sorted(set(spellings), key=lambda s: (-len(s), s))
    return re.compile("|".join(re.escape(s) for s in ordered))


@lru_cache(maxsize=64)
def _keyer(table: frozenset[tuple[str, str]]) -> Callable[[str], str]:
    canonical = dict(table)
    if not canonical:
        return lambda text: _DOUBLED.sub(r"\1", text)
    pattern = _alternation([*canonical, *canonical.values()])

    def one_pass(text: str) -> str:
        rewritten = pattern.sub(lambda m: canonical.get(m.group(0), m.group(0)), text)
        return _DOUBLED.sub(r"\1", rewritten)

    def key(text: str) -> str:
        seen = [text]
        for _ in range(_MAX_PASSES):
            following = one_pass(seen[-1])
            if following == seen[-1]:
                return following
            if following in seen:
                return min(seen[seen.index(following) :])
            seen.append(following)
        return seen[-1]

    return key


def phonetic_keyer(
    canonical: Mapping[str, str], *, normalised: bool = False
) -> Callable[[str], str]:
    """`phonetic_key` with the table prepared once: for keying many names in a row.

    With `normalised`, the names given are `normalise`d already.
    """
    key = _keyer(frozenset(canonical.items()))
    return key if normalised else lambda name: key(normalise(name))


def phonetic_key(name: str, canonical: Mapping[str, str]) -> str:
    """The name with equivalent fragments rewritten and doubled letters collapsed."""
    return phonetic_keyer(canonical)(name)


def spelling_variants(text: str, canonical: Mapping[str, str], limit: int = 16) -> list[str]:
    """The normalised text and the spellings the equivalences make of it, fewest changes
    first, at most `limit`: the search looks all of them up in the trigram index."""
    base = normalise(text)
    if not base or not canonical:
        return [base] if base else []
    groups = equivalence_groups(canonical)
    pattern = _alternation(groups)
    # The text cut into literal pieces and fragments; a fragment may take any spelling of
    # its group, the one written first.
    pieces: list[tuple[str, ...]] = []
    at = 0
    for match in pattern.finditer(base):
        if match.start() > at:
            pieces.append((base[at : match.start()],))
        written = match.group(0)
        pieces.append((written, *(s for s in groups[written] if s != written)))
        at = match.end()
    if at < len(base):
        pieces.append((base[at:],))
    variants: list[str] = []
    for variant in _by_fewest_changes(pieces):
        if variant not in variants:
            variants.append(variant)
            if len(variants) >= limit:
                break
    return variants


def _by_fewest_changes(pieces: list[tuple[str, ...]]) -> Iterator[str]:
    changeable = [i for i, options in enumerate(pieces) if len(options) > 1]
    written = [options[0] for options in pieces]
    for count in range(len(changeable) + 1):
        for positions in combinations(changeable, count):
            for choice in product(*(pieces[p][1:] for p in positions)):
                spelled = list(written)
                for position, spelling in zip(positions, choice, strict=True):
                    spelled[position] = spelling
                yield _SPACES.sub(" ", "".join(spelled)).strip()
