"""Live sources: newest-frame-only reading, reconnection with backoff, corrupt frames counted, never a crash.

The stream source is pointed at a real video file through FFmpeg (each end of the file is a dropped
stream); the USB camera, being hardware, is replaced by a scripted capture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.vision.sources.helpers import numbered_frame, write_video

from amane.vision.sources import StreamSourceConfig, UsbSource, UsbSourceConfig, open_source
from amane.vision.sources.base import Frame


def poll(source: Any, until: Callable[[], bool], timeout_s: float = 10.0) -> list[Frame]:
    frames: list[Frame] = []
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        got = source.read()
        assert got is not None, "a live source never ends"
        frames.extend(got)
    return frames


def test_stream_reconnects_when_the_stream_ends(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.avi", 20)
    source = open_source(
        StreamSourceConfig(type="stream", id="s", url=str(path), backoff_initial_s=0.05, backoff_max_s=0.2)
    )
    try:
        frames = poll(source, lambda: source.stats.reconnects >= 2)
        stats = source.stats.as_dict()
        assert stats["reconnects"] >= 2
        assert stats["frames_read"] >= 40  # the clip was read again after each reconnect
        assert frames, "the consumer got frames"
        assert all(f.image.shape == (240, 320, 3) for f in frames)
    finally:
        source.close()


def test_unreachable_stream_backs_off_without_crashing() -> None:
    source = open_source(
        StreamSourceConfig(
            type="stream",
            id="s",
            url="/nonexistent/stream.mp4",
            backoff_initial_s=0.05,
            backoff_max_s=0.4,
            read_wait_s=0.05,
        )
    )
    try:
        start = time.monotonic()
        frames = poll(source, lambda: time.monotonic() - start > 1.2)
        assert frames == []
        reconnects = source.stats.reconnects
        # backoff 0.05, 0.1, 0.2, 0.4, 0.4 ... : about 4-5 attempts in 1.2 s, not hundreds
        assert 2 <= reconnects <= 7
    finally:
        t0 = time.monotonic()
        source.close()
        assert time.monotonic() - t0 < 1.0, "close does not wait out the backoff"


class ScriptedCamera:
    """Stands in for a USB camera: plays a script of frames, failures and malformed images."""

    def __init__(self, script: list[Any], opens: list[int], delay_s: float = 0.0) -> None:
        self.script = list(script)
        self.delay_s = delay_s
        opens.append(1)

    def isOpened(self) -> bool:
        return True

    def read(self) -> tuple[bool, Any]:
        time.sleep(self.delay_s)
        if not self.script:
            return False, None
        item = self.script.pop(0)
        return (False, None) if item is None else (True, item)

    def release(self) -> None:
        pass


def test_usb_counts_corrupt_frames_and_reconnects_after_a_drop() -> None:
    opens: list[int] = []
    good = [numbered_frame(i) for i in range(5)]
    script: list[Any] = [
        good[0],
        np.zeros((0, 0, 3), np.uint8),
        good[1],
        None,
        good[2],
        np.zeros((4, 4), np.float32),
    ]
    scripts: list[list[Any]] = [script, [good[3], good[4]]]

    def camera() -> ScriptedCamera:
        return ScriptedCamera(scripts.pop(0) if scripts else [], opens, delay_s=0.01)

    source = UsbSource(
        UsbSourceConfig(type="usb", id="u", backoff_initial_s=0.05, backoff_max_s=0.1), open_capture=camera
    )
    try:
        poll(source, lambda: source.stats.frames_read >= 5 and source.stats.reconnects >= 1)
        stats = source.stats.as_dict()
        assert stats["frames_read"] == 5
        assert stats["frames_corrupt"] == 3  # empty image, a failed read that recovered, a float image
        assert stats["reconnects"] >= 1
        assert len(opens) >= 2
    finally:
        source.close()


def test_live_source_hands_out_only_the_newest_frame() -> None:
    opens: list[int] = []
    frames_in = [numbered_frame(i) for i in range(200)]
    source = UsbSource(
        UsbSourceConfig(type="usb", id="u", read_wait_s=0.5),
        open_capture=lambda: ScriptedCamera(frames_in, opens, delay_s=0.002),
    )
    try:
        got: list[Frame] = []
        while source.stats.frames_read < 150:
            time.sleep(0.05)  # a slow consumer
            got.extend(source.read() or [])
        assert len(got) < 40
        assert source.stats.frames_dropped > 100
        indices = [f.index for f in got]
        assert indices == sorted(indices) and len(set(indices)) == len(indices)
        assert threading.active_count() >= 2
    finally:
        source.close()


@pytest.mark.parametrize("wait_s", [0.0, 0.05])
def test_read_without_new_frame_returns_empty_list(wait_s: float) -> None:
    source = UsbSource(
        UsbSourceConfig(type="usb", id="u", backoff_initial_s=5.0),
        open_capture=lambda: ScriptedCamera([], []),
    )
    try:
        start = time.monotonic()
        assert source.read(wait_s) == []
        assert time.monotonic() - start < wait_s + 0.2
    finally:
        source.close()


class ExplodingCamera(ScriptedCamera):
    """A driver that raises on some reads (a broken USB cable, a backend bug)."""

    def read(self) -> tuple[bool, Any]:
        item = super().read()
        if item[0] and int(item[1][0, 0, 0]) == 255:
            raise RuntimeError("VIDIOC_DQBUF: No such device")
        return item


def test_a_driver_exception_does_not_kill_the_reader() -> None:
    boom = np.full((8, 8, 3), 255, np.uint8)
    good = np.zeros((8, 8, 3), np.uint8)
    scripts: list[list[Any]] = [[good, boom], [good, good]]
    opens: list[int] = []
    source = UsbSource(
        UsbSourceConfig(type="usb", id="u", backoff_initial_s=0.05, backoff_max_s=0.1),
        open_capture=lambda: ExplodingCamera(scripts.pop(0) if scripts else [], opens),
    )
    try:
        poll(source, lambda: source.stats.frames_read >= 3)
        assert source.stats.frames_read >= 3
        assert len(opens) >= 2
    finally:
        source.close()
