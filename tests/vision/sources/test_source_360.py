"""360° and rig sources: the bearing of objects at known azimuths, through the real split and remap."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from tests.vision.sources.helpers import write_video

from amane.core.geometry import CameraView, bearing_difference
from amane.vision.sources import (
    EquirectSource,
    EquirectSourceConfig,
    FolderSourceConfig,
    SourceConfig,
    open_source,
)
from amane.vision.sources.synthetic import SphereDisc, bearing_errors, camera_image, render_panorama

COLOURS = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]


def scene(bearings: list[float], elevations: list[float]) -> list[SphereDisc]:
    return [
        SphereDisc(b, e, 2.5, COLOURS[i % len(COLOURS)])
        for i, (b, e) in enumerate(zip(bearings, elevations, strict=True))
    ]


@pytest.mark.parametrize(
    ("n_views", "hfov", "pitch", "bearings", "elevations"),
    [
        (4, 100.0, 0.0, [0.0, 47.3, 133.0, 181.5, 268.0, 341.7], [0.0, 8.0, -12.0, 3.0, 15.0, -5.0]),
        (6, 75.0, 0.0, [12.0, 75.5, 150.25, 199.0, 255.0, 318.0], [-3.0, 0.0, 20.0, -18.0, 6.0, 1.0]),
        (5, 90.0, 0.0, [35.9, 108.1, 179.9, 251.2, 323.3, 3.0], [10.0, -10.0, 0.0, 25.0, -25.0, 0.0]),
        # views tilted down at the road: off-centre pixels' bearings differ from a level camera's
        (
            4,
            100.0,
            -20.0,
            [20.0, 70.0, 160.0, 200.0, 290.0, 335.0],
            [-35.0, -5.0, -28.0, -40.0, -12.0, -30.0],
        ),
    ],
)
def test_equirect_views_give_bearings_within_one_degree(
    tmp_path: Path, n_views: int, hfov: float, pitch: float, bearings: list[float], elevations: list[float]
) -> None:
    discs = scene(bearings, elevations)
    cv2.imwrite(str(tmp_path / "pano_0001.png"), render_panorama(discs, 2048, 1024))
    views = [
        {
            "name": f"v{i}",
            "yaw_deg": 360.0 * i / n_views,
            "pitch_deg": pitch,
            "hfov_deg": hfov,
            "width": 640,
            "height": 480,
        }
        for i in range(n_views)
    ]
    source = open_source(
        EquirectSourceConfig(
            type="equirect",
            source=FolderSourceConfig(type="folder", id="pano", path=tmp_path),
            views=views,
        )
    )
    frames = source.read()
    assert frames is not None and len(frames) == n_views
    assert source.camera_ids == tuple(f"pano/v{i}" for i in range(n_views))
    errors = bearing_errors([(f.image, f.view) for f in frames if f.view is not None], discs)
    assert sorted(errors) == list(range(len(discs))), "every object was seen whole in some view"
    assert max(errors.values()) <= 1.0, errors
    assert source.read() is None


def test_heading_offset_turns_every_bearing(tmp_path: Path) -> None:
    """A 360° camera mounted turned 30° right: its panorama's centre column looks along bearing 30."""
    disc = SphereDisc(0.0, 0.0, 3.0)
    cv2.imwrite(str(tmp_path / "p.png"), render_panorama([disc], 1440, 720))
    source = EquirectSource(
        EquirectSourceConfig(
            type="equirect",
            source=FolderSourceConfig(type="folder", id="p", path=tmp_path),
            heading_offset_deg=30.0,
        )
    )
    frames = source.read() or []
    errors = bearing_errors([(f.image, f.view) for f in frames if f.view], [SphereDisc(30.0, 0.0, 3.0)])
    assert errors and errors[0] <= 1.0


