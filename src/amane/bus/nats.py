"""The :class:`~amane.bus.base.Bus` on NATS JetStream: durable streams, shared pull consumers, core fan-out.

``bus_url`` chooses it: ``nats://[user:password@]host:4222[,nats://host2:4222][?option=value&...]``
(``tls://`` for TLS; options below). Nothing else changes in the centre or the units.

**Streams** (file storage, created or updated idempotently at connect):

=============  ==============================================  ====================================
stream         subjects                                        retention
=============  ==============================================  ====================================
ALERTS         ``amane.unit.*.alert``                          ``alerts_max_age_h`` (7 days)
POSITIONS      ``amane.unit.*.heartbeat``                      ``positions_max_age_s`` (1 h), 120 per unit
MESSAGES       ``amane.unit.*.message``, ``amane.inbox.*``,    ``messages_max_age_h`` (7 days)
               ``amane.broadcast.*``
=============  ==============================================  ====================================

A publish on a stream subject waits for JetStream's ack, so a returned ``publish`` means the message
is on disk. It carries ``Nats-Msg-Id`` = the message's own id (alert or message UUID; for a heartbeat
its unit and clock time, for an ack its message, unit and state), so a re-send inside
``duplicate_window_s`` is dropped by JetStream itself; later re-sends are dropped by the centre's
store, which is idempotent by alert id. Any other subject (``amane.center.live``) is core NATS:
fire-and-forget fan-out to every subscriber.

**Subscriptions.** ``subscribe(subject, durable="center-alerts", queue="center")`` binds a durable
*pull* consumer: every centre worker that subscribes with the same durable name fetches from the
same consumer, so each message goes to one worker (the queue group is the durable name). A message
is redelivered when it is not acked within ``ack_wait_s`` (a worker killed mid-batch) or at once on
``nak``; ``max_deliver`` (-1: unlimited, the default) bounds the attempts, because a message that
ran out of attempts would be lost and the centre acks what it can never store anyway (invalid
payloads). A plain ``subscribe(subject)`` is a core subscription (with ``queue``, a core queue group):
every worker gets every live event, whichever dashboard socket it serves.

**URL options** (see :class:`NatsOptions`): ``namespace`` prefixes every wire subject and stream
name (tests, or two deployments sharing one NATS), ``ack_wait_s``, ``max_deliver``, ``fetch_batch``,
``replicas`` (3 on a NATS cluster), ``duplicate_window_s``, retention, ``tls_ca``/``tls_cert``/
``tls_key``, ``inbox_prefix`` (default ``_INBOX.<user>``, which per-unit permissions allow).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as CoreSubscription
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amane.bus import subjects
from amane.bus.base import Delivery
from amane.bus.subjects import matches

logger = logging.getLogger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"


class BusUnavailableError(ConnectionError):
    """NATS or JetStream did not accept the operation (down, restarting, timed out): try again later."""


class NatsOptions(BaseModel):
    """Tuning of the NATS bus, given as ``bus_url`` query parameters (``nats://host:4222?ack_wait_s=10``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]*$",
        max_length=32,
        description="Prefix of every wire subject and stream name; empty in production",
    )
    ack_wait_s: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        description="An unacked delivery is redelivered after this long (worker died mid-message)",
    )
    max_deliver: int = Field(
        default=-1,
        ge=-1,
        le=100_000,
        description="Most deliveries of one message; -1 unlimited (a message out of attempts is lost)",
    )
    max_ack_pending: int = Field(
        default=20_000, ge=1, le=1_000_000, description="Unacked messages per consumer, all workers together"
    )
    fetch_batch: int = Field(default=256, ge=1, le=10_000, description="Messages one pull request asks for")
    fetch_timeout_s: float = Field(
        default=1.0, ge=0.05, le=60.0, description="How long an idle pull request waits for messages"
    )
    connect_timeout_s: float = Field(
        default=5.0, gt=0.0, le=120.0, description="How long the first connect tries before giving up"
    )
    publish_timeout_s: float = Field(
        default=5.0, gt=0.0, le=120.0, description="How long a publish waits for JetStream's ack"
    )
    duplicate_window_s: float = Field(
        default=600.0,
        ge=1.0,
        le=86_400.0,
        description="JetStream drops a re-sent Nats-Msg-Id seen within this window",
    )
    replicas: int = Field(default=1, ge=1, le=5, description="Stream replicas (3 on a NATS cluster)")
    alerts_max_age_h: float = Field(default=168.0, gt=0.0, le=24 * 365, description="Alert retention")
    messages_max_age_h: float = Field(default=168.0, gt=0.0, le=24 * 365, description="Message retention")
    positions_max_age_s: float = Field(
        default=3600.0, ge=10.0, le=86_400 * 7, description="Position retention"
    )
    positions_per_unit: int = Field(default=120, ge=1, le=100_000, description="Positions kept per unit")
    inbox_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_.-]*$",
        description="Reply-subject prefix; default _INBOX.<user> so per-unit permissions can allow it",
    )
    tls_ca: str | None = Field(default=None, description="CA bundle that signed the NATS server certificate")
    tls_cert: str | None = Field(default=None, description="Client certificate (mutual TLS)")
    tls_key: str | None = Field(default=None, description="Client key (mutual TLS)")
    name: str = Field(default="amane", max_length=64, description="Connection name shown in NATS monitoring")
    manage_streams: bool = Field(
        default=True,
        description="Create/update the streams at connect (the centre); false for units, whose "
        "accounts may not touch the JetStream API",
    )


