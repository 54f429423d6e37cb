from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.contracts.registry import EventData, Registry
from federa.shared.envelope import CloudEvent, new_event, routing_key_of


def _registered() -> MemberRegisteredV1:
    return MemberRegisteredV1(
        member_id=uuid.uuid4(),
        member_number=7,
        name="Anna",
        status="active",
        enrolment_date=date(2026, 1, 1),
        registered_at=datetime.now(UTC),
        registered_by="u1",
    )


def test_the_routing_key_is_the_type_without_prefix_and_version() -> None:
    assert routing_key_of("federa.billing.document.issued.v1") == "billing.document.issued"
    assert MEMBER_REGISTERED.routing_key == "members.member.registered"
    assert MEMBER_REGISTERED.type == "federa.members.member.registered.v1"


@pytest.mark.parametrize("bad", ["billing.document.issued", "federa.x.v1", "acme.a.b.c.v1"])
def test_a_type_outside_the_naming_scheme_has_no_routing_key(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Federa event type"):
        routing_key_of(bad)


def test_a_new_event_carries_the_cloudevents_attributes_and_extensions() -> None:
    data = _registered()
    envelope = new_event(
        MEMBER_REGISTERED, data, subject=str(data.member_id), tenant="t1", aggregate_version=3
    )
    assert envelope.specversion == "1.0"
    assert envelope.source == "/federa/members"
    assert envelope.type == MEMBER_REGISTERED.type
    assert envelope.tenant == "t1"
    assert envelope.aggregateversion == 3
    assert envelope.correlationid == envelope.id  # a new causal chain starts here
    assert envelope.dataschema == "urn:federa:schema:members.member.registered:v1"
    assert CloudEvent.from_json(envelope.to_json()) == envelope


def test_an_event_refuses_data_of_another_contract() -> None:
    class Other(EventData):
        x: int

    with pytest.raises(TypeError):
        new_event(MEMBER_REGISTERED, Other(x=1), subject="s", tenant="t", aggregate_version=1)


def test_aggregate_versions_start_at_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        new_event(MEMBER_REGISTERED, _registered(), subject="s", tenant="t", aggregate_version=0)


def test_consumers_ignore_fields_they_do_not_know() -> None:
    payload = _registered().model_dump(mode="json") | {"added_in_a_later_release": True}
    assert MEMBER_REGISTERED.parse(payload).name == "Anna"


def test_an_event_type_cannot_be_registered_twice() -> None:
    registry = Registry()
    registry.add(MEMBER_REGISTERED)
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(MEMBER_REGISTERED)
