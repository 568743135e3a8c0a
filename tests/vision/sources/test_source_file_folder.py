"""File and folder sources on real media the test writes: order, loop, pacing, corrupt and truncated input."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import pytest
from pydantic import TypeAdapter, ValidationError
from tests.vision.sources.helpers import frame_number, numbered_frame, write_video

from amane.vision.sources import FileSourceConfig, FolderSourceConfig, Frame, SourceConfig, open_source


def read_all(source_config: SourceConfig, limit: int = 1000) -> tuple[list[Frame], dict[str, int]]:
    source = open_source(source_config)
    frames: list[Frame] = []
    try:
        while len(frames) < limit:
            got = source.read()
            if got is None:
                break
            frames.extend(got)
        return frames, source.stats.as_dict()
    finally:
        source.close()


def test_file_reads_every_frame_in_order_with_file_timestamps(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.avi", 30, fps=10.0)
    frames, stats = read_all(FileSourceConfig(type="file", id="cam", path=path))
    assert [frame_number(f.image) for f in frames] == [i % 32 for i in range(30)]
    assert [f.index for f in frames] == list(range(30))
    assert (frames[10].at - frames[0].at).total_seconds() == pytest.approx(1.0)
    assert frames[0].at.tzinfo is not None
    assert stats == {"frames_read": 30, "frames_corrupt": 0, "frames_dropped": 0, "reconnects": 0}
    assert all(f.view is None and f.camera_id == "cam" for f in frames)


def test_file_loop_rewinds_and_keeps_counting(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.avi", 10)
    frames, _ = read_all(FileSourceConfig(type="file", id="cam", path=path, loop=True), limit=25)
    assert len(frames) == 25
    assert [frame_number(f.image) for f in frames[8:13]] == [8, 9, 0, 1, 2]
    assert frames[-1].index == 24


def test_truncated_file_ends_early_and_counts_the_missing_frames(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.avi", 40)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    frames, stats = read_all(FileSourceConfig(type="file", id="cam", path=path))
    assert 20 <= len(frames) < 40
    assert stats["frames_read"] == len(frames)
    assert stats["frames_corrupt"] >= 40 - len(frames) - 1


def test_corrupt_bytes_mid_file_are_skipped(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.avi", 40)
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 3000, 7):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    frames, stats = read_all(FileSourceConfig(type="file", id="cam", path=path))
    assert len(frames) >= 30
    assert stats["frames_corrupt"] >= 1
    assert frame_number(frames[-1].image) == 39 % 32


def test_realtime_file_drops_frames_a_slow_reader_missed(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.avi", 60, fps=50.0)
    source = open_source(FileSourceConfig(type="file", id="cam", path=path, realtime=True))
    got: list[Frame] = []
    start = time.monotonic()
    while (frames := source.read()) is not None:
        got.extend(frames)
        time.sleep(0.05)  # a consumer at 20 fps against a 50 fps file
    elapsed = time.monotonic() - start
    stats = source.stats.as_dict()
    assert 0.9 < elapsed < 3.0
    assert stats["frames_dropped"] > 15
    assert len(got) + stats["frames_dropped"] == 60
    assert [f.index for f in got] == sorted({f.index for f in got})


def test_folder_in_name_order_skipping_undecodable_files(tmp_path: Path) -> None:
    for i in (3, 1, 2, 10):
        cv2.imwrite(str(tmp_path / f"img_{i:03d}.jpg"), numbered_frame(i))
    (tmp_path / "img_004.jpg").write_bytes(b"not a jpeg at all")
    good = (tmp_path / "img_003.jpg").read_bytes()
    (tmp_path / "img_005.jpg").write_bytes(good[:40])  # truncated to the header
    (tmp_path / "notes.txt").write_text("ignored")
    frames, stats = read_all(FolderSourceConfig(type="folder", id="f", path=tmp_path, fps=5.0))
    assert [frame_number(f.image) for f in frames] == [1, 2, 3, 10]
    assert stats["frames_corrupt"] == 2
    assert (frames[1].at - frames[0].at).total_seconds() == pytest.approx(0.2)


def test_folder_loop_and_all_corrupt_folder_ends(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), numbered_frame(1))
    frames, _ = read_all(FolderSourceConfig(type="folder", id="f", path=tmp_path, loop=True), limit=5)
    assert [frame_number(f.image) for f in frames] == [1] * 5
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.jpg").write_bytes(b"\x00" * 10)
    frames, stats = read_all(FolderSourceConfig(type="folder", id="f", path=bad, loop=True))
    assert frames == [] and stats["frames_corrupt"] >= 1


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"type": "file", "id": "a", "path": "x.mp4"}, None),
        ({"type": "file", "id": "a", "path": "x.mp4", "fps": 0}, "greater than 0"),
        ({"type": "file", "id": "a b", "path": "x.mp4"}, "pattern"),
        ({"type": "file", "id": "a", "path": "x.mp4", "colour": "red"}, "Extra inputs"),
        ({"type": "folder", "id": "a", "path": "/tmp", "fps": 5}, None),
        ({"type": "webcam", "id": "a"}, "does not match any of the expected tags"),
        ({"type": "usb", "id": "a", "device": -1}, "greater than or equal to 0"),
        ({"type": "stream", "id": "a"}, "url"),
        ({"type": "file", "id": "a", "path": "x", "mount": {"yaw_deg": 360}}, "less than 360"),
    ],
)
def test_source_config_table(raw: dict[str, object], error: str | None) -> None:
    adapter: TypeAdapter[SourceConfig] = TypeAdapter(SourceConfig)
    if error is None:
        adapter.validate_python(raw)
    else:
        with pytest.raises(ValidationError, match=error):
            adapter.validate_python(raw)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="camera cam"):
        open_source(FileSourceConfig(type="file", id="cam", path=tmp_path / "nope.mp4"))
