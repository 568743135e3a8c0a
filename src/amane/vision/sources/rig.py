"""``rig``: several cameras on the vehicle, each with its mounting yaw and field of view.

The classic layout is front 0°, right 90°, rear 180°, left 270°. ``read`` returns the newest frame
of every camera that has one; the rig ends when all its cameras have ended.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.vision.sources.base import Frame, SourceStats
from amane.vision.sources.capture import CaptureSource
from amane.vision.sources.single import CaptureConfig, open_capture

logger = logging.getLogger(__name__)


class RigSourceConfig(BaseModel):
    """A multi-camera rig: every camera needs a ``mount`` (yaw, pitch, FOV) for bearings."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["rig"]
    cameras: list[CaptureConfig] = Field(min_length=1, max_length=16, description="The cameras.")
    read_wait_s: float = Field(
        0.1, ge=0.0, le=5.0, description="How long read() waits for any camera to deliver a new frame."
    )

    @model_validator(mode="after")
    def _check_cameras(self) -> RigSourceConfig:
        ids = [c.id for c in self.cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rig camera ids must be unique, repeated: {dupes}")
        unmounted = [c.id for c in self.cameras if c.mount is None]
        if unmounted:
            raise ValueError(f"rig cameras need a mount (yaw_deg, hfov_deg): {unmounted}")
        return self


class RigSource:
    """Reads all cameras of a rig; each frame carries its camera's view."""

    def __init__(self, config: RigSourceConfig) -> None:
        self.config = config
        self._cameras: list[CaptureSource] = []
        try:
            for camera in config.cameras:
                self._cameras.append(open_capture(camera))
        except Exception:
            self.close()
            raise
        self.camera_ids = tuple(c.id for c in config.cameras)
        self._ended = [False] * len(self._cameras)

    @property
    def stats(self) -> SourceStats:
        """The cameras' counters summed."""
        total = SourceStats()
        for camera in self._cameras:
            s = camera.stats.as_dict()
            total.add(
                read=s["frames_read"],
                corrupt=s["frames_corrupt"],
                dropped=s["frames_dropped"],
                reconnects=s["reconnects"],
            )
        return total

    def camera_stats(self) -> dict[str, SourceStats]:
        """Each camera's own counters."""
        return {cid: cam.stats for cid, cam in zip(self.camera_ids, self._cameras, strict=True)}

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """The newest frame of each camera that has one (waits up to ``wait_s`` for any); None: all ended."""
        deadline = time.monotonic() + (self.config.read_wait_s if wait_s is None else wait_s)
        while True:
            frames: list[Frame] = []
            for i, camera in enumerate(self._cameras):
                if self._ended[i]:
                    continue
                got = camera.read(0.0)
                if got is None:
                    self._ended[i] = True
                    logger.info("camera %s ended", self.camera_ids[i])
                else:
                    frames.extend(got)
            if all(self._ended):
                return frames or None
            if frames or time.monotonic() >= deadline:
                return frames
            time.sleep(0.005)

    def close(self) -> None:
        """Close every camera."""
        for camera in self._cameras:
            camera.close()
