"""Message bus: a :class:`Bus` protocol with an in-process and a NATS JetStream implementation."""

from amane.bus.base import Bus, Delivery, Subscription, publish_message
from amane.bus.memory import MemoryBus


def connect_bus(url: str) -> Bus:
    """The bus named by ``url``: ``memory://`` (embedded default); ``nats://`` arrives with the NATS bus."""
    if url.startswith("memory://"):
        return MemoryBus()
    raise ValueError(f"unsupported bus_url {url!r}: use memory:// (nats:// is not available yet)")


__all__ = ["Bus", "Delivery", "MemoryBus", "Subscription", "connect_bus", "publish_message"]
