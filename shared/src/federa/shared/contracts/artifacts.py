"""The bus contract as reviewable files: an AsyncAPI 3.0 document and one JSON Schema per event.

Both are generated from the pydantic models; CI fails when the checked-in copies are stale, so a
contract change is seen in review.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from federa.shared.contracts import REGISTRY
from federa.shared.contracts.registry import EventData, EventSpec
from federa.shared.envelope import CONTENT_TYPE, CloudEvent
from federa.shared.settings import SERVICE_PORTS

SERVICES = tuple(SERVICE_PORTS)


def consumers_by_type() -> dict[str, list[str]]:
    """Which installed service consumes which event type, from their definitions."""
    consumers: dict[str, list[str]] = {}
    for service in SERVICES:
        try:
            module = importlib.import_module(f"federa.{service}.main")
        except ModuleNotFoundError:
            continue
        for subscription in module.DEFINITION.subscriptions:
            consumers.setdefault(subscription.spec.type, []).append(service)
    return consumers


def _data_schema(spec: EventSpec[EventData], ref_template: str) -> dict[str, Any]:
    return spec.model.model_json_schema(ref_template=ref_template)


def event_schema(spec: EventSpec[EventData]) -> dict[str, Any]:
    """A standalone JSON Schema of the whole CloudEvent carrying this event's data."""
    envelope = CloudEvent.model_json_schema()
    data = _data_schema(spec, "#/$defs/{model}")
    defs = {**envelope.pop("$defs", {}), **data.pop("$defs", {})}
    envelope["properties"]["type"] = {"const": spec.type, "title": "Type"}
    envelope["properties"]["dataschema"] = {"const": spec.schema_uri, "title": "Dataschema"}
    envelope["properties"]["data"] = data
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": spec.schema_uri,
        **envelope,
        "title": spec.type,
        "description": spec.description,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def asyncapi(exchange: str = "federa.events") -> dict[str, Any]:
    consumers = consumers_by_type()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for spec in REGISTRY.all():
        data = _data_schema(spec, "#/components/schemas/{model}")
        schemas.update(data.pop("$defs", {}))
        schemas[spec.model.__name__] = data
        message_id = spec.type
        messages[message_id] = {
            "name": spec.type,
            "title": spec.type,
            "summary": spec.description,
            "contentType": CONTENT_TYPE,
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/CloudEvent"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": spec.type},
                            "data": {"$ref": f"#/components/schemas/{spec.model.__name__}"},
                        },
                    },
                ]
            },
            "bindings": {"amqp": {"messageType": spec.type, "deliveryMode": 2}},
        }
        channel_ref = {"$ref": f"#/channels/{spec.routing_key}"}
        message_ref = {"$ref": f"#/channels/{spec.routing_key}/messages/{message_id}"}
        channel = channels.setdefault(
            spec.routing_key,
            {
                "address": spec.routing_key,
                "messages": {},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": exchange,
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                            "vhost": "/",
                        },
                    }
                },
            },
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        operations[f"{spec.service}.sends.{spec.type}"] = {
            "action": "send",
            "title": f"{spec.service} publishes {spec.type} through its outbox",
            "channel": channel_ref,
            "messages": [message_ref],
        }
        for consumer in sorted(consumers.get(spec.type, [])):
            operations[f"{consumer}.receives.{spec.type}"] = {
                "action": "receive",
                "title": f"{consumer} consumes {spec.type} from its queue",
                "channel": channel_ref,
                "messages": [message_ref],
                "bindings": {"amqp": {"ack": True}},
            }
    envelope = CloudEvent.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(envelope.pop("$defs", {}))
    schemas["CloudEvent"] = envelope
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Federa domain events",
            "version": "1.0.0",
            "description": (
                "Every message is a CloudEvents 1.0 event in structured JSON mode on the topic "
                "exchange `federa.events`; the routing key is `<service>.<aggregate>.<event>` "
                "and the CloudEvents `type` is `federa.<service>.<aggregate>.<event>.v<N>`."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {"host": "localhost:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}
        },
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    """Every contract file, by path relative to the contracts folder."""
    files = {"asyncapi.json": _dump(asyncapi())}
    for spec in REGISTRY.all():
        files[f"schemas/{spec.type}.json"] = _dump(event_schema(spec))
    return files


def write(files: dict[str, str], out: Path) -> None:
    for old in (out / "schemas").glob("*.json") if (out / "schemas").exists() else []:
        if f"schemas/{old.name}" not in files:
            old.unlink()
    for relative, content in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def stale_files(files: dict[str, str], out: Path) -> list[str]:
    stale = [
        rel
        for rel, content in files.items()
        if not (out / rel).exists() or (out / rel).read_text() != content
    ]
    if (out / "schemas").exists():
        stale += [
            f"schemas/{p.name}"
            for p in (out / "schemas").glob("*.json")
            if f"schemas/{p.name}" not in files
        ]
    return sorted(stale)
