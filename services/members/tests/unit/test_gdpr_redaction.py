"""Erasure's pure rules: what replaces personal data, and how history entries are redacted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from federa.members.gdpr import (
    PERSONAL_FIELDS,
    REDACTED,
    erased_name,
    pseudonymised,
    redact,
    redact_value,
)


def test_pseudonymised_values_clear_every_personal_field_and_name_the_number() -> None:
    values = pseudonymised({"member_number": 17, "name": "Anna Holm"})

    assert values["name"] == erased_name(17) == "Erased member 17"
    assert values["tags"] == []
    assert (values["search_name"], values["phonetic_name"]) == ("", "")
    assert all(values[f] is None for f in PERSONAL_FIELDS if f not in ("name", "tags"))
    assert "country_code" not in values
    assert "member_number" not in values


def test_redaction_keeps_field_names_and_non_personal_values() -> None:
    entry = {
        "email": {"from": "a@example.org", "to": "b@example.org"},
        "status": {"from": "active", "to": "passive"},
        "reason": {"from": None, "to": "moved in with her sister"},
    }

    redacted = redact(entry)

    assert redacted == {
        "email": REDACTED,
        "status": {"from": "active", "to": "passive"},
        "reason": REDACTED,
    }


@given(
    st.dictionaries(
        st.sampled_from([*PERSONAL_FIELDS, "status", "category", "leaving_date"]),
        st.fixed_dictionaries({"from": st.text(), "to": st.text()}),
    )
)
def test_redacting_twice_is_redacting_once(entry: dict[str, dict[str, str]]) -> None:
    once = redact(entry)
    assert redact(once) == once
    assert set(once) == set(entry)


def test_a_propagated_name_is_dropped_only_where_it_appears() -> None:
    entry = {
        "name_2": {"from": None, "to": "Anna Holm"},
        "status": {"from": "active", "to": "left"},
    }

    assert redact_value(entry, "name_2", "Anna Holm")["name_2"] == REDACTED
    assert redact_value(entry, "name_2", "Bo Holm") == entry
