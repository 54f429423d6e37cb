"""Name keys: normalisation, equivalence groups, the phonetic key and spelling variants."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.members.domain.phonetic import (
    canonical_spellings,
    equivalence_groups,
    normalise,
    phonetic_key,
    phonetic_keyer,
    spelling_variants,
)

# Small alphabets make overlapping fragments likely: the hard cases for a rewrite.
fragments = st.text(alphabet="abch", min_size=1, max_size=4)
tables = st.lists(st.tuples(fragments, fragments), max_size=6)
names = st.text(alphabet="abch k", max_size=16)
NORDIC_TABLE = [("k", "ch"), ("kristian", "christian"), ("ph", "f"), ("w", "v"), ("th", "t")]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Søren Ærø", "soeren aeroe"),
        ("Åse Ødegård", "aase oedegaard"),
        ("Björk Müller", "bjoerk mueller"),
        ("Strauß", "strauss"),
        ("José Álvarez", "jose alvarez"),
        ("Þór Guðmundsson", "thor gudmundsson"),
        ("Łukasz", "lukasz"),
        ("O'Brien", "obrien"),
        ("D\u2019Angelo", "dangelo"),
        ("Hans-Peter  Jensen ", "hans peter jensen"),
        ("ANNA\tBERG", "anna berg"),
        ("!!!", ""),
    ],
)
def test_normalise_folds_letters_and_drops_punctuation(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


@given(st.text())
def test_normalised_text_is_plain_ascii_and_normalising_again_changes_nothing(raw: str) -> None:
    once = normalise(raw)
    assert re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", once)
    assert normalise(once) == once


def test_a_group_is_rewritten_to_its_shortest_spelling() -> None:
    assert canonical_spellings([("Ch", "K")]) == {"ch": "k"}
    assert canonical_spellings([("Kristian", "Christian")]) == {"christian": "kristian"}
    # Equally long: the alphabetically first.
    assert canonical_spellings([("Christyan", "Christian")]) == {"christyan": "christian"}
    # Transitive: c~k and k~ch make one group.
    assert canonical_spellings([("c", "k"), ("k", "ch")]) == {"k": "c", "ch": "c"}


@given(tables, st.randoms(use_true_random=False))
def test_groups_do_not_depend_on_direction_or_order(
    pairs: list[tuple[str, str]], rnd: random.Random
) -> None:
    shuffled = [(b, a) if rnd.random() < 0.5 else (a, b) for a, b in pairs]
    rnd.shuffle(shuffled)
    assert canonical_spellings(shuffled) == canonical_spellings(pairs)


@given(tables)
def test_groups_are_symmetric_and_transitive(pairs: list[tuple[str, str]]) -> None:
    canonical = canonical_spellings(pairs)
    groups = equivalence_groups(canonical)
    for a, b in pairs:
        a, b = normalise(a), normalise(b)
        if a == b:
            continue
        assert groups[a] == groups[b]
        assert canonical.get(a, a) == canonical.get(b, b)
    for spelling, group in groups.items():
        assert spelling in group
        assert all(groups[other] == group for other in group)
        assert group[0] == min(group, key=lambda s: (len(s), s))


def test_kristian_and_christian_share_a_key_whichever_way_the_pair_was_entered() -> None:
    for pair in (("k", "ch"), ("ch", "k"), ("kristian", "christian"), ("christian", "kristian")):
        table = canonical_spellings([pair])
        assert phonetic_key("Kristian", table) == phonetic_key("Christian", table)
    assert phonetic_key("Kristian", {}) != phonetic_key("Christian", {})


def test_the_longest_fragment_is_rewritten_first() -> None:
    table = canonical_spellings([("ch", "k"), ("sch", "sj")])
    # "sch" is one fragment here, not "s" + "ch".
    assert phonetic_key("Schou", table) == phonetic_key("Sjou", table) == "sjou"
    assert phonetic_key("Skou", table) == "skou"


def test_a_canonical_spelling_is_not_broken_up_by_a_shorter_fragment() -> None:
    # "christian" is canonical for its group; the "ch" inside it must not become "k", or
    # "Christyan" (rewritten to "christian") and "Christian" would part.
    table = canonical_spellings([("christyan", "christian"), ("ch", "k")])
    assert phonetic_key("Christian", table) == phonetic_key("Christyan", table) == "christian"
    assert phonetic_key("Chris", table) == "kris"


def test_doubled_letters_collapse() -> None:
    assert phonetic_key("Hanssen", {}) == phonetic_key("Hansen", {}) == "hansen"
    assert phonetic_key("Aagaard", {}) == phonetic_key("Ågård", {}) == "agard"
    # Collapsing follows rewriting: with ck~k, "Backe" becomes "Bakke", then "Bake".
    table = canonical_spellings([("ck", "k")])
    assert phonetic_key("Backe", table) == phonetic_key("Bakke", table) == "bake"


@given(tables, names)
def test_the_key_of_a_key_is_the_key(pairs: list[tuple[str, str]], name: str) -> None:
    table = canonical_spellings(pairs)
    key = phonetic_key(name, table)
    assert phonetic_key(key, table) == key


@given(tables, names)
def test_a_key_is_never_longer_than_the_normalised_name(
    pairs: list[tuple[str, str]], name: str
) -> None:
    assert len(phonetic_key(name, canonical_spellings(pairs))) <= len(normalise(name))


@given(tables)
def test_both_spellings_of_a_pair_get_one_key(pairs: list[tuple[str, str]]) -> None:
    table = canonical_spellings(pairs)
    for a, b in pairs:
        assert phonetic_key(a, table) == phonetic_key(b, table)


@given(st.lists(st.sampled_from([w for pair in NORDIC_TABLE for w in pair]), min_size=1))
def test_whole_words_swap_for_their_equivalents(words: list[str]) -> None:
    table = canonical_spellings(NORDIC_TABLE)
    groups = equivalence_groups(table)
    swapped = [groups[w][-1] for w in words]
    assert phonetic_key(" ".join(words), table) == phonetic_key(" ".join(swapped), table)


def test_the_prepared_keyer_agrees_with_phonetic_key() -> None:
    table = canonical_spellings(NORDIC_TABLE)
    keyer = phonetic_keyer(table)
    for name in ("Kristian Thomsen", "Christian Tomsen", "Philip Wærum", "Filip Værum"):
        assert keyer(name) == phonetic_key(name, table)
    assert keyer("Philip Wærum") == keyer("Filip Værum")


def test_spelling_variants_start_with_the_typed_spelling_and_change_little_first() -> None:
    table = canonical_spellings([("k", "ch")])
    assert spelling_variants("Kirkegård", table) == [
        "kirkegaard",
        "chirkegaard",
        "kirchegaard",
        "chirchegaard",
    ]
    assert spelling_variants("Anna", table) == ["anna"]
    assert spelling_variants("Anna", {}) == ["anna"]
    assert spelling_variants("!!", table) == []


@given(tables, names)
def test_spelling_variants_are_few_distinct_and_begin_with_the_typed_one(
    pairs: list[tuple[str, str]], name: str
) -> None:
    table = canonical_spellings(pairs)
    variants = spelling_variants(name, table, limit=8)
    assert len(variants) <= 8
    assert len(set(variants)) == len(variants)
    if normalise(name):
        assert variants[0] == normalise(name)
