"""Message bus: a :class:`Bus` protocol with an in-process and a NATS JetStream implementation."""

from amane.bus.base import Bus, Delivery, Subscription, publish_message
from amane.bus.memory import MemoryBus


def connect_bus(url: str) -> Bus:
    """The bus named by ``url``: ``memory://`` (embedded default) or ``nats://``/``tls://`` (JetStream).

    The NATS bus connects on first use, so this is safe to call before an event loop runs.
    """
    if url.startswith("memory://"):
        return MemoryBus()
    if url.startswith(("nats://", "tls://")):
        from amane.bus.nats import NatsBus  # nats-py is only imported when a NATS URL is used

        return NatsBus(url)
    raise ValueError(f"unsupported bus_url {url!r}: use memory:// or nats://host:port")


__all__ = ["Bus", "Delivery", "MemoryBus", "Subscription", "connect_bus", "publish_message"]
