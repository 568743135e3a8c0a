"""Multi-object tracking with stable ids (ByteTrack), one tracker per camera, ids unique across the unit.

>>> from datetime import datetime, timezone
>>> trackers = CameraTrackers(TrackerConfig())
>>> d = Detections(np.array([[0.0, 0, 10, 20]]), np.array([0.9]))
>>> at = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> _ = trackers.update("front", d, at), trackers.update("rear", d, at)
>>> trackers.update("front", d, at).tracker_id.tolist(), trackers.update("rear", d, at).tracker_id.tolist()
([1], [2])
"""

from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np

from amane.core.detections import Detections
from amane.vision.track.bytetrack import ByteTrackConfig, ByteTracker

__all__ = ["ByteTrackConfig", "ByteTracker", "CameraTrackers", "Tracker", "TrackerConfig", "build_tracker"]

TrackerConfig = ByteTrackConfig
"""The tracker configuration (one kind today; becomes a discriminated union when a second tracker lands)."""
Tracker = ByteTracker
"""The tracker: ``update(detections, at) -> Detections`` (tracker_id set), ``pop_ended() -> list[int]``."""

_ = np  # re-exported for the doctest namespace


def build_tracker(
    config: TrackerConfig | None = None, next_id: itertools.count[int] | None = None
) -> Tracker:
    """A tracker for one camera; pass a shared ``itertools.count(1)`` to keep ids unique across cameras."""
    counter = next_id if next_id is not None else itertools.count(1)
    return ByteTracker(config or TrackerConfig(), lambda: next(counter))


class CameraTrackers:
    """One tracker per camera, created on first sight, ids unique across all cameras of the unit."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._ids = itertools.count(1)
        self._trackers: dict[str, Tracker] = {}

    def update(self, camera_id: str, detections: Detections, at: datetime) -> Detections:
        """Track ``detections`` of ``camera_id`` at time ``at``; returns them with ``tracker_id`` set."""
        tracker = self._trackers.get(camera_id)
        if tracker is None:
            tracker = self._trackers[camera_id] = build_tracker(self.config, self._ids)
        return tracker.update(detections, at)

    def pop_ended(self) -> list[int]:
        """Ids of tracks that ended on any camera since the last call."""
        return [i for tracker in self._trackers.values() for i in tracker.pop_ended()]

    def end_all(self) -> list[int]:
        """End every track of every camera (shutdown) and return the ids."""
        return [i for tracker in self._trackers.values() for i in tracker.end_all()]
