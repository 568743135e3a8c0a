"""The whole unit runtime: a truncated, partly corrupt video file (rendered street scene) through the real
pipeline to the REAL centre; corrupt frames counted, alerts stored with evidence; the crew page and /metrics;
the newest-frame slots."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units.service import register_unit
from amane.config import CenterSettings
from amane.config.unit import UnitConfig
from amane.core.messages import AlertKind, Severity, UnitMessage
from amane.sim.scene import Scene, SceneConfig
from amane.store import models
from amane.unit.pipeline import Plugin
from amane.unit.runtime import FrameSlots, UnitRuntime
from amane.unit.transport import HttpTransport
from amane.vision.recognize import Finding, TrackObservation
from amane.vision.sources.base import Frame


class FirstSight:
    """Reports each track once (a plug-in exercising the path from a track to a stored alert)."""

    name = "first-sight"
    class_ids = frozenset({0, 2, 3})

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def observe(self, observation: TrackObservation) -> list[Finding]:
        if observation.track_id in self.seen:
            return []
        self.seen.add(observation.track_id)
        return [
            Finding(
                AlertKind.BEHAVIOUR,
                Severity.LOW,
                f"track {observation.track_id}",
                observation.track_id,
                observation.camera_id,
                observation.observed_at,
            )
        ]

    def end_track(self, track_id: int) -> list[Finding]:
        return []


def street_video(path: Path, frames: int = 60, fps: float = 10.0) -> Path:
    """A real MJPEG AVI of a rendered street, then damaged: garbage bytes in the middle, the end cut off."""
    scene = Scene(SceneConfig(width=480, height=270, seed=21, vehicles=3, pedestrians=2))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (480, 270))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(scene.render(i / fps)[0])
    writer.release()
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 2, len(data) // 2 + 4000, 5):
        data[offset] = 0xFF
    path.write_bytes(bytes(data[: len(data) * 4 // 5]))
    return path


@dataclass
class Centre:
    center: Center
    client: httpx.AsyncClient
    token: str


@pytest.fixture
async def centre(tmp_path: Path) -> AsyncIterator[Centre]:
    settings = CenterSettings(database_url=f"sqlite:///{tmp_path / 'center.db'}", data_dir=tmp_path / "c")
    app = create_app(settings, serve_dashboard=False)
    center: Center = app.state.center
    with center.db.writing() as session:
        _, token = register_unit(session=session, callsign="RBT-9", kind="car", region="rabat")
    await center.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://centre") as client:
        yield Centre(center, client, token)
    await center.stop()
    center.db.dispose()


def unit_config(tmp_path: Path, video: Path) -> UnitConfig:
    return UnitConfig.model_validate(
        {
            "unit_id": "RBT-9",
            "region": "rabat",
            "center": {
                "url": "http://centre",
                "token": "unused: the test passes a transport",
                "heartbeat_s": 1,
            },
            "sources": [
                {"type": "file", "id": "front", "path": str(video), "mount": {"yaw_deg": 0, "hfov_deg": 90}}
            ],
            "gps": {"type": "fixed", "lat": 34.02, "lon": -6.83, "heading_deg": 45},
            "evidence": {"dir": str(tmp_path / "evidence")},
            "outbox": {"path": str(tmp_path / "outbox.db")},
            "crew_page": {"enabled": True, "port": 0},
        }
    )


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status), bytes(response.read())


async def test_damaged_video_through_the_unit_to_the_centre(centre: Centre, tmp_path: Path) -> None:
    video = street_video(tmp_path / "front.avi")
    transport = HttpTransport("http://centre", centre.token, client=centre.client)
    runtime = UnitRuntime(
        unit_config(tmp_path, video),
        transport=transport,
        plugins=([Plugin(FirstSight())], []),
        exit_when_sources_end=True,
    )
    page: dict[str, object] = {}

    async def look_at_the_crew_page() -> None:
        while runtime.crew is None or not runtime.recent_alerts():  # noqa: ASYNC110 - polling another thread
            await asyncio.sleep(0.05)
        assert runtime.crew is not None
        message = UnitMessage(unit_id="RBT-9", body="return to base")
        runtime.inbox.receive(message)
        url = runtime.crew.url
        page["html"] = (await asyncio.to_thread(get, url + "/"))[1].decode()
        page["metrics"] = (await asyncio.to_thread(get, url + "/metrics"))[1].decode()
        alert_id = runtime.recent_alerts()[0].alert.id
        page["snapshot"] = (await asyncio.to_thread(get, f"{url}/evidence/{alert_id}/snapshot.jpg"))[1]
        request = urllib.request.Request(f"{url}/api/messages/{message.id}/read", method="POST")
        page["read"] = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(request).read()))

    looker = asyncio.create_task(look_at_the_crew_page())
    await asyncio.wait_for(runtime.run(asyncio.Event()), timeout=60)
    await asyncio.wait_for(looker, timeout=5)
    corrupt = runtime.metrics.frames.labels(camera="front", outcome="corrupt")._value.get()
    final_metrics = runtime.metrics.render().decode()
    sent_alerts = len(runtime.recent_alerts())
    pending = runtime.outbox.pending()
    runtime.close()

    assert corrupt >= 1, "the damaged frames are counted"
    assert sent_alerts >= 2 and "alert" not in pending and "evidence" not in pending
    with centre.center.db.session() as session:
        stored = session.execute(select(func.count()).select_from(models.Alert)).scalar_one()
        evidence = session.execute(select(func.count()).select_from(models.AlertEvidence)).scalar_one()
    assert stored == sent_alerts and evidence == 2 * sent_alerts  # snapshot + crop each

    assert "return to base" in str(page["html"]) and "track " in str(page["html"])
    assert 'amane_unit_frames_total{camera="front",outcome="analysed"}' in str(page["metrics"])
    assert f'amane_unit_frames_total{{camera="front",outcome="corrupt"}} {corrupt}' in final_metrics
    assert 'amane_unit_stage_seconds_bucket{camera="front"' in str(page["metrics"])
    snapshot = page["snapshot"]
    assert isinstance(snapshot, bytes)
    assert cv2.imdecode(np.frombuffer(snapshot, np.uint8), cv2.IMREAD_COLOR) is not None
    assert page["read"] == {"read": True, "changed": True}


def test_slots_keep_only_the_newest_frame_and_count_the_replaced() -> None:
    replaced: list[str] = []
    slots = FrameSlots(replaced.append)
    stop = threading.Event()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    image = np.zeros((4, 4, 3), np.uint8)
    for i in range(5):
        slots.put(Frame("front", image, at + timedelta(seconds=i), i), block=False, stop=stop)
    slots.put(Frame("rear", image, at, 0), block=False, stop=stop)
    first = slots.take(frozenset({"front", "rear"}), 0.1)
    second = slots.take(frozenset({"front", "rear"}), 0.1)
    assert (first and first.camera_id, second and second.index) == ("rear", 4)  # oldest waiting first
    assert replaced == ["front"] * 4
    assert slots.take(frozenset({"front"}), 0.01) is None


def test_a_slow_pipeline_drops_stale_frames_instead_of_queueing(tmp_path: Path) -> None:
    """A 40 fps camera and a detector that needs 50 ms: the unit analyses what it can, newest first."""
    import time

    from amane.core.detections import Detections
    from amane.sim.source import SimCamera, SimSource

    class SlowDetector:
        def detect(self, image: np.ndarray, regions: object = None) -> Detections:  # type: ignore[type-arg]
            time.sleep(0.05)
            return Detections.empty()

    source = SimSource(
        [SimCamera("front", SceneConfig(width=160, height=90, seed=2))], fps=40.0, realtime=True
    )
    config = unit_config(tmp_path, tmp_path / "unused.avi").model_copy(update={"sources": []})
    runtime = UnitRuntime(config, sources=[source], plugins=([], []), detector_factory=SlowDetector)
    runtime.start_threads()
    time.sleep(2.0)
    runtime.stop_threads()
    runtime.refresh_metrics()
    frames = runtime.metrics.frames
    detected = frames.labels(camera="front", outcome="analysed")._value.get()  # motion: the detector ran
    analysed = detected + frames.labels(camera="front", outcome="still")._value.get()  # still: it did not
    dropped = sum(
        frames.labels(camera="front", outcome=o)._value.get()
        for o in ("dropped_replaced", "dropped_stale", "source_dropped")
    )
    made = source.stats.frames_read + source.stats.frames_dropped
    runtime.close()
    assert detected <= 2.0 / 0.05 + 2  # never more than the detector can do
    assert dropped >= 20  # the rest was dropped, not queued
    assert made - 2 <= analysed + dropped <= made  # every frame the camera made is accounted for
