"""``folder``: the images of a folder, in file-name order, as a video at a stated frame rate.

Files that do not decode are skipped and counted as corrupt.

>>> import tempfile, numpy as np
>>> folder = Path(tempfile.mkdtemp())
>>> for name in ("b.png", "a.png"):
...     _ = cv2.imwrite(str(folder / name), np.zeros((48, 64, 3), np.uint8))
>>> _ = (folder / "c.jpg").write_bytes(b"broken")
>>> source = FolderSource(FolderSourceConfig(type="folder", id="cam", path=folder))
>>> [f.image.shape for f in source.read() or []], source.read() is not None, source.read()
([(48, 64, 3)], True, None)
>>> source.stats.frames_read, source.stats.frames_corrupt
(2, 1)
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import cv2
from pydantic import Field

from amane.vision.sources.base import Frame, is_valid_image
from amane.vision.sources.capture import CaptureConfigBase, CaptureSource

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class FolderSourceConfig(CaptureConfigBase):
    """A folder of still images (sorted by name), e.g. frames exported from another system."""

    type: Literal["folder"]
    path: Path = Field(description="The folder.")
    fps: float = Field(10.0, gt=0.0, le=240.0, description="Frame rate the images stand for (timestamps).")
    loop: bool = Field(False, description="Start again after the last image instead of finishing.")
    realtime: bool = Field(False, description="Hand out at most ``fps`` images a second.")
    suffixes: tuple[str, ...] = Field(IMAGE_SUFFIXES, description="File suffixes read (lower case).")


class FolderSource(CaptureSource):
    """Reads the images of a folder in name order."""

    def __init__(self, config: FolderSourceConfig) -> None:
        super().__init__(config)
        self.config = config
        if not config.path.is_dir():
            raise FileNotFoundError(f"camera {config.id}: image folder not found: {config.path}")
        self.files = sorted(p for p in config.path.iterdir() if p.suffix.lower() in config.suffixes)
        if not self.files:
            logger.warning("camera %s: no images in %s", config.id, config.path)
        self._start = datetime.now(UTC)
        self._t0 = time.monotonic()
        self._index = 0
        self._position = 0
        self._closed = False

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """The next decodable image; None after the last one (unless ``loop``)."""
        if self._closed:
            return None
        if self.config.realtime:
            ahead = self._index / self.config.fps - (time.monotonic() - self._t0)
            if ahead > 0:
                time.sleep(min(ahead, 0.5 if wait_s is None else wait_s))
                if self._index / self.config.fps > time.monotonic() - self._t0:
                    return []
        good_in_pass = True
        while True:
            if self._position >= len(self.files):
                if not self.config.loop or not good_in_pass:
                    return None
                self._position = 0
                good_in_pass = False
            path = self.files[self._position]
            self._position += 1
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if not is_valid_image(image):
                logger.debug("camera %s: skipping undecodable %s", self.config.id, path.name)
                self.stats.add(corrupt=1)
                continue
            good_in_pass = True
            self.stats.add(read=1)
            at = self._start + timedelta(seconds=self._index / self.config.fps)
            frame = self._frame(image, at, self._index)
            self._index += 1
            return [frame]

    def close(self) -> None:
        """Nothing to release; further reads return None."""
        self._closed = True
