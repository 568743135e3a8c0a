"""``file``: a video file, read frame by frame (as fast as asked, or paced at its own frame rate).

Frames that fail to decode before the end of the file are skipped and counted; the end of the file
ends the source (or rewinds it with ``loop``).

>>> import tempfile, numpy as np
>>> path = Path(tempfile.mkdtemp()) / "clip.avi"
>>> writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (64, 48))
>>> for i in range(3):
...     writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
>>> writer.release()
>>> source = FileSource(FileSourceConfig(type="file", id="cam", path=path, mount={"yaw_deg": 180}))
>>> frames = [f for _ in range(3) for f in source.read() or []]
>>> [f.index for f in frames], frames[0].view.yaw_deg, source.read()
([0, 1, 2], 180.0, None)
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import cv2
from pydantic import Field

from amane.vision.sources.base import Frame, is_valid_image
from amane.vision.sources.capture import CaptureConfigBase, CaptureSource

logger = logging.getLogger(__name__)

END_RETRIES = 3
"""Failed reads in a row, without the position moving, that mean the data has ended."""


class FileSourceConfig(CaptureConfigBase):
    """A video file (anything FFmpeg decodes: mp4, mkv, avi, ...)."""

    type: Literal["file"]
    path: Path = Field(description="Path of the video file.")
    loop: bool = Field(False, description="Rewind at the end instead of finishing (demos, soak tests).")
    realtime: bool = Field(
        False,
        description="Pace reading at the file's frame rate like a live camera: "
        "frames the consumer was too slow for are skipped and counted as dropped.",
    )
    fps: float | None = Field(
        None,
        gt=0.0,
        le=240.0,
        description="Frame rate to assume when the file does not state one (or to override it).",
    )
    max_bad_reads: int = Field(
        25,
        ge=1,
        le=10_000,
        description="Consecutive undecodable frames after which the file is treated as ended (truncated).",
    )


class FileSource(CaptureSource):
    """Reads a video file with OpenCV; timestamps are the open time plus the frame's offset in the file."""

    def __init__(self, config: FileSourceConfig) -> None:
        super().__init__(config)
        self.config = config
        if not config.path.is_file():
            raise FileNotFoundError(f"camera {config.id}: video file not found: {config.path}")
        self._capture = self._open()
        stated = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = config.fps or (stated if 0 < stated < 1000 else 25.0)
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._start = datetime.now(UTC)
        self._t0 = time.monotonic()
        self._index = 0  # frames consumed from the start, across loops
        self._in_file = 0  # position within the current pass
        self._closed = False

    def _open(self) -> Any:
        capture = cv2.VideoCapture(str(self.config.path))
        if not capture.isOpened():
            raise OSError(f"camera {self.config.id}: cannot open video file {self.config.path}")
        return capture

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """The next frame (or, with ``realtime``, the one due now); None at the end of the file."""
        if self._closed:
            return None
        if self.config.realtime and not self._pace(wait_s):
            return []
        while True:
            image = self._next_image()
            if image is None:
                if not self.config.loop or self._in_file == 0:
                    return None
                self._capture.release()
                self._capture = self._open()
                self._in_file = 0
                continue
            at = self._start + timedelta(seconds=self._index / self.fps)
            frame = self._frame(image, at, self._index)
            self._index += 1
            self._in_file += 1
            return [frame]

    def _pace(self, wait_s: float | None) -> bool:
        """Skip frames that are already late; wait (up to ``wait_s``) for one not yet due."""
        due = int((time.monotonic() - self._t0) * self.fps)
        late = due - self._index
        if late > 0:
            skipped = 0
            for _ in range(late):
                if not self._capture.grab():
                    break
                skipped += 1
            self._index += skipped
            self._in_file += skipped
            self.stats.add(dropped=skipped)
            return True
        sleep_s = (self._index / self.fps) - (time.monotonic() - self._t0)
        limit = 0.5 if wait_s is None else wait_s
        if sleep_s > limit:
            time.sleep(limit)
            return False
        if sleep_s > 0:
            time.sleep(sleep_s)
        return True

    def _next_image(self) -> Any:
        """The next good image of this pass, or None at the end (skipping and counting bad frames).

        A read that fails without moving on means the end of the data: a clean end when the file's
        stated frame count is reached, otherwise a truncated file whose missing frames count as corrupt.
        """
        bad = 0
        stuck = 0
        while bad < self.config.max_bad_reads:
            before = self._position()
            try:
                ok, image = self._capture.read()
            except cv2.error as err:  # a decoder error on a damaged file is a bad frame, not a crash
                logger.warning("camera %s: read failed: %s", self.config.id, err)
                ok, image = False, None
            if ok and is_valid_image(image):
                self.stats.add(read=1, corrupt=bad)
                return image
            after = self._position()
            if not ok and after <= before:
                stuck += 1
                if stuck < END_RETRIES:
                    continue
                missing = self.frame_count - after
                missing = missing if missing > 1 else 0  # container counts are often one off
                if missing:
                    logger.warning(
                        "camera %s: file ends %d frames early (truncated)", self.config.id, missing
                    )
                self.stats.add(corrupt=bad + missing)
                return None
            stuck = 0
            bad += 1
            self._in_file += 1
        logger.warning(
            "camera %s: %d unreadable frames in a row, treating the file as ended", self.config.id, bad
        )
        self.stats.add(corrupt=bad)
        return None

    def _position(self) -> int:
        return int(self._capture.get(cv2.CAP_PROP_POS_FRAMES) or 0)

    def close(self) -> None:
        """Release the file."""
        if not self._closed:
            self._closed = True
            self._capture.release()
