"""The plate recogniser the unit pipeline runs per vehicle track: read, vote per pass, check the hotlist.

On each of a track's best sightings it reads the plate inside the vehicle box. A confident exact
hotlist hit raises a finding at once; otherwise the reads of the pass are voted into one read when
the track ends and looked up (exact, then OCR-confusion-aware fuzzy). A hit becomes a
``Finding(kind=AlertKind.PLATE)`` carrying the plate crop and the vehicle snapshot. A read that
hits nothing is not kept raw: :class:`~amane.vision.plates.retention.ReadRetention` keeps what the
retention setting allows (by default a keyed hash, for the configured days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from amane.core.messages import AlertKind, Severity
from amane.core.plates import transliterate
from amane.vision.plates.base import Image, PlateRead
from amane.vision.plates.reader import PlateReader, ReaderConfig
from amane.vision.plates.retention import ReadRetention, RetentionConfig
from amane.vision.plates.voting import vote
from amane.vision.recognize import Finding, TrackObservation
from amane.watchlists.hotlist import Hotlist, HotlistMatch

logger = logging.getLogger(__name__)

VEHICLE_CLASS_IDS = frozenset({2, 3, 5, 7})
_SEVERITY = {1: Severity.CRITICAL, 2: Severity.HIGH, 3: Severity.MEDIUM, 4: Severity.LOW, 5: Severity.INFO}


class PlateRecognizerConfig(BaseModel):
    """Plate recognition on vehicle tracks."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["plates"] = "plates"
    reader: ReaderConfig = Field(default_factory=ReaderConfig)
    max_reads_per_track: int = Field(12, ge=1, le=100, description="Reads kept per pass for voting")
    immediate_confidence: float = Field(
        0.9,
        ge=0,
        le=1,
        description="A single read this confident with an exact hit alerts at once (1: every hit waits for "
        "the pass's vote; a sure read's confidence rounds to 1)",
    )
    min_vote_confidence: float = Field(
        0.3, ge=0, le=1, description="Voted reads below this are not looked up"
    )
    max_cost: float = Field(1.0, ge=0, le=3, description="Largest weighted edit distance for a fuzzy hit")
    retention: RetentionConfig = Field(default_factory=lambda: RetentionConfig(mode="none"))
    retention_path: Path = Field(Path("plate_reads.sqlite"), description="SQLite file of non-hit reads")


@dataclass
class _Pass:
    reads: list[PlateRead] = field(default_factory=list)
    best_conf: float = -1.0
    crop: Image | None = None
    snapshot: Image | None = None
    box: tuple[float, float, float, float] | None = None
    camera_id: str = ""
    observed_at: datetime | None = None
    bearing_deg: float | None = None
    alerted: bool = False


class PlateRecognizer:
    """A :class:`~amane.vision.recognize.TrackRecognizer` for plates (COCO car, motorcycle, bus, truck)."""

    name = "plates"
    class_ids = VEHICLE_CLASS_IDS

    def __init__(
        self,
        hotlist: Hotlist,
        config: PlateRecognizerConfig | None = None,
        reader: PlateReader | None = None,
        retention: ReadRetention | None = None,
    ) -> None:
        self.config = config or PlateRecognizerConfig()
        self.hotlist = hotlist
        self.reader = reader or PlateReader(self.config.reader)
        self.retention = retention
        if self.retention is None and self.config.retention.mode != "none":
            self.retention = ReadRetention(self.config.retention, self.config.retention_path)
        self._passes: dict[int, _Pass] = {}

    def observe(self, observation: TrackObservation) -> list[Finding]:
        """Read the plate in this sighting; alert at once on a confident exact hit."""
        if observation.class_id not in self.class_ids:
            return []
        state = self._passes.setdefault(observation.track_id, _Pass())
        dets = self.reader.read_frame(observation.frame, [observation.box])
        if not dets:
            return []
        det = dets[0]
        if len(state.reads) < self.config.max_reads_per_track:
            state.reads.append(det.read)
        if det.read.confidence > state.best_conf:
            state.best_conf = det.read.confidence
            state.crop, state.snapshot = det.crop, observation.crop(margin=0.1)
            state.box, state.camera_id = observation.box, observation.camera_id
            state.observed_at, state.bearing_deg = observation.observed_at, observation.bearing_deg
        immediate = self.config.immediate_confidence
        if state.alerted or immediate >= 1.0 or det.read.confidence < immediate:
            return []
        matches = self.hotlist.lookup(det.read.text, fuzzy=False, now=observation.observed_at)
        if not matches:
            return []
        state.alerted = True
        return [self._finding(observation.track_id, state, det.read, matches[0])]

    def end_track(self, track_id: int) -> list[Finding]:
        """Vote over the pass, look the read up, alert or retain as configured."""
        state = self._passes.pop(track_id, None)
        if state is None or state.alerted or not state.reads or state.observed_at is None:
            return []
        voted = vote(state.reads)
        if not voted.text or voted.confidence < self.config.min_vote_confidence:
            return []
        matches = self.hotlist.lookup(voted.text, max_cost=self.config.max_cost, now=state.observed_at)
        if matches:
            return [self._finding(track_id, state, voted, matches[0])]
        if self.retention is not None:
            self.retention.record(voted.text, camera_id=state.camera_id, at=state.observed_at)
        return []

    def _finding(self, track_id: int, state: _Pass, read: PlateRead, match: HotlistMatch) -> Finding:
        e = match.entry
        assert state.observed_at is not None
        summary = (
            f"Hotlist {'hit' if match.exact else 'possible hit'}: {transliterate(read.text)} "
            f"({e.reason.value}, priority {e.priority}) - {e.action}"
        )
        logger.info("plate hit track %s: %s -> %s (score %.2f)", track_id, read.text, e.plate, match.score)
        payload = {
            "plate_read": read.text,
            "plate_transliterated": transliterate(read.text),
            "read_confidence": read.confidence,
            "reads": len(state.reads),
            "match": {"exact": match.exact, "score": match.score, "cost": match.cost},
            "entry": e.model_dump(mode="json"),
        }
        return Finding(
            kind=AlertKind.PLATE,
            severity=_SEVERITY[e.priority],
            summary=summary,
            track_id=track_id,
            camera_id=state.camera_id,
            observed_at=state.observed_at,
            payload=payload,
            crop=state.crop,
            snapshot=state.snapshot,
            box=state.box,
            bearing_deg=state.bearing_deg,
        )