def test_panorama_seam_is_continuous(tmp_path: Path) -> None:
    """A view looking backwards (across the +/-180° seam) has no visible break."""
    pano = np.zeros((512, 1024, 3), np.uint8)
    pano[:, :, 1] = np.abs(np.linspace(-255, 255, 1024))[None, :].astype(np.uint8)  # bright at the seam
    cv2.imwrite(str(tmp_path / "p.png"), pano)
    source = open_source(
        EquirectSourceConfig(
            type="equirect",
            source=FolderSourceConfig(type="folder", id="p", path=tmp_path),
            views=[{"name": "rear", "yaw_deg": 180.0, "hfov_deg": 60.0}],
        )
    )
    (frame,) = source.read() or []
    centre = frame.image[:, frame.image.shape[1] // 2 - 3 : frame.image.shape[1] // 2 + 3, 1].astype(int)
    assert int(centre.min()) >= 245
    row = frame.image[256, :, 1].astype(int)
    assert int(np.abs(np.diff(row)).max()) <= 4, "no jump where the two edges of the panorama meet"


def test_rig_gives_each_camera_its_mount(tmp_path: Path) -> None:
    cameras = []
    for name, yaw in (("front", 0.0), ("right", 90.0), ("rear", 180.0), ("left", 270.0)):
        path = write_video(tmp_path / f"{name}.avi", 5 if name != "rear" else 3)
        cameras.append(
            {"type": "file", "id": name, "path": str(path), "mount": {"yaw_deg": yaw, "hfov_deg": 100}}
        )
    source = open_source(TypeAdapter(SourceConfig).validate_python({"type": "rig", "cameras": cameras}))
    assert source.camera_ids == ("front", "right", "rear", "left")
    reads = []
    while (frames := source.read()) is not None:
        reads.append(frames)
    assert len(reads) == 5
    assert [len(r) for r in reads] == [4, 4, 4, 3, 3]
    by_id = {f.camera_id: f for f in reads[0]}
    for cid, yaw in (("front", 0.0), ("right", 90.0), ("rear", 180.0), ("left", 270.0)):
        view = by_id[cid].view
        assert view is not None and (view.width, view.height) == (320, 240)
        assert abs(bearing_difference(view.bearing_of(160, 120), yaw)) < 1e-9
        assert abs(bearing_difference(view.bearing_of(320, 120), yaw + 50.0)) < 1e-9
    assert source.stats.frames_read == 18
    source.close()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"type": "rig", "cameras": [{"type": "usb", "id": "a", "mount": {"yaw_deg": 0}}]}, None),
        ({"type": "rig", "cameras": [{"type": "usb", "id": "a"}]}, "need a mount"),
        (
            {
                "type": "rig",
                "cameras": [
                    {"type": "usb", "id": "a", "mount": {}},
                    {"type": "usb", "id": "a", "device": 1, "mount": {}},
                ],
            },
            "unique",
        ),
        ({"type": "rig", "cameras": []}, "at least 1"),
        ({"type": "equirect", "source": {"type": "usb", "id": "360"}}, None),
        (
            {
                "type": "equirect",
                "source": {"type": "usb", "id": "360"},
                "views": [{"name": "a", "yaw_deg": 0}, {"name": "a", "yaw_deg": 90}],
            },
            "unique",
        ),
        (
            {
                "type": "equirect",
                "source": {"type": "usb", "id": "360"},
                "views": [{"name": "a", "yaw_deg": 0, "hfov_deg": 180}],
            },
            "less than 180",
        ),
        ({"type": "equirect", "source": {"type": "rig", "cameras": []}}, "does not match"),
    ],
)
def test_rig_and_equirect_config_table(raw: dict[str, object], error: str | None) -> None:
    adapter: TypeAdapter[SourceConfig] = TypeAdapter(SourceConfig)
    if error is None:
        adapter.validate_python(raw)
    else:
        with pytest.raises(ValidationError, match=error):
            adapter.validate_python(raw)


def test_fisheye_rig_gives_bearings_within_one_degree(tmp_path: Path) -> None:
    """Four 190° fisheye cameras (the usual surround-view rig) seeing objects all round the car."""
    discs = scene([5.0, 62.0, 128.0, 176.0, 233.0, 301.0], [0.0, -10.0, 12.0, -20.0, 4.0, 18.0])
    pano = render_panorama(discs, 2048, 1024)
    cameras = []
    for name, yaw in (("front", 0.0), ("right", 90.0), ("rear", 180.0), ("left", 270.0)):
        folder = tmp_path / name
        folder.mkdir()
        view = CameraView(yaw, -5.0, 190.0, 960, 540, projection="fisheye")
        cv2.imwrite(str(folder / "0001.png"), camera_image(pano, view))
        cameras.append(
            {
                "type": "folder",
                "id": name,
                "path": str(folder),
                "mount": {"yaw_deg": yaw, "pitch_deg": -5.0, "hfov_deg": 190.0, "projection": "fisheye"},
            }
        )
    source = open_source(TypeAdapter(SourceConfig).validate_python({"type": "rig", "cameras": cameras}))
    frames = source.read() or []
    assert len(frames) == 4 and all(f.view is not None and f.view.projection == "fisheye" for f in frames)
    errors = bearing_errors([(f.image, f.view) for f in frames if f.view is not None], discs)
    assert sorted(errors) == list(range(len(discs)))
    assert max(errors.values()) <= 1.0, errors
    source.close()


def test_a_pinhole_mount_cannot_see_180_degrees() -> None:
    with pytest.raises(ValidationError, match="use projection: fisheye"):
        TypeAdapter(SourceConfig).validate_python(
            {"type": "usb", "id": "a", "mount": {"yaw_deg": 0, "hfov_deg": 190}}
        )
