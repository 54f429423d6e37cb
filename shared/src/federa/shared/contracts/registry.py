"""Event specifications: one per event type, the single source of names and schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Base of every event payload.

    Consumers ignore fields they do not know, so a producer may add optional fields within a
    version; anything else is a new version.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)


D = TypeVar("D", bound=EventData)


@dataclass(frozen=True)
class EventSpec(Generic[D]):
    service: str
    aggregate: str
    event: str
    version: int
    model: type[D]
    description: str = ""
    consumers: tuple[str, ...] = field(default=())

    @property
    def type(self) -> str:
        return f"federa.{self.service}.{self.aggregate}.{self.event}.v{self.version}"

    @property
    def routing_key(self) -> str:
        return f"{self.service}.{self.aggregate}.{self.event}"

    @property
    def schema_uri(self) -> str:
        return f"urn:federa:schema:{self.service}.{self.aggregate}.{self.event}:v{self.version}"

    def parse(self, data: dict[str, object]) -> D:
        return self.model.model_validate(data)


class Registry:
    """Every event type known to the platform, looked up by CloudEvents `type`."""

    def __init__(self) -> None:
        self._by_type: dict[str, EventSpec[EventData]] = {}

    def add(self, spec: EventSpec[D]) -> EventSpec[D]:
        if spec.type in self._by_type:
            raise ValueError(f"event type registered twice: {spec.type}")
        self._by_type[spec.type] = spec  # type: ignore[assignment]
        return spec

    def get(self, event_type: str) -> EventSpec[EventData] | None:
        return self._by_type.get(event_type)

    def all(self) -> list[EventSpec[EventData]]:
        return sorted(self._by_type.values(), key=lambda s: s.type)


REGISTRY = Registry()


def event(
    service: str, aggregate: str, name: str, version: int, model: type[D], description: str
) -> EventSpec[D]:
    """Declare an event type in the platform registry."""
    return REGISTRY.add(EventSpec(service, aggregate, name, version, model, description))
