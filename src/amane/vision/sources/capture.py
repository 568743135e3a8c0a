"""What single-camera sources share: the mounting config, the base config, and the live reader thread.

A live camera must never make the unit fall behind: :class:`LatestFrameReader` decodes on its own
thread and keeps only the newest frame (older undelivered frames are counted as dropped), reopens a
dropped stream with exponential backoff, and counts frames that fail to decode.

>>> MountConfig(yaw_deg=90, hfov_deg=100).view(1280, 720).bearing_of(640, 360)
90.0
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.core.geometry import CameraView
from amane.vision.sources.base import Frame, Image, SourceStats, is_valid_image

logger = logging.getLogger(__name__)


class MountConfig(BaseModel):
    """Where a camera looks, relative to the vehicle heading, and its lens."""

    model_config = ConfigDict(extra="forbid")

    yaw_deg: float = Field(
        0.0,
        ge=0.0,
        lt=360.0,
        description="Bearing of the optical axis, degrees "
        "clockwise from straight ahead (front 0, right 90, rear 180, left 270).",
    )
    pitch_deg: float = Field(
        0.0, gt=-90.0, lt=90.0, description="Tilt of the optical axis, degrees, up positive."
    )
    hfov_deg: float = Field(
        90.0,
        gt=0.0,
        lt=360.0,
        description="Horizontal field of view, degrees (below 180 for a pinhole lens).",
    )
    projection: Literal["pinhole", "fisheye"] = Field(
        "pinhole",
        description="'pinhole': an ordinary (or "
        "undistorted) lens; 'fisheye': equidistant fisheye, "
        "the usual 180-200° surround-view camera.",
    )

    @model_validator(mode="after")
    def _pinhole_below_180(self) -> MountConfig:
        if self.projection == "pinhole" and self.hfov_deg >= 180.0:
            raise ValueError(
                f"a pinhole lens sees less than 180°, got hfov_deg={self.hfov_deg}; use projection: fisheye"
            )
        return self

    def view(self, width: int, height: int) -> CameraView:
        """The camera's geometry for an image of this size."""
        return CameraView(self.yaw_deg, self.pitch_deg, self.hfov_deg, width, height, self.projection)


class CaptureConfigBase(BaseModel):
    """Fields every single-camera source has."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Camera id, unique in the unit (letters, digits, '_', '-', '.').",
    )
    mount: MountConfig | None = Field(None, description="Mounting yaw/pitch/FOV; needed for bearings.")


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` the sources use (a fake one stands in for hardware in tests)."""

    def isOpened(self) -> bool: ...

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


