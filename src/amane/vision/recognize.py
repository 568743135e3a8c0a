"""How recognisers (plates, faces, ...) plug into the unit pipeline, per track.

The pipeline tracks objects and, on a schedule, hands a recogniser a track's best crops (not
every frame). A recogniser returns :class:`Finding` objects; the pipeline turns each into an
:class:`~amane.core.messages.Alert` with evidence (the full-frame snapshot with the box drawn,
plus the crop) and puts it in the outbox. A recogniser keeps per-track state (votes, best
faces) and is told when a track ends, so it can emit one finding per pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from amane.core.detections import Detections
from amane.core.messages import AlertKind, Severity

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class TrackObservation:
    """One sighting of a tracked object, as given to a recogniser."""

    track_id: int
    camera_id: str
    class_id: int
    box: tuple[float, float, float, float]
    frame: Image
    """The BGR image ``box`` is in: the unit pipeline passes the box's surroundings (a quarter of the box
    size on each side, where the frame allows), since a track's best sightings are kept for later; crop
    with ``box``. Do not keep a reference beyond the call."""
    observed_at: datetime
    bearing_deg: float | None = None
    quality: float = 0.0
    """How good this sighting is for recognition (bigger, sharper, more frontal: higher)."""

    def crop(self, margin: float = 0.0) -> Image:
        """The box cut from the frame, grown by ``margin`` times its size on each side."""
        x1, y1, x2, y2 = self.box
        mw, mh = (x2 - x1) * margin, (y2 - y1) * margin
        h, w = self.frame.shape[:2]
        xa, ya = max(0, int(x1 - mw)), max(0, int(y1 - mh))
        xb, yb = min(w, round(x2 + mw)), min(h, round(y2 + mh))
        return self.frame[ya:yb, xa:xb].copy()


@dataclass(frozen=True)
class Finding:
    """What a recogniser concluded about a track: the pipeline turns it into an alert."""

    kind: AlertKind
    severity: Severity
    summary: str
    track_id: int
    camera_id: str
    observed_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    crop: Image | None = None
    snapshot: Image | None = None
    box: tuple[float, float, float, float] | None = None
    bearing_deg: float | None = None


@runtime_checkable
class TrackRecognizer(Protocol):
    """A per-track recogniser plug-in (plate reader + hotlist, face matcher + watchlist, ...)."""

    name: str
    class_ids: frozenset[int]
    """The detector classes this recogniser looks at (e.g. COCO 2, 3, 5, 7 for plates; 0 for faces)."""

    def observe(self, observation: TrackObservation) -> list[Finding]:
        """Look at one of a track's best sightings; may return findings at once (e.g. a confident hit)."""
        ...

    def end_track(self, track_id: int) -> list[Finding]:
        """The track is gone: conclude (e.g. vote over the pass) and free its state."""
        ...


@runtime_checkable
class SceneAnalyzer(Protocol):
    """A per-camera plug-in that reasons over all tracks at once (behaviour rules: zones, crowds, ...).

    Called on every analysed frame of a camera with the tracked detections (``tracker_id`` set).
    """

    name: str

    def update(self, camera_id: str, tracks: Detections, at: datetime, frame: Image | None) -> list[Finding]:
        """Advance the rules to time ``at``; return the alarms that fire now."""
        ...
