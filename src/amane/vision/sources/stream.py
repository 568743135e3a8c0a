"""``stream``: an RTSP/HTTP/RTMP network camera (or anything FFmpeg opens), read live with reconnection.

>>> StreamSourceConfig(type="stream", id="front", url="rtsp://10.0.0.5/stream1").backoff_max_s
30.0
"""

from __future__ import annotations

import logging
import os
from typing import Literal

import cv2
from pydantic import Field

from amane.vision.sources.capture import Backoff, Capture, CaptureConfigBase, LiveCaptureSource

logger = logging.getLogger(__name__)


class StreamSourceConfig(CaptureConfigBase):
    """A network stream: the newest frame is analysed, stale ones dropped; reconnects with backoff."""

    type: Literal["stream"]
    url: str = Field(
        min_length=1,
        description="Stream URL, e.g. rtsp://user:pass@host:554/stream1 (any URL or path FFmpeg opens).",
    )
    open_timeout_s: float = Field(10.0, gt=0.0, le=120.0, description="Give up opening after this long.")
    read_timeout_s: float = Field(
        5.0, gt=0.0, le=120.0, description="A read that blocks this long counts as a dropped stream."
    )
    backoff_initial_s: float = Field(0.5, gt=0.0, le=60.0, description="First reconnection delay.")
    backoff_max_s: float = Field(30.0, gt=0.0, le=600.0, description="Longest reconnection delay.")
    rtsp_tcp: bool = Field(
        True,
        description="Ask RTSP servers for TCP transport (no smeared frames from lost UDP packets on a "
        "mobile link). Sets OPENCV_FFMPEG_CAPTURE_OPTIONS for the process unless it is already set.",
    )
    read_wait_s: float = Field(0.1, ge=0.0, le=5.0, description="How long read() waits for a new frame.")


class StreamSource(LiveCaptureSource):
    """Reads a network stream through OpenCV's FFmpeg backend on a reader thread."""

    def __init__(self, config: StreamSourceConfig) -> None:
        self.config = config
        super().__init__(
            config, self._open, Backoff(config.backoff_initial_s, config.backoff_max_s), config.read_wait_s
        )

    def _open(self) -> Capture:
        if self.config.rtsp_tcp and self.config.url.lower().startswith("rtsp"):
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(self.config.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(self.config.read_timeout_s * 1000),
        ]
        capture: Capture = cv2.VideoCapture(self.config.url, cv2.CAP_FFMPEG, params)
        return capture
