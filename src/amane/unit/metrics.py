"""The unit's Prometheus metrics: per-stage timings, frame outcomes (analysed, still, dropped, corrupt),
alerts, frame-to-alert latency, outbox backlog and link state. One registry per unit (several simulated
units can share a process).

>>> m = UnitMetrics("RBT-1")
>>> m.frames.labels(camera="front", outcome="analysed").inc()
>>> b"amane_unit_frames_total" in m.render()
True
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

STAGES = ("motion", "detect", "track", "recognize", "analyze", "evidence", "total")
_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)
_LATENCY_BUCKETS = (0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 5.0)


class UnitMetrics:
    """All metrics of one unit, in their own registry."""

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.stage_seconds = Histogram(
            "amane_unit_stage_seconds",
            "Time per pipeline stage per analysed frame",
            ["camera", "stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.frame_cpu_seconds = Histogram(
            "amane_unit_frame_cpu_seconds",
            "CPU time the analysing thread spent on a frame (unaffected by "
            "waiting for a core: what a frame costs)",
            ["camera"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.frames = Counter(
            "amane_unit_frames",
            "Frames by outcome: analysed, still (nothing moved), dropped_replaced (a newer "
            "frame came first), dropped_stale (too old when a worker got to it), corrupt, source_dropped",
            ["camera", "outcome"],
            registry=r,
        )
        self.alerts = Counter("amane_unit_alerts", "Alerts raised", ["kind"], registry=r)
        self.latency = Histogram(
            "amane_unit_frame_to_alert_seconds",
            "From frame capture to alert in the outbox",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tracks = Gauge("amane_unit_live_tracks", "Tracks alive", ["camera"], registry=r)
        self.outbox_pending = Gauge("amane_unit_outbox_pending", "Outbox items waiting", ["kind"], registry=r)
        self.link_up = Gauge("amane_unit_link_up", "1 while the centre answers", registry=r)
        self.plugin_errors = Counter(
            "amane_unit_plugin_errors", "Recogniser/analyser exceptions", ["plugin"], registry=r
        )

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return bytes(generate_latest(self.registry))
