"""The motion gate on rendered scenes: still scenes give nothing, movers give boxes around them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from amane.vision.motion import MotionConfig, MotionGate

Image = npt.NDArray[np.uint8]


def background(seed: int = 0, size: tuple[int, int] = (720, 1280)) -> Image:
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 120, (size[0] // 16, size[1] // 16, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.kron(base, np.ones((16, 16, 1), np.uint8)))


def with_box(image: Image, box: tuple[int, int, int, int], colour: int = 230) -> Image:
    out = image.copy()
    x1, y1, x2, y2 = box
    out[y1:y2, x1:x2] = colour
    return out


def contains(
    outer: tuple[float, float, float, float], inner: tuple[int, int, int, int], slack: float = 0
) -> bool:
    return (
        outer[0] <= inner[0] + slack
        and outer[1] <= inner[1] + slack
        and outer[2] >= inner[2] - slack
        and outer[3] >= inner[3] - slack
    )


@pytest.mark.parametrize("method", ["average", "mog2"])
def test_still_scene_gives_no_regions(method: str) -> None:
    gate = MotionGate(MotionConfig(method=method, warmup_frames=3))
    rng = np.random.default_rng(1)
    bg = background()
    for _ in range(30):
        noisy = np.clip(bg.astype(int) + rng.integers(-3, 4, bg.shape), 0, 255).astype(
            np.uint8
        )  # sensor noise
        assert gate.update(noisy) == []


@pytest.mark.parametrize("method", ["average", "mog2"])
def test_moving_object_is_boxed(method: str) -> None:
    gate = MotionGate(MotionConfig(method=method, warmup_frames=5))
    bg = background()
    for _ in range(10):
        gate.update(bg)
    regions: list[tuple[float, float, float, float]] = []
    for step in range(6):
        person = (300 + 12 * step, 200, 360 + 12 * step, 380)
        regions = gate.update(with_box(bg, person))
    assert len(regions) == 1
    assert contains(regions[0], person, slack=8)
    width = regions[0][2] - regions[0][0]
    assert width < 3 * 60, "the box follows the object, not its whole trail"


@pytest.mark.parametrize(
    ("box", "min_area", "found"),
    [
        ((100, 100, 104, 104), 0.0008, False),  # a 16-pixel speck: noise
        ((100, 100, 140, 160), 0.0008, True),
        ((100, 100, 140, 160), 0.01, False),  # raised floor
        ((0, 600, 60, 720), 0.0008, True),  # at the frame border
    ],
)
def test_min_area_table(box: tuple[int, int, int, int], min_area: float, found: bool) -> None:
    gate = MotionGate(MotionConfig(min_area=min_area, warmup_frames=1))
    bg = background()
    gate.update(bg)
    gate.update(bg)
    regions = gate.update(with_box(bg, box))
    assert bool(regions) is found
    if found:
        assert contains(regions[0], box, slack=6)


def test_light_switch_gives_one_full_frame_region_then_relearns() -> None:
    gate = MotionGate(MotionConfig(warmup_frames=2))
    bg = background()
    for _ in range(5):
        gate.update(bg)
    bright = np.clip(bg.astype(int) + 80, 0, 255).astype(np.uint8)
    assert gate.update(bright) == [(0.0, 0.0, 1280.0, 720.0)]
    for _ in range(5):
        last = gate.update(bright)
    assert last == []


def test_small_frames_are_not_upscaled() -> None:
    gate = MotionGate(MotionConfig(width=320, warmup_frames=1))
    bg = background(size=(120, 160))
    gate.update(bg)
    gate.update(bg)
    regions = gate.update(with_box(bg, (40, 30, 60, 90)))
    assert gate.last_scale == 1.0
    assert len(regions) == 1 and contains(regions[0], (40, 30, 60, 90), slack=3)


@pytest.mark.parametrize("method", ["average", "mog2"])
def test_a_change_of_frame_size_restarts_the_background(method: str) -> None:
    """A reconnected camera may come back at another resolution: no crash, a fresh background."""
    gate = MotionGate(MotionConfig(method=method, warmup_frames=1))
    for size in ((720, 1280), (480, 640), (720, 1280)):
        bg = background(size=size)
        for _ in range(3):
            assert gate.update(bg) == []


def shaken(image: Image, dx: int, dy: int) -> Image:
    return np.roll(image, (dy, dx), axis=(0, 1))


@pytest.mark.parametrize(("stabilise", "quiet"), [(True, True), (False, False)])
def test_stabilisation_cancels_camera_shake(stabilise: bool, quiet: bool) -> None:
    """A still scene seen by a shaking camera (up to 8 px at 1280 wide): quiet only when stabilised."""
    gate = MotionGate(MotionConfig(stabilise=stabilise, warmup_frames=3))
    bg = background(seed=4)
    rng = np.random.default_rng(2)
    noisy_frames = 0
    for i in range(30):
        dx, dy = (int(v) for v in rng.integers(-8, 9, 2)) if i >= 5 else (0, 0)
        if gate.update(shaken(bg, dx, dy)):
            noisy_frames += 1
    assert (noisy_frames <= 2) is quiet, noisy_frames


def test_stabilised_gate_still_sees_a_mover_through_the_shake() -> None:
    gate = MotionGate(MotionConfig(stabilise=True, warmup_frames=3))
    bg = background(seed=4)
    for _ in range(6):
        gate.update(bg)
    person = (600, 200, 660, 380)
    regions = gate.update(shaken(with_box(bg, person), 6, -4))
    assert len(regions) == 1 and contains(regions[0], person, slack=16)


@pytest.mark.parametrize(
    ("absorb", "frames", "still_moving"), [(10, 8, True), (10, 40, False), (30, 25, True)]
)
def test_a_parked_object_joins_the_background(absorb: int, frames: int, still_moving: bool) -> None:
    gate = MotionGate(MotionConfig(warmup_frames=2, absorb_frames=absorb))
    bg = background(seed=5)
    for _ in range(4):
        gate.update(bg)
    parked = with_box(bg, (400, 300, 700, 420), colour=30)
    regions: list[tuple[float, float, float, float]] = []
    for _ in range(frames):
        regions = gate.update(parked)
    assert bool(regions) is still_moving


def test_a_fast_mover_leaves_no_trail() -> None:
    gate = MotionGate(MotionConfig(warmup_frames=2))
    bg = background(seed=6)
    for _ in range(4):
        gate.update(bg)
    regions: list[tuple[float, float, float, float]] = []
    for step in range(20):
        car = (40 * step, 500, 40 * step + 200, 600)
        regions = gate.update(with_box(bg, car, colour=240))
    assert len(regions) == 1
    assert regions[0][2] - regions[0][0] < 200 * 1.4, "the box is the car, not the car plus its wake"