@dataclass(frozen=True)
class StreamSpec:
    """One JetStream stream the bus creates: a name (without prefix) and the subjects it captures."""

    name: str
    subjects: tuple[str, ...]


STREAMS = (
    StreamSpec("ALERTS", (subjects.ALL_ALERTS,)),
    StreamSpec("POSITIONS", (subjects.ALL_HEARTBEATS,)),
    StreamSpec(
        "MESSAGES",
        (subjects.ALL_UNIT_MESSAGES, subjects.unit_inbox("*"), subjects.region_broadcast("*")),
    ),
)


@dataclass(frozen=True)
class NatsTarget:
    """A parsed ``bus_url``: servers, credentials and options."""

    servers: list[str]
    user: str | None
    password: str | None
    options: NatsOptions


def parse_nats_url(url: str) -> NatsTarget:
    """Split a ``bus_url`` into servers, user, password and :class:`NatsOptions`.

    >>> t = parse_nats_url("nats://RBT-1:s3cret@10.0.0.5:4222,nats://10.0.0.6:4222?ack_wait_s=10")
    >>> t.servers, t.user, t.password, t.options.ack_wait_s
    (['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222'], 'RBT-1', 's3cret', 10.0)
    """
    head, _, query = url.partition("?")
    servers: list[str] = []
    user = password = None
    for part in head.split(","):
        parts = urlsplit(part if "://" in part else f"nats://{part}")
        if parts.scheme not in ("nats", "tls"):
            raise ValueError(f"bus_url server must be nats:// or tls://, got {part!r}")
        if parts.username is not None:
            user = unquote(parts.username)
            password = unquote(parts.password) if parts.password is not None else None
        servers.append(f"{parts.scheme}://{parts.hostname or '127.0.0.1'}:{parts.port or 4222}")
    try:
        options = NatsOptions.model_validate(dict(parse_qsl(query, strict_parsing=bool(query))))
    except (ValidationError, ValueError) as err:
        raise ValueError(f"bad bus_url options in {query!r}: {err}") from err
    return NatsTarget(servers, user, password, options)


def message_id(data: bytes) -> str | None:
    """The ``Nats-Msg-Id`` of a wire message: its own id when it has one, else what makes it unique.

    >>> message_id(b'{"type":"alert","id":"0b7f","unit_id":"RBT-1"}')
    '0b7f'
    >>> message_id(b'{"type":"heartbeat","unit_id":"RBT-1","sent_at":"2026-01-01T00:00:00Z"}')
    'heartbeat:RBT-1:2026-01-01T00:00:00Z'
    >>> message_id(b'not json') is None
    True
    """
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    kind = body.get("type")
    if kind in ("alert", "unit_message") and body.get("id"):
        return str(body["id"])
    if kind == "heartbeat" and body.get("unit_id") and body.get("sent_at"):
        return f"heartbeat:{body['unit_id']}:{body['sent_at']}"
    if kind == "message_ack" and body.get("message_id"):
        return f"ack:{body['message_id']}:{body.get('unit_id')}:{body.get('state')}"
    return None


