"""Event contracts: pydantic models of every event's data, one module per publishing service.

Importing this package registers every event type in `REGISTRY`.
"""

from federa.shared.contracts import billing, members, payments
from federa.shared.contracts.registry import REGISTRY, EventData, EventSpec

__all__ = ["REGISTRY", "EventData", "EventSpec", "billing", "members", "payments"]
