"""``usb``: a local camera by device index (V4L2 on Linux), read live with reconnection.

>>> UsbSourceConfig(type="usb", id="cabin", device=0, width=1280, height=720).fps
15.0
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

import cv2
from pydantic import Field

from amane.vision.sources.capture import Backoff, Capture, CaptureConfigBase, LiveCaptureSource

logger = logging.getLogger(__name__)


class UsbSourceConfig(CaptureConfigBase):
    """A camera attached to the unit, by index (/dev/video<device>)."""

    type: Literal["usb"]
    device: int = Field(0, ge=0, le=63, description="Device index (/dev/videoN).")
    width: int | None = Field(
        None, ge=16, le=7680, description="Requested frame width (None: camera default)."
    )
    height: int | None = Field(None, ge=16, le=4320, description="Requested frame height.")
    fps: float = Field(15.0, gt=0.0, le=240.0, description="Requested frame rate.")
    backoff_initial_s: float = Field(0.5, gt=0.0, le=60.0, description="First reconnection delay.")
    backoff_max_s: float = Field(10.0, gt=0.0, le=600.0, description="Longest reconnection delay.")
    read_wait_s: float = Field(0.1, ge=0.0, le=5.0, description="How long read() waits for a new frame.")


class UsbSource(LiveCaptureSource):
    """Reads a local camera on a reader thread; ``open_capture`` replaces the device in tests."""

    def __init__(self, config: UsbSourceConfig, open_capture: Callable[[], Capture] | None = None) -> None:
        self.config = config
        super().__init__(
            config,
            open_capture or self._open,
            Backoff(config.backoff_initial_s, config.backoff_max_s),
            config.read_wait_s,
        )

    def _open(self) -> Capture:
        capture = cv2.VideoCapture(self.config.device)
        if self.config.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
        if self.config.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        capture.set(cv2.CAP_PROP_FPS, self.config.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        result: Capture = capture
        return result
