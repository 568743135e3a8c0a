"""A simulated camera rig: synthetic scenes rendered in real time, read like live cameras.

``read()`` returns, for each camera, the frame due now (at ``fps``); frames the reader was too slow for
are never rendered and are counted as dropped, exactly like a live camera whose reader keeps only the
newest frame. With ``realtime=False`` every frame is rendered in turn (tests: deterministic, no waits).

>>> src = SimSource([SimCamera("front", SceneConfig(width=160, height=90, seed=1), yaw_deg=0.0)],
...                 fps=10.0, realtime=False, duration_s=0.3)
>>> [len(src.read() or []) for _ in range(4)]
[1, 1, 1, 0]
>>> src.read() is None
True
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from amane.core.geometry import CameraView
from amane.sim.scene import Scene, SceneConfig, Truth
from amane.vision.sources.base import Frame, SourceStats


@dataclass(frozen=True)
class SimCamera:
    """One simulated camera: its scene and its mounting on the vehicle."""

    id: str
    scene: SceneConfig
    yaw_deg: float = 0.0
    hfov_deg: float = 90.0


class SimCameraConfig(BaseModel):
    """One synthetic camera of a simulated unit."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$", description="Camera id")
    yaw_deg: float = Field(0.0, ge=0.0, lt=360.0, description="Mounting bearing, clockwise from ahead")
    hfov_deg: float = Field(90.0, gt=0.0, lt=180.0, description="Horizontal field of view")


def _front_rear() -> list[SimCameraConfig]:
    return [SimCameraConfig(id="front", yaw_deg=0.0), SimCameraConfig(id="rear", yaw_deg=180.0)]


class SimulatedCamerasConfig(BaseModel):
    """Synthetic street scenes instead of real cameras (demo, tests, benchmarks, trying a config out)."""

    model_config = ConfigDict(extra="forbid")
    cameras: list[SimCameraConfig] = Field(default_factory=_front_rear, min_length=1, max_length=8)
    width: int = Field(640, ge=64, le=4096, description="Frame width")
    height: int = Field(360, ge=48, le=4096, description="Frame height")
    fps: float = Field(10.0, gt=0.0, le=60.0, description="Frames per second, paced in real time")
    seed: int = Field(0, ge=0, description="Scene seed (each camera derives its own)")
    vehicles: int = Field(3, ge=0, le=20)
    pedestrians: int = Field(2, ge=0, le=20)
    lingerer: bool = Field(True, description="One person pacing on the spot in each scene")
    plates: list[str] = Field(default_factory=list, description="Plates to show first (e.g. hotlisted ones)")

    def open(self) -> SimSource:
        """The source these settings describe."""
        cams = [
            SimCamera(
                c.id,
                SceneConfig(
                    width=self.width,
                    height=self.height,
                    seed=self.seed * 101 + i,
                    vehicles=self.vehicles,
                    pedestrians=self.pedestrians,
                    lingerer=self.lingerer,
                    plates=list(self.plates),
                ),
                c.yaw_deg,
                c.hfov_deg,
            )
            for i, c in enumerate(self.cameras)
        ]
        return SimSource(cams, fps=self.fps, realtime=True)


class SimSource:
    """Several synthetic cameras, paced in real time (a :class:`~amane.vision.sources.base.FrameSource`)."""

    def __init__(
        self,
        cameras: list[SimCamera],
        *,
        fps: float = 15.0,
        realtime: bool = True,
        duration_s: float | None = None,
    ) -> None:
        if not cameras:
            raise ValueError("a simulated rig needs at least one camera")
        if not 0 < fps <= 120:
            raise ValueError(f"fps must be in (0, 120], got {fps}")
        self.cameras = cameras
        self.camera_ids = tuple(c.id for c in cameras)
        self.stats = SourceStats()
        self.fps = fps
        self.realtime = realtime
        self.duration_s = duration_s
        self._scenes = [Scene(c.scene) for c in cameras]
        self._views = [CameraView(c.yaw_deg, 0.0, c.hfov_deg, c.scene.width, c.scene.height) for c in cameras]
        self._next = [0] * len(cameras)
        self._start = datetime.now(UTC)
        self._t0 = time.monotonic()
        self._closed = threading.Event()
        self.truth: dict[tuple[str, int], list[Truth]] = {}
        """Ground truth of the last few frames rendered, by (camera, index) (kept for 64 frames)."""

    def _frame(self, i: int, index: int) -> Frame:
        t = index / self.fps
        image, truth = self._scenes[i].render(t)
        cid = self.camera_ids[i]
        self.truth[(cid, index)] = truth
        self.truth.pop((cid, index - 64), None)
        at = datetime.now(UTC) if self.realtime else self._start + timedelta(seconds=t)
        return Frame(cid, image, at, index, self._views[i])

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """The frame due now of each camera (``[]`` if none is due yet); None after ``duration_s``."""
        if self._closed.is_set():
            return None
        if self.realtime:
            return self._read_realtime(0.1 if wait_s is None else wait_s)
        index = self._next[0]
        if self.duration_s is not None and index / self.fps >= self.duration_s - 1e-9:
            return None
        self._next = [index + 1] * len(self.cameras)
        self.stats.add(read=len(self.cameras))
        return [self._frame(i, index) for i in range(len(self.cameras))]

    def _read_realtime(self, wait_s: float) -> list[Frame] | None:
        elapsed = time.monotonic() - self._t0
        if self.duration_s is not None and elapsed >= self.duration_s:
            return None
        due = int(elapsed * self.fps)
        if due < self._next[0]:
            sleep = min(wait_s, self._next[0] / self.fps - elapsed)
            if sleep > 0 and self._closed.wait(sleep):
                return None
            elapsed = time.monotonic() - self._t0
            due = int(elapsed * self.fps)
            if due < self._next[0]:
                return []
        frames = []
        for i in range(len(self.cameras)):
            skipped = due - self._next[i]
            if skipped > 0:
                self.stats.add(dropped=skipped)
            frames.append(self._frame(i, due))
            self._next[i] = due + 1
        self.stats.add(read=len(frames))
        return frames

    def close(self) -> None:
        """Further reads return None."""
        self._closed.set()