def _tls_context(options: NatsOptions) -> ssl.SSLContext | None:
    if options.tls_ca is None and options.tls_cert is None:
        return None
    context = ssl.create_default_context(cafile=options.tls_ca)
    if options.tls_cert is not None:
        context.load_cert_chain(options.tls_cert, options.tls_key)
    return context


@dataclass(eq=False)
class NatsCoreSubscription:
    """A core NATS subscription (live fan-out; no persistence, no acks)."""

    bus: NatsBus
    sub: CoreSubscription
    closed: bool = False

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        try:
            async for msg in self.sub.messages:
                yield Delivery(self.bus.local_subject(msg.subject), msg.data, None, 0)
        except nats.errors.ConnectionClosedError:
            return

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(nats.errors.Error):
                await self.sub.unsubscribe()


@dataclass(eq=False)
class NatsPullSubscription:
    """A durable pull consumer; every subscriber with the same durable name shares its messages."""

    bus: NatsBus
    pattern: str
    durable: str
    stream: str
    psub: JetStreamContext.PullSubscription | None = None
    closed: bool = False
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        options = self.bus.options
        while not self.closed:
            try:
                if self.psub is None:
                    self.psub = await self.bus.bind_consumer(self.pattern, self.durable, self.stream)
                msgs = await self.psub.fetch(options.fetch_batch, timeout=options.fetch_timeout_s)
            except (TimeoutError, nats.errors.TimeoutError):
                continue  # nothing waiting
            except nats.js.errors.NotFoundError:  # the stream or consumer is gone (JetStream reset)
                logger.warning("consumer %s on %s is gone; creating it again", self.durable, self.stream)
                self.psub = None
                await self._pause(1.0)
                continue
            except (nats.errors.Error, BusUnavailableError, OSError) as err:
                if self.closed:
                    return
                logger.warning("fetch from %s/%s failed (%s); retrying", self.stream, self.durable, err)
                await self._pause(1.0)
                continue
            for msg in msgs:
                yield Delivery(
                    self.bus.local_subject(msg.subject), msg.data, msg, max(msg.metadata.num_delivered - 1, 0)
                )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def close(self) -> None:
        """Stop fetching; unacked messages go back to the consumer (the durable consumer stays)."""
        if self.closed:
            return
        self.closed = True
        self._closing.set()
        if self.psub is not None:
            with contextlib.suppress(nats.errors.Error, ValueError):
                await self.psub.unsubscribe()


