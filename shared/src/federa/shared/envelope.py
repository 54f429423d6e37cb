"""The CloudEvents 1.0 envelope every message on the bus travels in (structured JSON mode)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import propagate
from pydantic import BaseModel, ConfigDict, Field

from federa.shared.contracts.registry import EventSpec

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with Federa's extension attributes.

    Extension names follow the CloudEvents rule (lower-case letters and digits only) so an
    off-the-shelf SDK decodes every message.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    # Extensions.
    tenant: str
    aggregateversion: int = Field(ge=1)
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def routing_key(self) -> str:
        return routing_key_of(self.type)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, body: bytes | str) -> CloudEvent:
        return cls.model_validate_json(body)


def routing_key_of(event_type: str) -> str:
    """`federa.billing.document.issued.v1` → `billing.document.issued`."""
    parts = event_type.split(".")
    if len(parts) < 4 or parts[0] != "federa" or not parts[-1].startswith("v"):
        raise ValueError(f"not a Federa event type: {event_type!r}")
    return ".".join(parts[1:-1])


def new_event(
    spec: EventSpec[Any],
    data: BaseModel,
    *,
    subject: str,
    tenant: str,
    aggregate_version: int,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Build the envelope for one domain event; the only place envelopes are made."""
    if not isinstance(data, spec.model):
        raise TypeError(f"{spec.type} carries {spec.model.__name__}, not {type(data).__name__}")
    return envelope_of(
        spec,
        data.model_dump(mode="json"),
        subject=subject,
        tenant=tenant,
        aggregate_version=aggregate_version,
        correlation_id=correlation_id,
        causation_id=causation_id,
        time=time,
    )


def envelope_of(
    spec: EventSpec[Any],
    data: dict[str, Any],
    *,
    subject: str,
    tenant: str,
    aggregate_version: int,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> CloudEvent:
    """The envelope around `data` already in `spec`'s JSON form. Not validated again: every
    field here is set by this function, and a producer of hundreds of events per transaction
    builds the data itself (see `new_event` for a model)."""
    if aggregate_version < 1:
        raise ValueError(f"aggregate version must be at least 1, not {aggregate_version}")
    event_id = str(uuid.uuid4())
    return CloudEvent.model_construct(
        id=event_id,
        source=f"/federa/{spec.service}",
        type=spec.type,
        subject=subject,
        time=time or datetime.now(UTC),
        dataschema=spec.schema_uri,
        tenant=tenant,
        aggregateversion=aggregate_version,
        correlationid=correlation_id or event_id,
        causationid=causation_id,
        traceparent=traceparent,
        data=data,
    )


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, if any: what an event written now carries."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")
