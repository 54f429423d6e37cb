"""The CloudEvents 1.0 envelope every message on the bus travels in (structured JSON mode)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

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
    event_id = str(uuid.uuid4())
    return CloudEvent(
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
        data=data.model_dump(mode="json"),
    )