class NatsBus:
    """The NATS JetStream :class:`~amane.bus.base.Bus` (see the module docstring).

    Connects on first use (``connect_bus`` is synchronous; the centre builds its bus before its
    event loop runs) and reconnects by itself forever; while NATS is away, publishes raise
    :class:`BusUnavailableError` (a ``ConnectionError``: the unit's uplink keeps the item and retries)
    and consumers wait.
    """

    def __init__(self, url: str) -> None:
        self.target = parse_nats_url(url)
        self.options = self.target.options
        ns = self.options.namespace
        self._prefix = f"{ns}." if ns else ""
        self.stream_prefix = f"AMANE_{ns.upper().replace('-', '_')}_" if ns else "AMANE_"
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock: asyncio.Lock | None = None
        self._streams_ready = False
        self._subs: list[NatsCoreSubscription | NatsPullSubscription] = []
        self.duplicates = 0
        self.closed = False

    # -- subjects and streams ----------------------------------------------------------------
    def wire_subject(self, subject: str) -> str:
        """The subject on the wire (``namespace.`` + subject)."""
        return self._prefix + subject

    def local_subject(self, wire: str) -> str:
        """The subject the application knows (namespace stripped)."""
        return wire.removeprefix(self._prefix)

    def stream_name(self, spec: StreamSpec) -> str:
        return self.stream_prefix + spec.name

    def stream_for(self, subject: str) -> StreamSpec | None:
        """The stream capturing ``subject`` (a concrete subject or a pattern inside one stream)."""
        for spec in STREAMS:
            for captured in spec.subjects:
                if matches(captured, subject) or _pattern_within(subject, captured):
                    return spec
        return None

    def stream_config(self, spec: StreamSpec) -> StreamConfig:
        """The JetStream configuration of one of :data:`STREAMS`."""
        o = self.options
        max_age = {
            "ALERTS": o.alerts_max_age_h * 3600.0,
            "POSITIONS": o.positions_max_age_s,
            "MESSAGES": o.messages_max_age_h * 3600.0,
        }[spec.name]
        return StreamConfig(
            name=self.stream_name(spec),
            description=f"amane {spec.name.lower()}",
            subjects=[self.wire_subject(s) for s in spec.subjects],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=max_age,
            max_msgs_per_subject=o.positions_per_unit if spec.name == "POSITIONS" else -1,
            duplicate_window=min(o.duplicate_window_s, max_age),
            num_replicas=o.replicas,
        )

    # -- connection ---------------------------------------------------------------------------
    async def _connection(self) -> tuple[Client, JetStreamContext]:
        if self._nc is not None and self._js is not None and self._streams_ready:
            return self._nc, self._js
        if self.closed:
            raise BusUnavailableError("the bus is closed")
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._nc is None:
                self._nc = await self._connect()
                self._js = self._nc.jetstream(timeout=self.options.publish_timeout_s)
            assert self._js is not None
            if not self._streams_ready:
                if self.options.manage_streams:
                    await self.ensure_streams()
                self._streams_ready = True
            return self._nc, self._js

    async def _connect(self) -> Client:
        t, o = self.target, self.options
        inbox = o.inbox_prefix or (f"_INBOX.{t.user}" if t.user else "_INBOX")
        nc = Client()
        try:  # reconnects forever once connected; the first connect is bounded (nats-py would loop)
            await asyncio.wait_for(
                nc.connect(
                    servers=t.servers,
                    user=t.user,
                    password=t.password,
                    tls=_tls_context(o),
                    name=o.name,
                    inbox_prefix=inbox,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    connect_timeout=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                ),
                o.connect_timeout_s,
            )
            return nc
        except (TimeoutError, nats.errors.Error, OSError) as err:
            with contextlib.suppress(Exception):
                await nc.close()
            raise BusUnavailableError(f"cannot connect to NATS at {t.servers}: {err}") from err

    async def _on_error(self, err: Exception) -> None:
        logger.debug("nats: %s", err)

    async def _on_disconnected(self) -> None:
        if self.closed:
            return
        logger.warning("nats: disconnected from %s; reconnecting", self.target.servers)

    async def _on_reconnected(self) -> None:
        logger.info("nats: reconnected")

    async def ensure_streams(self) -> None:
        """Create each stream, or update it to this configuration (idempotent)."""
        assert self._js is not None
        for spec in STREAMS:
            config = self.stream_config(spec)
            try:
                try:
                    await self._js.update_stream(config)
                except nats.js.errors.NotFoundError:
                    await self._js.add_stream(config)
                    logger.info(
                        "created JetStream stream %s (%s)", config.name, ", ".join(config.subjects or [])
                    )
            except (TimeoutError, nats.errors.Error) as err:
                raise BusUnavailableError(f"cannot set up stream {config.name}: {err}") from err

    async def bind_consumer(
        self, pattern: str, durable: str, stream: str
    ) -> JetStreamContext.PullSubscription:
        """Create (or update) the durable pull consumer and subscribe to it."""
        _, js = await self._connection()
        o = self.options
        config = ConsumerConfig(
            durable_name=durable,
            name=durable,
            filter_subject=self.wire_subject(pattern),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=o.ack_wait_s,
            max_deliver=o.max_deliver,
            max_ack_pending=o.max_ack_pending,
            max_waiting=512,
        )
        try:
            try:
                await js.add_consumer(stream, config=config)
            except nats.js.errors.BadRequestError as err:  # exists with other settings: keep it, say so
                logger.warning("consumer %s/%s has other settings (%s); using it", stream, durable, err)
            except nats.js.errors.NotFoundError:
                self._streams_ready = False  # the stream vanished (JetStream reset): make it again
                await self._connection()
                await js.add_consumer(stream, config=config)
            return await js.pull_subscribe_bind(durable=durable, stream=stream)
        except (TimeoutError, nats.errors.Error) as err:
            raise BusUnavailableError(f"cannot bind consumer {stream}/{durable}: {err!r}") from err

    # -- the Bus protocol ---------------------------------------------------------------------
    async def publish(self, subject: str, data: bytes) -> None:
        """Publish; on a stream subject, return only once JetStream has stored it."""
        if "*" in subject or ">" in subject:
            raise ValueError(f"cannot publish to a wildcard subject: {subject!r}")
        nc, js = await self._connection()
        spec = self.stream_for(subject)
        try:
            if spec is None:
                await nc.publish(self.wire_subject(subject), data)
                return
            msg_id = message_id(data)
            ack = await js.publish(
                self.wire_subject(subject),
                data,
                timeout=self.options.publish_timeout_s,
                stream=self.stream_name(spec),
                headers={MSG_ID_HEADER: msg_id} if msg_id else None,
            )
        except (TimeoutError, nats.errors.Error) as err:
            raise BusUnavailableError(
                f"publish on {subject} not accepted: {type(err).__name__} {err}"
            ) from err
        if ack.duplicate:
            self.duplicates += 1

    async def subscribe(
        self, subject: str, *, durable: str | None = None, queue: str | None = None
    ) -> NatsCoreSubscription | NatsPullSubscription:
        """Durable: a shared pull consumer (``queue`` is implied by the durable name). Else core NATS."""
        nc, _ = await self._connection()
        sub: NatsCoreSubscription | NatsPullSubscription
        if durable is None:
            try:
                core = await nc.subscribe(self.wire_subject(subject), queue=queue or "")
            except nats.errors.Error as err:
                raise BusUnavailableError(f"subscribe to {subject}: {err}") from err
            sub = NatsCoreSubscription(self, core)
        else:
            spec = self.stream_for(subject)
            if spec is None:
                raise ValueError(f"{subject!r} is in no stream; durable subscriptions need one")
            sub = NatsPullSubscription(self, subject, durable, self.stream_name(spec))
            sub.psub = await self.bind_consumer(subject, durable, sub.stream)
        self._subs.append(sub)
        return sub

    async def ack(self, delivery: Delivery) -> None:
        """Ack a durable delivery (a lost ack only means a redelivery, which the store absorbs)."""
        await self._settle(delivery, nak=False)

    async def nak(self, delivery: Delivery) -> None:
        """Ask for a redelivery now."""
        await self._settle(delivery, nak=True)

    async def _settle(self, delivery: Delivery, *, nak: bool) -> None:
        msg = delivery.token
        if msg is None:
            return  # core delivery: nothing to settle
        if not isinstance(msg, Msg):
            raise ValueError("delivery was not produced by this NatsBus")
        try:
            await (msg.nak() if nak else msg.ack())
        except nats.errors.MsgAlreadyAckdError:
            return
        except nats.errors.Error as err:
            logger.warning("could not %s a message on %s: %s", "nak" if nak else "ack", delivery.subject, err)

    async def stream_info(self, name: str) -> dict[str, Any]:
        """State of one of :data:`STREAMS` (``messages``, ``bytes``, ``first_seq``, ``last_seq``)."""
        _, js = await self._connection()
        spec = next(s for s in STREAMS if s.name == name)
        info = await js.stream_info(self.stream_name(spec))
        state = info.state
        return {
            "messages": state.messages,
            "bytes": state.bytes,
            "first_seq": state.first_seq,
            "last_seq": state.last_seq,
        }

    async def delete_streams(self) -> None:
        """Delete this namespace's streams (tests and benchmarks clean up with it)."""
        _, js = await self._connection()
        for spec in STREAMS:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(self.stream_name(spec))
        self._streams_ready = False

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
        self._subs.clear()
        self.closed = True
        if self._nc is not None:
            with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                await self._nc.drain()
            self._nc = None
            self._js = None


def _pattern_within(pattern: str, captured: str) -> bool:
    """Whether every subject matching ``pattern`` also matches ``captured`` (token-wise, no ``>``)."""
    p, c = pattern.split("."), captured.split(".")
    if len(p) != len(c) or ">" in p:
        return False
    return all(ct == "*" or ct == pt for pt, ct in zip(p, c, strict=True))
