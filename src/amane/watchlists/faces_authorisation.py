"""The unit's side of live-identification authorisation: ask the centre, fail closed, stop on time.

``CenterAuthorisation`` is the ``is_authorised(now, position)`` callable a
:class:`~amane.vision.faces.recognizer.FaceRecognizer` takes. It asks the centre's
``GET /api/v1/faces/live-status`` (unit token) at most every ``ttl_s`` seconds and per ~100 m move,
and says no when the centre cannot be reached, when there is no position, and past the
authorisation's ``ends_at`` even if the cached answer was yes. A kill switch at the centre
reaches the unit within ``ttl_s`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

logger = logging.getLogger(__name__)

Position = tuple[float, float] | None


@dataclass(frozen=True)
class _Answer:
    authorised: bool
    ends_at: datetime | None
    asked_at: float
    position: tuple[float, float]


class CenterAuthorisation:
    """``is_authorised(now, position)`` backed by the centre (fail closed)."""

    def __init__(self, client: httpx.Client, *, token: str, ttl_s: float = 15.0, move_m: float = 100.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if ttl_s <= 0 or ttl_s > 300:
            raise ValueError(f"ttl_s must be in (0, 300], got {ttl_s}")
        self.client = client
        self.token = token
        self.ttl_s = ttl_s
        self.move_deg = move_m / 111_000.0
        self._lock = threading.Lock()
        self._answer: _Answer | None = None
        self._monotonic = monotonic

    def _fresh(self, position: tuple[float, float]) -> bool:
        a = self._answer
        return (a is not None and self._monotonic() - a.asked_at < self.ttl_s
                and abs(a.position[0] - position[0]) < self.move_deg
                and abs(a.position[1] - position[1]) < self.move_deg)

    def _ask(self, position: tuple[float, float]) -> _Answer:
        try:
            r = self.client.get("/api/v1/faces/live-status", params={"lat": position[0], "lon": position[1]},
                                headers={"Authorization": f"Bearer {self.token}"}, timeout=5.0)
            r.raise_for_status()
            body = r.json()
            ends = datetime.fromisoformat(body["ends_at"]) if body.get("ends_at") else None
            return _Answer(bool(body["authorised"]), ends, self._monotonic(), position)
        except (httpx.HTTPError, ValueError, KeyError) as err:
            logger.warning("live-identification status unavailable (%s): face matching stays off", err)
            return _Answer(False, None, self._monotonic(), position)

    def __call__(self, now: datetime, position: Position) -> bool:
        """Whether face matching may run now at ``position``."""
        if position is None:
            return False
        with self._lock:
            if not self._fresh(position):
                self._answer = self._ask(position)
            answer = self._answer
        assert answer is not None
        if answer.ends_at is not None and now >= answer.ends_at:
            return False
        return answer.authorised
