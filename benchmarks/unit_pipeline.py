"""Four 1280x720 streams at 15 fps through the unit's default pipeline, fed in real time.

Each stream is a synthetic street scene (``amane.sim``) rendered live on its own capture thread, exactly
as a camera reader delivers frames: the unit's runtime keeps only each camera's newest frame, its
analysis workers run the motion gate, the classical detector where something moved, the tracker and the
recogniser schedule; every alert goes through evidence (JPEG snapshot + crop) into the SQLite outbox (the
uplink is offline: the backlog just grows, as on a unit out of coverage).

Alerts come from a *probe* recogniser that reports each track the first time the schedule hands it over
(so frame-to-alert latency covers the whole path: capture -> gate -> detector -> tracker -> schedule ->
evidence -> outbox). Installed plate/face/behaviour plug-ins are added with ``--plugins auto``.

Also measured: the bearing error on a synthetic equirectangular panorama with discs at known azimuths,
split into four views by the real 360° source (``amane.vision.sources.synthetic``).

    python benchmarks/unit_pipeline.py --quick --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2

from amane.config.unit import CenterLinkConfig, EvidenceConfig, OutboxConfig, SchedulingConfig, UnitConfig
from amane.core.messages import Alert, AlertKind, Severity
from amane.sim.scene import SceneConfig
from amane.sim.source import SimCamera, SimSource, SimulatedCamerasConfig
from amane.unit.pipeline import Plugin
from amane.unit.plugins import load_plugins
from amane.unit.runtime import UnitRuntime
from amane.vision.recognize import Finding, TrackObservation
from amane.vision.sources import EquirectSourceConfig, open_source
from amane.vision.sources.base import Frame
from amane.vision.sources.synthetic import SphereDisc, bearing_errors, render_panorama

CAMERAS = (("front", 0.0), ("right", 90.0), ("rear", 180.0), ("left", 270.0))


class FirstSightProbe:
    """Reports each track once, the first time the schedule hands it over (a latency probe)."""

    name = "first-sight-probe"
    class_ids = frozenset({0, 2, 3, 5, 7})

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def observe(self, observation: TrackObservation) -> list[Finding]:
        with self._lock:
            if observation.track_id in self._seen:
                return []
            self._seen.add(observation.track_id)
        return [
            Finding(
                AlertKind.BEHAVIOUR,
                Severity.INFO,
                f"track {observation.track_id} seen",
                observation.track_id,
                observation.camera_id,
                observation.observed_at,
            )
        ]

    def end_track(self, track_id: int) -> list[Finding]:
        with self._lock:
            self._seen.discard(track_id)
        return []


class TimedSimSource(SimSource):
    """A live synthetic camera that adds up the CPU its rendering takes (the stand-in for decoding)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.render_cpu_s = 0.0
        self.rendered = 0

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        t0 = time.thread_time()
        frames = super().read(wait_s)
        self.render_cpu_s += time.thread_time() - t0
        self.rendered += len(frames or [])
        return frames


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_streams(
    seconds: float, streams: int, width: int, height: int, fps: float, plugins: str, workdir: Path
) -> dict[str, Any]:
    """Run the unit runtime on ``streams`` live synthetic cameras for ``seconds``."""
    cams = CAMERAS[:streams] if streams <= 4 else [(f"cam{i}", 360.0 * i / streams) for i in range(streams)]
    sources = [
        TimedSimSource(
            [SimCamera(cid, SceneConfig(width=width, height=height, seed=11 + i), yaw, 90.0)],
            fps=fps,
            realtime=True,
        )
        for i, (cid, yaw) in enumerate(cams)
    ]
    config = UnitConfig(
        unit_id="BENCH-1",
        center=CenterLinkConfig(url="http://127.0.0.1:9", token="offline"),
        simulated=SimulatedCamerasConfig(),  # unused: the sources are passed in (one capture thread each)
        evidence=EvidenceConfig(dir=workdir / "evidence"),
        outbox=OutboxConfig(path=workdir / "outbox.db"),
        scheduling=SchedulingConfig(workers=2),
    )
    recognizers: list[Plugin] = [Plugin(FirstSightProbe())]
    analyzers: list[Plugin] = []
    if plugins == "auto":
        from amane.sim.fleet import available_plugins

        more_r, analyzers = load_plugins(available_plugins())
        recognizers += more_r
    latencies: list[float] = []
    lock = threading.Lock()

    def on_alert(alert: Alert, latency: float | None) -> None:
        if latency is not None:
            with lock:
                latencies.append(latency)

    runtime = UnitRuntime(config, sources=sources, plugins=(recognizers, analyzers), on_alert=on_alert)
    warmup = min(2.0, seconds / 5)
    runtime.start_threads()
    time.sleep(warmup)
    frames = runtime.metrics.frames
    before = {c: _analysed(frames, c) for c, _ in cams}
    with lock:
        latencies.clear()
    render0 = sum(src.render_cpu_s for src in sources)
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    time.sleep(seconds)
    usage1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    render_cpu = sum(src.render_cpu_s for src in sources) - render0
    after = {c: _analysed(frames, c) for c, _ in cams}
    rss = _rss_mb()
    runtime.stop_threads()
    runtime.refresh_metrics()
    elapsed = wall1 - wall0
    cpu = (usage1.ru_utime - usage0.ru_utime + usage1.ru_stime - usage0.ru_stime) / elapsed
    per_stream = {}
    for cid, _ in cams:
        drops = sum(
            frames.labels(camera=cid, outcome=o)._value.get()
            for o in ("dropped_replaced", "dropped_stale", "source_dropped")
        )
        per_stream[cid] = {
            "analysed_fps": round((after[cid] - before[cid]) / elapsed, 2),
            "drops": int(drops),
        }
    stage = runtime.metrics.stage_seconds
    stage_ms = {}
    for name in ("motion", "detect", "track", "recognize", "analyze", "evidence", "total"):
        total = sum(stage.labels(camera=c, stage=name)._sum.get() for c, _ in cams)
        count = sum(_hist_count(stage.labels(camera=c, stage=name)) for c, _ in cams)
        stage_ms[name] = round(1000 * total / count, 2) if count else None
    runtime.close()
    lat = sorted(latencies)
    analysed = sum(after[c] - before[c] for c, _ in cams)
    cpu_ms = 1000 * (cpu * elapsed - render_cpu) / max(analysed, 1.0)
    frame_cpu = runtime.metrics.frame_cpu_seconds
    thread_ms = (
        1000
        * sum(frame_cpu.labels(camera=c)._sum.get() for c, _ in cams)
        / max(1.0, sum(_analysed(frames, c) for c, _ in cams))
    )
    render_ms = 1000 * render_cpu / max(1, sum(src.rendered for src in sources))
    return {
        "streams": len(cams),
        "resolution": f"{width}x{height}",
        "fps_in": fps,
        "seconds": round(elapsed, 1),
        "per_stream": per_stream,
        "analysed_fps_min": min(s["analysed_fps"] for s in per_stream.values()),
        "alerts": len(lat),
        "latency_p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
        "latency_p95_ms": round(1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1) if lat else None,
        "stage_wall_ms_mean": stage_ms,
        "cpu_cores_used": round(cpu, 2),
        "cpu_ms_per_frame": round(cpu_ms, 2),
        "analysis_thread_cpu_ms_per_frame": round(thread_ms, 2),
        "render_ms_per_frame": round(render_ms, 2),
        "capacity_fps_per_stream_2_cores": round(2000.0 / (thread_ms + render_ms) / len(cams), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "rss_mb": round(rss, 1),
        "max_rss_mb": round(usage1.ru_maxrss / 1024, 1),
    }


def _hist_count(child: Any) -> float:
    """Observations of one histogram child (the +Inf bucket)."""
    return float(sum(b.get() for b in child._buckets))


def _analysed(frames: Any, camera: str) -> float:
    return float(sum(frames.labels(camera=camera, outcome=o)._value.get() for o in ("analysed", "still")))


def bearing_error_max_deg(workdir: Path) -> float:
    """Worst bearing error of discs at known azimuths, through the real equirectangular split (4 views)."""
    bearings = [0.0, 23.5, 47.3, 88.0, 133.0, 160.2, 181.5, 222.2, 268.0, 301.0, 341.7, 359.0]
    elevations = [0.0, 5.0, 8.0, -3.0, -12.0, 10.0, 3.0, -8.0, 15.0, 0.0, -5.0, 2.0]
    colours = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]
    discs = [
        SphereDisc(b, e, 2.5, colours[i % len(colours)])
        for i, (b, e) in enumerate(zip(bearings, elevations, strict=True))
    ]
    folder = workdir / "pano"
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "pano_0001.png"), render_panorama(discs, 2048, 1024))
    source = open_source(
        EquirectSourceConfig.model_validate(
            {
                "type": "equirect",
                "source": {"type": "folder", "id": "roof", "path": str(folder)},
                "views": [
                    {"name": n, "yaw_deg": y, "hfov_deg": 100.0, "width": 640, "height": 480}
                    for n, y in CAMERAS
                ],
            }
        )
    )
    frames = source.read() or []
    source.close()
    views = [(f.image, f.view) for f in frames if f.view is not None]
    errors = bearing_errors(views, discs)
    if len(errors) != len(discs):
        raise RuntimeError(f"only {len(errors)} of {len(discs)} discs were found in the views")
    return round(max(errors.values()), 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="12 s of streams instead of 60 s (< 45 s in all)"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--seconds", type=float, help="measured seconds (after a 2 s warm-up)")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--plugins", choices=("none", "auto"), default="none")
    args = parser.parse_args(argv)
    seconds = args.seconds or (12.0 if args.quick else 60.0)
    with tempfile.TemporaryDirectory(prefix="amane-bench-") as tmp:
        result = run_streams(
            seconds, args.streams, args.width, args.height, args.fps, args.plugins, Path(tmp)
        )
        result["bearing_error_max_deg"] = bearing_error_max_deg(Path(tmp))
    result["targets"] = {
        "analysed_fps_min": ">= 10",
        "latency_p95_ms": "<= 300",
        "bearing_error_max_deg": "<= 1",
    }
    result["pass"] = bool(
        result["analysed_fps_min"] >= 10
        and result["latency_p95_ms"] is not None
        and result["latency_p95_ms"] <= 300
        and result["bearing_error_max_deg"] <= 1.0
    )
    print(
        f"unit pipeline: {result['streams']} x {result['resolution']} @ {result['fps_in']} fps, "
        f"{result['seconds']} s measured"
    )
    print(f"{'stream':<10}{'analysed fps':>14}{'drops':>8}")
    for cid, s in result["per_stream"].items():
        print(f"{cid:<10}{s['analysed_fps']:>14.2f}{s['drops']:>8d}")
    print(f"analysed fps min       {result['analysed_fps_min']:.2f}   (target >= 10)")
    print(
        f"frame-to-alert p50/p95 {result['latency_p50_ms']} / {result['latency_p95_ms']} ms over "
        f"{result['alerts']} alerts   (target p95 <= 300)"
    )
    print(f"bearing error max      {result['bearing_error_max_deg']} deg   (target <= 1)")
    stages = ", ".join(f"{k} {v}" for k, v in result["stage_wall_ms_mean"].items())
    print(f"stage wall ms (mean)   {stages}")
    print(
        f"cpu cores used         {result['cpu_cores_used']}   rss {result['rss_mb']} MB "
        f"(max {result['max_rss_mb']} MB)"
    )
    print(
        f"cpu per analysed frame {result['analysis_thread_cpu_ms_per_frame']} ms in the analysis thread "
        f"({result['cpu_ms_per_frame']} ms process-wide) "
        f"(+ {result['render_ms_per_frame']} ms to render it) -> "
        f"{result['capacity_fps_per_stream_2_cores']} fps "
        f"per stream if 2 cores were ours (load average {result['load_average_1m']} when measured)"
    )
    print(f"pass                   {result['pass']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
