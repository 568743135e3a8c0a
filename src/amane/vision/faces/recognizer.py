"""``FaceRecognizer``: the face watchlist as a per-track recogniser of the unit pipeline.

On a person track's best sightings it looks for a face in the upper part of the person box,
gates it on quality, embeds it and keeps the track's ``top_k`` best faces in memory. When the
mean of those embeddings lies within the threshold of a watchlist template it returns ONE
:class:`~amane.vision.recognize.Finding` for the pass, worded as a lead for human review (not an
identification), with the probe chip, the reference person and photo, the score and threshold.

Safeguards in this class:

* it does nothing unless ``is_authorised(now, position)`` says live identification is authorised
  (an authorisation record for this time and place); when it turns false, track state is dropped;
* faces that match nothing are never stored: a track's faces live in memory until the track
  ends, then are freed; only a match leaves the recogniser (as the finding);
* a track alerts at most once per pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.core.messages import AlertKind, Severity
from amane.vision.faces.matcher import Gallery, TrackFaces, decide
from amane.vision.faces.pipeline import FacePipeline, FacePipelineConfig
from amane.vision.recognize import Finding, TrackObservation

logger = logging.getLogger(__name__)

Position = tuple[float, float] | None
"""(lat, lon) of the unit when known."""

LEAD_STATEMENT = (
    "Possible match: a lead for human review, not an identification. Two different reviewers must "
    "confirm before anyone acts on it."
)
NOTICE_SEVERITY = {"red": Severity.HIGH, "orange": Severity.HIGH, "yellow": Severity.MEDIUM}


class FaceRecognizerConfig(BaseModel):
    """How a track's faces are gathered and matched."""

    model_config = ConfigDict(extra="forbid")

    threshold: float | None = Field(
        None, ge=0.0, le=4.0,
        description="Euclidean distance below which a track matches; None: the embedder's calibrated one.",
    )
    top_k: int = Field(3, ge=1, le=20, description="Best faces of a track kept and averaged.")
    min_faces: int = Field(
        2, ge=1, le=20, description="Faces needed before a match may be called while the track is alive."
    )
    head_fraction: float = Field(
        0.55, gt=0.0, le=1.0, description="Upper fraction of a person box searched for the face."
    )
    search_k: int = Field(5, ge=1, le=100, description="Nearest templates looked at per decision.")


