"""What every video source gives the unit: :class:`Frame` objects, through the :class:`FrameSource` protocol.

A source is polled: ``read()`` returns the newest frame of each of its cameras that arrived since
the last call (live sources drop stale frames rather than queue them), ``[]`` when nothing new came
within a short wait, and ``None`` once a finite source (a file, a folder) is exhausted.

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> f = Frame("front", np.zeros((720, 1280, 3), np.uint8), datetime(2026, 1, 1, tzinfo=timezone.utc), 0,
...           CameraView(yaw_deg=0.0, pitch_deg=0.0, hfov_deg=90.0, width=1280, height=720))
>>> f.size, round(f.bearing_of(1280, 360), 3)
((1280, 720), 45.0)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeGuard, runtime_checkable

import numpy as np
import numpy.typing as npt

from amane.core.geometry import CameraView

__all__ = ["CameraView", "Frame", "FrameSource", "Image", "SourceStats"]

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Frame:
    """One image from one camera.

    ``image`` is BGR uint8 (H, W, 3); ``at`` the capture time (UTC, timezone-aware); ``index`` the
    camera's own frame counter (gaps mean frames were dropped or skipped); ``view`` the camera's
    geometry on the vehicle when known (maps pixels to bearings).
    """

    camera_id: str
    image: Image
    at: datetime
    index: int
    view: CameraView | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def bearing_of(self, x: float, y: float) -> float | None:
        """Bearing (degrees clockwise from the vehicle heading) of pixel (x, y); None without a view."""
        return None if self.view is None else self.view.bearing_of(x, y)


@dataclass
class SourceStats:
    """Counters a source keeps; safe to read from another thread (plain ints, updated under a lock)."""

    frames_read: int = 0
    """Good frames decoded."""
    frames_corrupt: int = 0
    """Frames that failed to decode or came out malformed, skipped."""
    frames_dropped: int = 0
    """Good frames never handed out because a newer one replaced them (live sources, real-time files)."""
    reconnects: int = 0
    """Times a live source was reopened after it dropped."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, read: int = 0, corrupt: int = 0, dropped: int = 0, reconnects: int = 0) -> None:
        """Increment counters atomically."""
        with self._lock:
            self.frames_read += read
            self.frames_corrupt += corrupt
            self.frames_dropped += dropped
            self.reconnects += reconnects

    def as_dict(self) -> dict[str, int]:
        """The counters by name (for metrics)."""
        with self._lock:
            return {
                "frames_read": self.frames_read,
                "frames_corrupt": self.frames_corrupt,
                "frames_dropped": self.frames_dropped,
                "reconnects": self.reconnects,
            }


@runtime_checkable
class FrameSource(Protocol):
    """A camera, a file, a folder, a 360° panorama split into views, or a rig of several cameras."""

    @property
    def camera_ids(self) -> tuple[str, ...]:
        """The ids of the cameras this source yields frames for, known before the first read."""
        ...

    @property
    def stats(self) -> SourceStats:
        """Frames read, corrupt, dropped; reconnects."""
        ...

    def read(self) -> list[Frame] | None:
        """The newest frame(s) now (at most one per camera); ``[]`` if none is new; None at the end."""
        ...

    def close(self) -> None:
        """Release devices, threads and files. Idempotent."""
        ...


def is_valid_image(image: object) -> TypeGuard[Image]:
    """Whether a decoded frame is a usable BGR uint8 image (corrupt decodes fail this).

    >>> is_valid_image(np.zeros((4, 4, 3), np.uint8)), is_valid_image(np.zeros((0, 4, 3), np.uint8))
    (True, False)
    >>> is_valid_image(None), is_valid_image(np.zeros((4, 4), np.uint8))
    (False, False)
    """
    return (
        isinstance(image, np.ndarray)
        and image.dtype == np.uint8
        and image.ndim == 3
        and image.shape[2] == 3
        and image.shape[0] > 0
        and image.shape[1] > 0
    )
