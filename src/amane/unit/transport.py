"""How outbox items reach the centre: over HTTP (a real unit) or a :class:`~amane.bus.Bus` (in-process, NATS).

A transport sends one item and says how it went by raising: :class:`RetryableError` (link down, timeout,
centre busy: try again later) or :class:`RejectedError` (the centre refuses this item for good). Both
transports also fetch the messages the centre sent to the unit.

HTTP routes (all with ``Authorization: Bearer <unit token>``):

=========  =============================================  ===============================
item       route                                          success
=========  =============================================  ===============================
alert      ``POST /api/v1/alerts``                        201 stored / 200 duplicate
evidence   ``PUT /api/v1/alerts/{id}/evidence/{key}``     201 (200 if already there)
heartbeat  ``POST /api/v1/units/heartbeat``               2xx
ack        ``POST /api/v1/units/me/acks``                 2xx
message    ``POST /api/v1/units/me/messages``             2xx
inbox      ``GET /api/v1/units/me/messages?after=``       200 {"messages": [...], "cursor"}
=========  =============================================  ===============================
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Protocol

import httpx

from amane.bus import Bus, subjects
from amane.core.messages import UnitMessage, decode_as
from amane.unit.outbox import ItemKind, OutboxItem

logger = logging.getLogger(__name__)

API = "/api/v1"
RETRY_STATUS = frozenset({404, 408, 425, 429, 500, 502, 503, 504})
"""Statuses worth retrying. 404 is among them for evidence: the alert may not be stored yet (bus lag)."""


class DeliveryError(Exception):
    """Base of transport failures."""


class RetryableError(DeliveryError):
    """The item may go through later (link down, timeout, centre overloaded)."""

    def __init__(self, message: str, *, link_down: bool = False) -> None:
        super().__init__(message)
        self.link_down = link_down


class RejectedError(DeliveryError):
    """The centre refuses this item for good (invalid, forbidden, too big)."""


class Transport(Protocol):
    """Sends outbox items to the centre and fetches the unit's messages."""

    async def send(self, item: OutboxItem) -> None:
        """Deliver one item or raise :class:`RetryableError` / :class:`RejectedError`."""
        ...

    async def fetch_messages(self, after: str | None) -> tuple[list[UnitMessage], str | None]:
        """Messages for this unit newer than cursor ``after``, and the new cursor."""
        ...

    async def close(self) -> None: ...


class HttpTransport:
    """The centre's HTTP API. Pass ``client`` to reuse one (e.g. ``httpx.ASGITransport`` in-process)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not token:
            raise ValueError("a unit token is needed to talk to the centre")
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._prefix = "" if client is None else base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(
                method, self._prefix + path, headers={**self._headers, **kwargs.pop("headers", {})}, **kwargs
            )
        except httpx.TransportError as err:  # connect/read errors and timeouts
            raise RetryableError(f"{method} {path}: {type(err).__name__}: {err}", link_down=True) from err
        if response.status_code < 300:
            return response
        detail = response.text[:300]
        if response.status_code in RETRY_STATUS:
            raise RetryableError(f"{method} {path}: HTTP {response.status_code} {detail}")
        raise RejectedError(f"{method} {path}: HTTP {response.status_code} {detail}")

    async def send(self, item: OutboxItem) -> None:
        """POST/PUT the item to its route."""
        json_headers = {"Content-Type": "application/json"}
        if item.kind is ItemKind.ALERT:
            await self._request("POST", f"{API}/alerts", content=item.payload, headers=json_headers)
        elif item.kind is ItemKind.HEARTBEAT:
            await self._request("POST", f"{API}/units/heartbeat", content=item.payload, headers=json_headers)
        elif item.kind is ItemKind.ACK:
            await self._request("POST", f"{API}/units/me/acks", content=item.payload, headers=json_headers)
        elif item.kind is ItemKind.MESSAGE:
            await self._request(
                "POST", f"{API}/units/me/messages", content=item.payload, headers=json_headers
            )
        else:
            await self._send_evidence(item)

    async def _send_evidence(self, item: OutboxItem) -> None:
        path = Path(item.payload.decode())
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as err:
            raise RejectedError(f"evidence file is gone (retention purged it?): {path}") from err
        await self._request(
            "PUT",
            f"{API}/alerts/{item.parent_id}/evidence/{item.evidence_key}",
            content=data,
            headers={"Content-Type": item.content_type or "image/jpeg"},
        )

    async def fetch_messages(self, after: str | None) -> tuple[list[UnitMessage], str | None]:
        """``GET /api/v1/units/me/messages?after=cursor``."""
        params = {"after": after} if after else {}
        response = await self._request("GET", f"{API}/units/me/messages", params=params)
        body = response.json()
        messages = [UnitMessage.model_validate(m) for m in body.get("messages", [])]
        return messages, body.get("cursor") or after

    async def close(self) -> None:
        """Close the HTTP client if this transport made it."""
        if self._own_client:
            await self._client.aclose()


class BusTransport:
    """Publishes alerts, heartbeats, acks and crew messages on the bus; evidence goes over ``evidence_http``.

    Pixels never travel on the bus: without an HTTP channel, evidence uploads are refused (they stay
    on the unit, under its retention) and the inbox is read by subscription, not by ``fetch_messages``.
    """

    def __init__(self, bus: Bus, unit_id: str, *, evidence_http: HttpTransport | None = None) -> None:
        self._bus = bus
        self._unit_id = unit_id
        self._http = evidence_http

    async def send(self, item: OutboxItem) -> None:
        """Publish the item on the unit's subject; evidence, acks and crew messages go over HTTP when there
        is a channel (the centre ingests alerts and heartbeats from the bus, messaging over its API)."""
        if self._http is not None and item.kind in (ItemKind.EVIDENCE, ItemKind.ACK, ItemKind.MESSAGE):
            await self._http.send(item)
            return
        subject = {
            ItemKind.ALERT: subjects.unit_alert(self._unit_id),
            ItemKind.HEARTBEAT: subjects.unit_heartbeat(self._unit_id),
            ItemKind.ACK: subjects.unit_outbound_message(self._unit_id),
            ItemKind.MESSAGE: subjects.unit_outbound_message(self._unit_id),
        }.get(item.kind)
        if subject is None:
            if self._http is None:
                raise RejectedError("no HTTP channel for evidence: it stays on the unit")
            await self._http.send(item)
            return
        try:
            await self._bus.publish(subject, item.payload)
        except (ConnectionError, TimeoutError, OSError) as err:
            raise RetryableError(f"bus publish on {subject}: {err}", link_down=True) from err

    async def fetch_messages(self, after: str | None) -> tuple[list[UnitMessage], str | None]:
        """Over HTTP when there is a channel (catch-up after a restart); else nothing (subscription)."""
        if self._http is None:
            return [], after
        return await self._http.fetch_messages(after)

    async def close(self) -> None:
        """Close the evidence channel."""
        if self._http is not None:
            await self._http.close()


def decode_unit_message(data: bytes) -> UnitMessage | None:
    """A bus payload as a message to the unit, or None (logged) when it is not one."""
    try:
        return decode_as(UnitMessage, data)
    except ValueError as err:
        logger.warning("ignoring a malformed message on the unit inbox: %s", err)
        return None