class CaptureSource:
    """Base of the single-camera sources: one camera id, stats, views made to each frame's size."""

    def __init__(self, config: CaptureConfigBase) -> None:
        self.camera_ids: tuple[str, ...] = (config.id,)
        self.stats = SourceStats()
        self._mount = config.mount
        self._view: CameraView | None = None

    def _frame(self, image: Image, at: datetime, index: int) -> Frame:
        view = self._view
        if self._mount is not None:
            h, w = image.shape[:2]
            if view is None or (view.width, view.height) != (w, h):
                view = self._view = self._mount.view(w, h)
        return Frame(self.camera_ids[0], image, at, index, view)

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """The newest frame; ``wait_s`` caps how long a live source waits for one (0: do not wait)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the camera."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff between reconnection attempts.

    >>> [Backoff(0.5, 4.0).delay(n) for n in range(5)]
    [0.5, 1.0, 2.0, 4.0, 4.0]
    """

    initial_s: float
    max_s: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (0-based) to reconnect."""
        return float(min(self.max_s, self.initial_s * 2 ** min(attempt, 30)))


def _safe_read(capture: Capture, name: str) -> tuple[bool, Any]:
    """``capture.read()``, with a backend exception turned into a failed read (the thread must live on)."""
    try:
        return capture.read()
    except Exception as err:  # cv2.error and friends from a broken stream
        logger.warning("camera %s: read failed: %s", name, err)
        return False, None


class LatestFrameReader:
    """Reads a live capture on a daemon thread, keeping only the newest frame.

    ``open_capture`` is called to (re)open the stream. After ``max_failed_reads`` failed reads in a
    row the capture is released and reopened after a backoff delay; reads that fail and then recover
    without a reconnect, and decodes that yield a malformed image, count as corrupt frames.
    """

    def __init__(
        self,
        open_capture: Callable[[], Capture],
        name: str,
        stats: SourceStats,
        backoff: Backoff,
        max_failed_reads: int = 3,
    ) -> None:
        if max_failed_reads < 1:
            raise ValueError(f"max_failed_reads must be >= 1, got {max_failed_reads}")
        self._open = open_capture
        self._name = name
        self._stats = stats
        self._backoff = backoff
        self._max_failed = max_failed_reads
        self._cond = threading.Condition()
        self._latest: tuple[Image, datetime, int] | None = None
        self._stop = threading.Event()
        self._index = 0
        self.connected = False
        self._thread = threading.Thread(target=self._run, name=f"capture-{name}", daemon=True)
        self._thread.start()

    def latest(self, wait_s: float) -> tuple[Image, datetime, int] | None:
        """Take the newest undelivered frame, waiting up to ``wait_s`` for one."""
        with self._cond:
            if self._latest is None and wait_s > 0:
                self._cond.wait_for(lambda: self._latest is not None or self._stop.is_set(), timeout=wait_s)
            frame, self._latest = self._latest, None
            return frame

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread and release the capture."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        attempt = 0
        first = True
        while not self._stop.is_set():
            if not first:
                delay = self._backoff.delay(attempt)
                logger.warning("camera %s: stream lost, reconnecting in %.1f s", self._name, delay)
                if self._stop.wait(delay):
                    break
                self._stats.add(reconnects=1)
                attempt += 1
            first = False
            if self._pump():
                attempt = 0

    def _pump(self) -> bool:
        """Open the capture and read until it fails; True if at least one good frame came."""
        try:
            capture = self._open()
        except Exception as err:  # a backend error must not kill the reader thread
            logger.warning("camera %s: open failed: %s", self._name, err)
            return False
        got_frame = False
        try:
            if not capture.isOpened():
                logger.warning("camera %s: could not open", self._name)
                return False
            self.connected = True
            failed = 0
            while not self._stop.is_set():
                ok, image = _safe_read(capture, self._name)
                if not ok:
                    failed += 1
                    if failed >= self._max_failed:
                        return got_frame
                    continue
                if failed:
                    self._stats.add(corrupt=failed)
                    failed = 0
                if not is_valid_image(image):
                    self._stats.add(corrupt=1)
                    continue
                got_frame = True
                self._publish(image)
            return got_frame
        finally:
            self.connected = False
            capture.release()

    def _publish(self, image: Image) -> None:
        with self._cond:
            if self._latest is not None:
                self._stats.add(dropped=1)
            self._latest = (image, datetime.now(UTC), self._index)
            self._index += 1
            self._stats.add(read=1)
            self._cond.notify_all()


class LiveCaptureSource(CaptureSource):
    """A single live camera read by a :class:`LatestFrameReader`."""

    def __init__(
        self,
        config: CaptureConfigBase,
        open_capture: Callable[[], Capture],
        backoff: Backoff,
        read_wait_s: float,
    ) -> None:
        super().__init__(config)
        self._wait_s = read_wait_s
        self._reader = LatestFrameReader(open_capture, config.id, self.stats, backoff)

    @property
    def connected(self) -> bool:
        """Whether the stream is open now."""
        return self._reader.connected

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """The newest frame since the last read (``[]`` if none came within the wait); never None."""
        got = self._reader.latest(self._wait_s if wait_s is None else wait_s)
        if got is None:
            return []
        return [self._frame(*got)]

    def close(self) -> None:
        """Stop the reader thread and release the stream."""
        self._reader.close()