class FaceRecognizer:
    """Matches person tracks' faces against a watchlist gallery (a :class:`TrackRecognizer`)."""

    name = "faces"
    class_ids = frozenset({0})

    def __init__(self, pipeline: FacePipeline, gallery: Gallery, *,
                 is_authorised: Callable[[datetime, Position], bool],
                 position: Callable[[], Position] = lambda: None,
                 config: FaceRecognizerConfig | None = None) -> None:
        self.pipeline = pipeline
        self.gallery = gallery
        self.is_authorised = is_authorised
        self.position = position
        self.config = config or FaceRecognizerConfig()
        self.threshold = self.config.threshold if self.config.threshold is not None else pipeline.threshold
        self._tracks: dict[int, TrackFaces] = {}
        self._last: dict[int, TrackObservation] = {}

    def observe(self, observation: TrackObservation) -> list[Finding]:
        """Look for a face in one sighting; a finding when the track's faces now match."""
        if observation.class_id not in self.class_ids:
            return []
        if not self.is_authorised(observation.observed_at, self.position()):
            self._tracks.pop(observation.track_id, None)  # nothing kept while not authorised
            self._last.pop(observation.track_id, None)
            return []
        state = self._tracks.setdefault(observation.track_id, TrackFaces(self.config.top_k))
        if state.alerted:
            return []
        crop = self._head(observation)
        if crop.size == 0:
            return []
        results = self.pipeline.analyse(crop, max_faces=1)
        if not results or results[0].embedding is None:
            return []
        face = results[0]
        assert face.embedding is not None
        state.add(face.embedding, face.quality.score, chip=face.chip, crop=crop)
        self._last[observation.track_id] = observation
        if len(state) >= min(self.config.min_faces, self.config.top_k):
            return self._conclude(observation.track_id)
        return []

    def end_track(self, track_id: int) -> list[Finding]:
        """The track is gone: decide on what it gathered (if not already alerted) and free it."""
        findings: list[Finding] = []
        state = self._tracks.get(track_id)
        last = self._last.get(track_id)
        if state is not None and len(state) and not state.alerted and last is not None \
                and self.is_authorised(last.observed_at, self.position()):
            findings = self._conclude(track_id)
        self._tracks.pop(track_id, None)
        self._last.pop(track_id, None)
        return findings

    def _head(self, obs: TrackObservation) -> np.ndarray:
        x1, y1, x2, y2 = obs.box
        h, w = obs.frame.shape[:2]
        head_y2 = y1 + (y2 - y1) * self.config.head_fraction
        mx = 0.15 * (x2 - x1)
        xa, ya = max(0, int(x1 - mx)), max(0, int(y1 - 0.1 * (y2 - y1)))
        xb, yb = min(w, round(x2 + mx)), min(h, round(head_y2))
        return obs.frame[ya:yb, xa:xb].copy()

    def _conclude(self, track_id: int) -> list[Finding]:
        state = self._tracks[track_id]
        obs = self._last[track_id]
        decision = decide(self.gallery.search(state.aggregate(), self.config.search_k), self.threshold)
        if decision.hit is None:
            return []
        state.alerted = True
        hit = decision.hit
        person = self.gallery.describe(hit.person_id)
        best = state.best()
        probe_bgr = np.ascontiguousarray(best.chip[:, :, ::-1])
        ok, jpeg = cv2.imencode(".jpg", probe_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        payload: dict[str, object] = {
            "lead": True,
            "identification": False,
            "statement": LEAD_STATEMENT,
            "reviewers_required": 2,
            **person,
            "reference_photo_id": hit.photo_id,
            "reference_jpeg_b64": self.gallery.reference_jpeg_b64(hit.photo_id),
            "probe_chip_jpeg_b64": _b64(jpeg.tobytes()) if ok else None,
            "distance": round(hit.distance, 4),
            "threshold": round(self.threshold, 4),
            "similarity": round(max(0.0, 1.0 - hit.distance / (2.0 * self.threshold)), 4),
            "margin_to_runner_up": None if decision.runner_up is None
            else round(decision.runner_up.distance - hit.distance, 4),
            "faces_used": len(state),
            "faces_seen": state.seen,
            "model_id": getattr(self.pipeline.embedder, "model_id", ""),
        }
        logger.info("face lead: track %s ~ watchlist person %s (d=%.3f < %.3f)", track_id, hit.person_id,
                    hit.distance, self.threshold)
        notice = str(person.get("notice", ""))
        return [Finding(
            kind=AlertKind.FACE, severity=NOTICE_SEVERITY.get(notice, Severity.MEDIUM),
            summary=f"Possible watchlist match (lead, needs 2 reviewers): {person.get('person_name')} "
                    f"[{notice} notice], distance {hit.distance:.3f} < {self.threshold:.3f}",
            track_id=track_id, camera_id=obs.camera_id, observed_at=obs.observed_at, payload=payload,
            crop=best.crop if best.crop is not None else probe_bgr, snapshot=obs.frame.copy(), box=obs.box,
            bearing_deg=obs.bearing_deg,
        )]


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


class FacesPluginOptions(BaseModel):
    """``unit.yaml`` options of the ``faces`` recogniser plug-in."""

    model_config = ConfigDict(extra="forbid")

    pipeline: FacePipelineConfig = Field(default_factory=FacePipelineConfig,
                                         description="Detector, embedder, quality gate.")
    recognizer: FaceRecognizerConfig = Field(default_factory=FaceRecognizerConfig, description="Matching.")
    watchlist_db: str | None = Field(
        None, description="Watchlist database URL (default $AMANE_WATCHLIST_DB; key: $AMANE_WATCHLIST_KEY)."
    )
    center_url: str | None = Field(
        None, description="Centre asked for live-identification authorisation; None: matching stays off."
    )
    token_env: str = Field("AMANE_UNIT_TOKEN", description="Environment variable holding the unit's token.")
    authorisation_ttl_s: float = Field(15.0, gt=0.0, le=300.0, description="How long an answer is trusted.")


def _never(now: datetime, position: Position) -> bool:
    return False


def build_recognizer(options: dict[str, object]) -> FaceRecognizer:
    """The ``faces`` plug-in of ``unit.yaml`` (see :class:`FacesPluginOptions`).

    Without ``center_url`` live identification can never be authorised, so nothing is matched.
    The unit sets ``recognizer.position`` to its GPS (a callable returning (lat, lon) or None).
    """
    import os

    import httpx

    from amane.watchlists.faces_authorisation import CenterAuthorisation
    from amane.watchlists.faces_service import FaceWatchlistService

    opts = FacesPluginOptions.model_validate(options)
    pipeline = FacePipeline(opts.pipeline)
    service = FaceWatchlistService.open(opts.watchlist_db, pipeline=pipeline)
    authorised: Callable[[datetime, Position], bool] = _never
    if opts.center_url:
        token = os.environ.get(opts.token_env)
        if not token:
            raise ValueError(f"faces: center_url is set but ${opts.token_env} (the unit token) is not")
        authorised = CenterAuthorisation(httpx.Client(base_url=opts.center_url), token=token,
                                         ttl_s=opts.authorisation_ttl_s)
    else:
        logger.warning("faces: no center_url: live face identification can never be authorised (off)")
    return FaceRecognizer(pipeline, service.gallery(), is_authorised=authorised, config=opts.recognizer)
