"""FaceRecognizer on a rendered street scene: one lead per pass for an enrolled face, none otherwise."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.vision.faces.face_scenes import astronaut_bgr, lfw_head, paste_person, street

from amane.core.messages import AlertKind
from amane.vision.faces import FacePipeline
from amane.vision.faces.recognizer import FaceRecognizer, FaceRecognizerConfig
from amane.vision.recognize import TrackObservation, TrackRecognizer
from amane.watchlists.crypto import TemplateCipher
from amane.watchlists.faces import FaceWatchlist
from amane.watchlists.faces_service import FaceWatchlistService

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _enrolled(astronaut: bool, lfw: tuple[int, ...]) -> FaceWatchlistService:
    svc = FaceWatchlistService(FaceWatchlist("sqlite://", TemplateCipher(TemplateCipher.generate_key())),
                               _PIPE)
    wl = svc.watchlist
    expiry = datetime.now(UTC) + timedelta(days=365)
    if astronaut:
        astro = wl.add_person(name="Astronaut Test", notice="red", reason="test subject",
                              legal_basis="test warrant", agency="test agency", expires_at=expiry,
                              created_by="pytest")
        # enrolment photo: another crop, scale, exposure and a slight rotation of the same photo
        a = astronaut_bgr()[10:330, 90:400]
        a = cv2.warpAffine(a, cv2.getRotationMatrix2D((155, 160), 4, 1.0), (a.shape[1], a.shape[0]))
        a = cv2.convertScaleAbs(cv2.resize(a, None, fx=1.5, fy=1.5), alpha=1.15, beta=-12)
        svc.enrol_photo(astro.id, cv2.imencode(".jpg", a)[1].tobytes())
    for i in lfw:  # other people on the list
        p = wl.add_person(name=f"LFW {i}", notice="blue", reason="distractor", legal_basis="test",
                          agency="test", expires_at=expiry, created_by="pytest")
        svc.enrol_photo(p.id, cv2.imencode(".png", lfw_head(i))[1].tobytes())
    return svc


_PIPE = FacePipeline()


@pytest.fixture(scope="module")
def service() -> FaceWatchlistService:
    """The astronaut and three other people on the list."""
    return _enrolled(True, (14, 16, 18))


@pytest.fixture(scope="module")
def others_only() -> FaceWatchlistService:
    """Other people on the list, not the astronaut."""
    return _enrolled(False, (14, 16, 18, 20, 22))


@pytest.fixture(scope="module")
def astronaut_only() -> FaceWatchlistService:
    """Only the astronaut on the list."""
    return _enrolled(True, ())


def _pass(head: np.ndarray, track_id: int, frames: int = 5, head_width: int = 130, seed: int = 0
          ) -> list[TrackObservation]:
    out = []
    for k in range(frames):
        frame = street(seed=seed)
        box = paste_person(frame, head, x=300 + 40 * k, y=250, head_width=head_width)
        out.append(TrackObservation(track_id=track_id, camera_id="front", class_id=0, box=box, frame=frame,
                                    observed_at=T0 + timedelta(seconds=k), quality=0.5))
    return out


def _run(rec: FaceRecognizer, observations: list[TrackObservation]) -> list:  # type: ignore[type-arg]
    findings = []
    for obs in observations:
        findings += rec.observe(obs)
    findings += rec.end_track(observations[0].track_id)
    return findings


def _astronaut_head() -> np.ndarray:
    return astronaut_bgr()[30:260, 120:330]


def test_is_a_track_recognizer(service: FaceWatchlistService) -> None:
    rec = FaceRecognizer(service.pipeline, service.gallery(), is_authorised=lambda now, pos: True)
    assert isinstance(rec, TrackRecognizer) and rec.class_ids == frozenset({0})


def test_enrolled_face_gives_one_lead_per_pass(service: FaceWatchlistService) -> None:
    rec = FaceRecognizer(service.pipeline, service.gallery(refresh=True), is_authorised=lambda now, pos: True)
    first = _run(rec, _pass(_astronaut_head(), track_id=1))
    second = _run(rec, _pass(_astronaut_head(), track_id=2, head_width=110, seed=1))
    for findings in (first, second):
        assert len(findings) == 1
        f = findings[0]
        assert f.kind is AlertKind.FACE
        p = f.payload
        assert p["lead"] is True and p["identification"] is False and p["reviewers_required"] == 2
        assert "not an identification" in str(p["statement"])
        assert p["person_name"] == "Astronaut Test" and p["notice"] == "red"
        assert float(p["distance"]) < float(p["threshold"]) == pytest.approx(_PIPE.threshold)  # type: ignore[arg-type]
        assert p["reference_jpeg_b64"] and p["probe_chip_jpeg_b64"]
        ref = cv2.imdecode(np.frombuffer(base64.b64decode(str(p["reference_jpeg_b64"])), np.uint8), 1)
        assert ref is not None and max(ref.shape[:2]) <= 320
        assert f.crop is not None and f.snapshot is not None
    assert rec._tracks == {}  # nothing kept after the pass


def test_unenrolled_astronaut_gives_nothing(others_only: FaceWatchlistService) -> None:
    rec = FaceRecognizer(others_only.pipeline, others_only.gallery(), is_authorised=lambda now, pos: True)
    obs = _pass(_astronaut_head(), track_id=20)
    assert others_only.pipeline.analyse(rec._head(obs[0]))[0].embedding is not None
    assert _run(rec, obs) == []
    assert _run(rec, _pass(_astronaut_head(), track_id=21, head_width=110, seed=1)) == []


def test_unenrolled_faces_give_nothing(astronaut_only: FaceWatchlistService) -> None:
    rec = FaceRecognizer(astronaut_only.pipeline, astronaut_only.gallery(),
                         is_authorised=lambda now, pos: True)
    tested = 0
    for idx in range(12, 60):
        obs = _pass(lfw_head(idx), track_id=100 + idx, head_width=130)
        faces = astronaut_only.pipeline.analyse(rec._head(obs[0]), max_faces=1)
        if not faces or faces[0].embedding is None:
            continue  # only faces that pass the gate make this test meaningful
        assert _run(rec, obs) == []
        tested += 1
        if tested == 6:
            break
    assert tested == 6


def test_no_authorisation_no_matching(service: FaceWatchlistService) -> None:
    calls: list[datetime] = []

    def authorised(now: datetime, position: tuple[float, float] | None) -> bool:
        calls.append(now)
        return False

    rec = FaceRecognizer(service.pipeline, service.gallery(), is_authorised=authorised,
                         position=lambda: (33.57, -7.59))
    obs = _pass(_astronaut_head(), track_id=3)
    assert _run(rec, obs) == []
    assert len(calls) == len(obs) and rec._tracks == {}


def test_authorisation_ending_mid_pass_drops_the_track(service: FaceWatchlistService) -> None:
    end = T0 + timedelta(seconds=1)
    rec = FaceRecognizer(service.pipeline, service.gallery(), is_authorised=lambda now, pos: now < end,
                         config=FaceRecognizerConfig(min_faces=3))
    assert _run(rec, _pass(_astronaut_head(), track_id=4)) == []


def test_other_classes_ignored(service: FaceWatchlistService) -> None:
    rec = FaceRecognizer(service.pipeline, service.gallery(), is_authorised=lambda now, pos: True)
    obs = _pass(_astronaut_head(), track_id=5, frames=1)[0]
    car = TrackObservation(track_id=5, camera_id="front", class_id=2, box=obs.box, frame=obs.frame,
                           observed_at=obs.observed_at)
    assert rec.observe(car) == [] and rec._tracks == {}


def test_unit_plugin_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from amane.config.unit import RecognizerEntry
    from amane.unit.plugins import resolve_factory
    from amane.watchlists.faces_authorisation import CenterAuthorisation

    monkeypatch.setenv("AMANE_WATCHLIST_KEY", TemplateCipher.encode_key(TemplateCipher.generate_key()))
    db = f"sqlite:///{tmp_path / 'wl.db'}"
    factory = resolve_factory(RecognizerEntry(name="faces"))
    off = factory({"watchlist_db": db})
    assert isinstance(off, FaceRecognizer) and isinstance(off, TrackRecognizer)
    assert off.is_authorised(T0, (33.5, -7.6)) is False  # no centre: never authorised
    obs = _pass(_astronaut_head(), track_id=1, frames=1)[0]
    assert off.observe(obs) == [] and off._tracks == {}
    with pytest.raises(ValueError, match="AMANE_UNIT_TOKEN"):
        factory({"watchlist_db": db, "center_url": "http://127.0.0.1:9"})
    monkeypatch.setenv("AMANE_UNIT_TOKEN", "amane_unit_test")
    on = factory({"watchlist_db": db, "center_url": "http://127.0.0.1:9", "recognizer": {"top_k": 5}})
    assert isinstance(on, FaceRecognizer)
    assert isinstance(on.is_authorised, CenterAuthorisation) and on.config.top_k == 5
    assert on.is_authorised(T0, (33.5, -7.6)) is False  # centre unreachable: fail closed
    with pytest.raises(ValueError, match="extra"):
        factory({"watchlist_db": db, "colour": "red"})
