"""Synthetic track streams with ground-truth behaviour events, to measure the behaviour rules.

A pinhole camera 7 m up, tilted 30° down, looks at a ground plane (X right, Y away from the
camera, metres). Actors (people, cars, bags) follow scripted routes; each frame their 3-D boxes
are projected to pixel boxes, then corrupted the way a detector and tracker corrupt them: box
jitter (2 % of the box height), missed frames, occlusions (0.3-1.2 s) and tracker id switches
(the actor comes back under a new id after a short gap).

Ground truth is computed from the *clean* actor states with the rules' own definitions
(:func:`ground_truth`): foot in zone, crossing of the segment, dwell, true speed, head count, and
the scripted moments of falls, abandoned bags and dispersals. Occlusions and id switches are
placed after that, away from the first second of each event (and from the onset of a fall).
Scenes keep clear of degenerate placements that no rule can call: nobody walks along the
crossing line or appears within a metre of it.

>>> sc = make_scenario("intrusion", seed=1)
>>> sc.events[0].rule, sc.events[0].target, len(sc.frames) > 50
('intrusion', 'restricted', True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from amane.core.detections import Detections
from amane.vision.behavior.config import CameraBehaviorConfig

FloatArray = npt.NDArray[np.float64]

IMAGE_SIZE = (960, 540)
PERSON, CAR, SUITCASE = 0, 2, 28
CAMERA_ID = "sim"

# ---- thresholds of the evaluated configuration (the ground truth uses the same definitions) ----
MIN_INSIDE_S = 0.3
LOITER_DWELL_S = 15.0
SPEED_MPS = 3.0
CROWD_COUNT = 6
DISPERSAL_TRACKS, DISPERSAL_SPEED = 4, 2.5
ABANDON_S, OWNER_RADIUS_M = 10.0, 2.0
WRONG_WAY_MIN_SPEED = 1.5

# ---- the scene, in ground metres ----
RESTRICTED = (2.5, 10.0, 7.0, 16.0)  # x0, y0, x1, y1
LOITER = (-6.0, 8.0, -1.5, 14.0)
PLAZA = (-4.0, 24.0, 4.0, 32.0)
LANE = (6.0, 22.0, 10.0, 40.0)
GATE = ((-2.0, 20.0), (-8.0, 20.0))  # A -> B; the positive side (right of A->B in the image) is further away


@dataclass(frozen=True)
class Camera:
    """A pinhole camera above the ground plane looking along +Y, tilted down."""

    height_m: float = 7.0
    tilt_deg: float = 30.0
    focal_px: float = 700.0
    size: tuple[int, int] = IMAGE_SIZE

    def project(self, points: FloatArray) -> FloatArray:
        """(N, 3) ground-frame points (X, Y, Z up) -> (N, 2) pixels."""
        th = np.radians(self.tilt_deg)
        x, y, z = points[:, 0], points[:, 1], points[:, 2]
        depth = y * np.cos(th) + (self.height_m - z) * np.sin(th)
        down = -y * np.sin(th) + (self.height_m - z) * np.cos(th)
        cx, cy = self.size[0] / 2, self.size[1] / 2
        return np.stack([cx + self.focal_px * x / depth, cy + self.focal_px * down / depth], axis=1)

    def ground_to_image(self, xy: FloatArray) -> FloatArray:
        """(N, 2) ground points -> (N, 2) pixels."""
        return self.project(np.c_[xy, np.zeros(len(xy))])


CAMERA = Camera()


def _rect(r: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = r
    pts = CAMERA.ground_to_image(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64))
    return [(round(float(a), 1), round(float(b), 1)) for a, b in pts]


def _img(x: float, y: float) -> tuple[float, float]:
    p = CAMERA.ground_to_image(np.array([[x, y]], dtype=np.float64))[0]
    return (round(float(p[0]), 1), round(float(p[1]), 1))


def scene_config() -> CameraBehaviorConfig:
    """The camera config evaluated on every scenario: every rule, each on its own part of the scene."""
    cal_ground = [(-6.0, 8.0), (6.0, 8.0), (6.0, 36.0), (-6.0, 36.0)]
    return CameraBehaviorConfig.model_validate(
        {
            "image_size": IMAGE_SIZE,
            "calibration": {"image_points": [_img(*g) for g in cal_ground], "ground_points": cal_ground},
            "zones": [
                {"id": "restricted", "polygon": _rect(RESTRICTED)},
                {"id": "loiter", "polygon": _rect(LOITER)},
                {"id": "plaza", "polygon": _rect(PLAZA)},
                {"id": "lane", "polygon": _rect(LANE)},
            ],
            "lines": [{"id": "gate", "points": [_img(*GATE[0]), _img(*GATE[1])]}],
            "rules": [
                {"type": "intrusion", "zone": "restricted", "min_inside_s": MIN_INSIDE_S},
                {"type": "line_crossing", "line": "gate", "direction": "positive"},
                {"type": "loitering", "zone": "loiter", "dwell_s": LOITER_DWELL_S},
                {"type": "speed", "max_speed_mps": SPEED_MPS},
                {"type": "crowd", "zone": "plaza", "min_count": CROWD_COUNT},
                {
                    "type": "dispersal",
                    "zone": "plaza",
                    "min_tracks": DISPERSAL_TRACKS,
                    "min_speed_mps": DISPERSAL_SPEED,
                },
                {"type": "abandoned_object", "abandon_s": ABANDON_S, "owner_radius_m": OWNER_RADIUS_M},
                {"type": "person_down"},
                {
                    "type": "wrong_way",
                    "zone": "lane",
                    "direction": [_img(8.0, 24.0), _img(8.0, 38.0)],
                    "min_speed_mps": WRONG_WAY_MIN_SPEED,
                },
            ],
        }
    )


# ------------------------------------------------------------------------------------------------ actors


@dataclass
class Route:
    """A piecewise-linear ground route: waypoints with times."""

    times: list[float]
    points: list[tuple[float, float]]

    @classmethod
    def start(cls, t: float, x: float, y: float) -> Route:
        return cls([t], [(x, y)])

    def to(self, x: float, y: float, speed: float) -> Route:
        """Walk (drive) straight to (x, y) at ``speed`` m/s."""
        px, py = self.points[-1]
        self.times.append(self.times[-1] + max(np.hypot(x - px, y - py) / speed, 1e-3))
        self.points.append((x, y))
        return self

    def wait(self, dt: float) -> Route:
        """Stand still for ``dt`` seconds (at least a millisecond)."""
        self.times.append(self.times[-1] + max(float(dt), 1e-3))
        self.points.append(self.points[-1])
        return self

    def through(self, x: float, y: float, dt: float) -> Route:
        """Move straight to (x, y) in ``dt`` seconds (at least a millisecond)."""
        self.times.append(self.times[-1] + max(float(dt), 1e-3))
        self.points.append((x, y))
        return self

    @property
    def end(self) -> float:
        return self.times[-1]

    def at(self, t: FloatArray) -> FloatArray:
        """Positions (N, 2) at times ``t`` (held before the start and after the end)."""
        p = np.asarray(self.points)
        return np.stack([np.interp(t, self.times, p[:, 0]), np.interp(t, self.times, p[:, 1])], axis=1)


@dataclass
class Actor:
    """One object in the scene: its route, its 3-D size over time and when it exists."""

    name: str
    class_id: int
    route: Route
    t_in: float
    t_out: float
    size: list[tuple[float, float, float, float]] = field(default_factory=list)
    """Keyframes (t, length along heading, width, height); linear in between."""
    heading: float = 0.0
    """Radians from +X, for the length axis (a lying person, a car)."""
    follow: Actor | None = None
    """A carried object: at ``follow``'s position (plus offset) until ``carry_until``."""
    carry_until: float = -1.0
    lift_m: float = 0.0

    def position(self, t: FloatArray) -> FloatArray:
        """Ground positions (N, 2)."""
        own = self.route.at(t)
        if self.follow is not None:
            carried = self.follow.position(t) + np.array([0.35, 0.0])
            own = np.where((t < self.carry_until)[:, None], carried, own)
        return own

    def boxes(self, t: FloatArray) -> FloatArray:
        """The projected (unclipped) pixel boxes (N, 4) at times ``t``."""
        k = np.asarray(self.size)
        ln, w, h = (np.interp(t, k[:, 0], k[:, i]) for i in (1, 2, 3))
        xy = self.position(t)
        z0 = np.where(t < self.carry_until, self.lift_m, 0.0)
        c, s = np.cos(self.heading), np.sin(self.heading)
        corners = []
        for a in (-1, 1):
            for b in (-1, 1):
                gx = xy[:, 0] + a * ln / 2 * c - b * w / 2 * s
                gy = xy[:, 1] + a * ln / 2 * s + b * w / 2 * c
                corners.extend([np.stack([gx, gy, z0], axis=1), np.stack([gx, gy, z0 + h], axis=1)])
        px = CAMERA.project(np.concatenate(corners)).reshape(8, len(t), 2)
        return np.concatenate([px.min(axis=0), px.max(axis=0)], axis=1)


def person(name: str, route: Route, t_in: float | None = None, t_out: float | None = None) -> Actor:
    """A standing/walking person, 1.7 m tall."""
    return Actor(
        name,
        PERSON,
        route,
        route.times[0] if t_in is None else t_in,
        route.end if t_out is None else t_out,
        size=[(0.0, 0.35, 0.5, 1.7)],
    )


def car(name: str, route: Route, heading: float) -> Actor:
    """A car, 4.5 m x 1.8 m x 1.5 m."""
    return Actor(name, CAR, route, route.times[0], route.end, size=[(0.0, 4.5, 1.8, 1.5)], heading=heading)


# ------------------------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class GroundTruthEvent:
    """One true behaviour event: rule type, its zone/line (None: whole image), when, and who."""

    rule: str
    target: str | None
    start_s: float
    end_s: float
    actor: str | None = None
    tracker_ids: frozenset[int] | None = None
    """Raw tracker ids the actor had (None for group events: crowd, dispersal)."""
    onset_s: float | None = None
    """When the event starts developing (a fall begins), if before ``start_s``."""


@dataclass(frozen=True)
class BehaviorScenario:
    """A generated stream: per-frame tracked detections and the true events."""

    kind: str
    seed: int
    fps: float
    duration_s: float
    frames: list[tuple[float, Detections]]
    events: list[GroundTruthEvent]
    distractor: bool


@dataclass
class _Script:
    actors: list[Actor]
    duration: float
    scripted: list[GroundTruthEvent] = field(default_factory=list)


Builder = Callable[[np.random.Generator], _Script]


def _walk_past(rng: np.random.Generator, name: str, y: float, t0: float, speed: float | None = None) -> Actor:
    """A passer-by crossing the near part of the image left to right (or back) at row ``y``."""
    x0, x1 = (-7.0, 7.0) if rng.random() < 0.5 else (7.0, -7.0)
    v = speed if speed is not None else float(rng.uniform(1.1, 1.6))
    return person(name, Route.start(t0, x0, y).to(x1, y, v))


def _intrusion(rng: np.random.Generator) -> _Script:
    x0, y0, x1, y1 = RESTRICTED
    actors = []
    for i in range(int(rng.integers(1, 3))):
        tx, ty = rng.uniform(x0 + 1, x1 - 1), rng.uniform(y0 + 1, y1 - 1)
        r = Route.start(1.0 + 6 * i, float(rng.uniform(-1, 1.5)), float(rng.uniform(9, 17)))
        r.to(tx, ty, rng.uniform(1.0, 1.5)).wait(rng.uniform(2, 6)).to(rng.uniform(-1, 1.5), ty + 2, 1.3)
        actors.append(person(f"intruder{i}", r))
    actors.append(_walk_past(rng, "passer", 22.0, 0.5))
    return _Script(actors, max(a.t_out for a in actors) + 1)


def _intrusion_near(rng: np.random.Generator) -> _Script:
    x0, y0, _x1, y1 = RESTRICTED
    gap = rng.uniform(0.3, 1.0)
    r = Route.start(0.5, 0.0, 12.0).to(x0 - gap, rng.uniform(y0 + 1, y1 - 1), 1.2).wait(rng.uniform(6, 10))
    r.to(-2.0, 9.0, 1.2)
    ys = y0 - rng.uniform(0.4, 0.9)
    along = Route.start(1.0, x0 - 2, ys).to(x0 + 4.0, ys, 1.3)  # walks along the near edge, outside
    return _Script([person("waiter", r), person("along", along)], max(r.end, along.end) + 1)


def _line_cross(rng: np.random.Generator) -> _Script:
    (ax, ay), (bx, _) = GATE
    actors = []
    for i in range(int(rng.integers(1, 4))):
        x = rng.uniform(bx + 0.5, ax - 0.5)
        r = Route.start(0.5 + 4 * i, x, ay - rng.uniform(3, 5)).to(
            x + rng.uniform(-1, 1), ay + 4, rng.uniform(1, 1.8)
        )
        actors.append(person(f"crosser{i}", r))
    x = rng.uniform(bx + 0.5, ax - 0.5)
    actors.append(person("wrongdir", Route.start(2.0, x, ay + 4).to(x, ay - 4, 1.3)))
    return _Script(actors, max(a.t_out for a in actors) + 1)


def _line_turnback(rng: np.random.Generator) -> _Script:
    (ax, ay), (bx, _) = GATE
    x = rng.uniform(bx + 0.5, ax - 0.5)
    back = Route.start(0.5, x, ay - 4).to(x, ay - rng.uniform(0.4, 0.8), 1.3).wait(1.5).to(x + 1, ay - 5, 1.3)
    outside = Route.start(1.0, ax + rng.uniform(1.0, 2.5), ay - 4).to(
        ax + 2, ay + 4, 1.4
    )  # past the end of A
    neg = Route.start(1.5, x + 1, ay + 4).to(x - 1, ay - 4, 1.4)
    actors = [person("turnback", back), person("outside", outside), person("negative", neg)]
    return _Script(actors, max(a.t_out for a in actors) + 1)


def _wander(
    rng: np.random.Generator, r: Route, box: tuple[float, float, float, float], until: float
) -> Route:
    x0, y0, x1, y1 = box
    while r.end < until:
        r.to(rng.uniform(x0 + 0.6, x1 - 0.6), rng.uniform(y0 + 0.6, y1 - 0.6), rng.uniform(0.3, 0.9))
        r.wait(rng.uniform(0.5, 3.0))
    return r


def _loiter(rng: np.random.Generator) -> _Script:
    _, y0, x1, y1 = LOITER
    r = Route.start(0.5, x1 + 2.0, rng.uniform(y0 + 1, y1 - 1))
    r.to(x1 - 1.0, rng.uniform(y0 + 1, y1 - 1), 1.2)
    _wander(rng, r, LOITER, r.end + LOITER_DWELL_S + rng.uniform(3, 8))
    r.to(x1 + 2.5, y0 + 1, 1.3)
    actors = [person("loiterer", r), _walk_past(rng, "passer", 18.0, rng.uniform(0, 5))]
    return _Script(actors, r.end + 1)


def _loiter_pass(rng: np.random.Generator) -> _Script:
    x0, y0, x1, y1 = LOITER
    actors = []
    for i in range(int(rng.integers(2, 4))):
        y = rng.uniform(y0 + 0.8, y1 - 0.8)
        actors.append(
            person(
                f"through{i}", Route.start(0.5 + 3 * i, x0 - 0.5, y).to(x1 + 3, y + 1, rng.uniform(0.9, 1.5))
            )
        )
    gap = rng.uniform(0.5, 1.0)
    r = Route.start(0.5, 1.0, y1 + 2).to(x1 + gap, rng.uniform(y0 + 1, y1 - 1), 1.2)
    r.wait(LOITER_DWELL_S + rng.uniform(5, 10)).to(2.0, y0, 1.2)
    actors.append(person("outside", r))
    return _Script(actors, max(a.t_out for a in actors) + 1)


def _run(rng: np.random.Generator) -> _Script:
    sign = 1 if rng.random() < 0.5 else -1
    y = rng.uniform(9, 18)
    r = Route.start(0.5, -6.0 * sign, y).to(-3.0 * sign, y + rng.uniform(-1, 1), 1.3)
    v = rng.uniform(SPEED_MPS * 1.2, 6.0)
    r.to(3.0 * sign, y + rng.uniform(-2, 2), v).to(5.0 * sign, y, 1.3)
    return _Script([person("runner", r), _walk_past(rng, "walker", rng.uniform(9, 18), 0.5)], r.end + 1)


def _jog(rng: np.random.Generator) -> _Script:
    actors = []
    for i in range(2):
        y = rng.uniform(9, 18)
        v = rng.uniform(0.65, 0.85) * SPEED_MPS
        actors.append(person(f"jogger{i}", Route.start(0.5 + i, -6.0, y).to(6.0, y + rng.uniform(-3, 3), v)))
    actors.append(_walk_past(rng, "brisk", rng.uniform(9, 18), 0.3, speed=float(rng.uniform(1.7, 2.0))))
    return _Script(actors, max(a.t_out for a in actors) + 1)


def _gather(rng: np.random.Generator, n: int, stagger: float) -> list[Actor]:
    x0, y0, x1, y1 = PLAZA
    actors = []
    for i in range(n):
        side = -1 if i % 2 else 1
        r = Route.start(0.3 + stagger * i, side * rng.uniform(5, 7), rng.uniform(y0 - 1.5, y1 + 2))
        r.to(rng.uniform(x0 + 1.5, x1 - 1.5), rng.uniform(y0 + 1.5, y1 - 1.5), rng.uniform(1.0, 1.5))
        actors.append(person(f"member{i}", r))
    return actors


def _hold(actors: list[Actor], until: float, rng: np.random.Generator) -> None:
    for a in actors:
        _wander(rng, a.route, (PLAZA[0] + 1, PLAZA[1] + 1, PLAZA[2] - 1, PLAZA[3] - 1), until)
        a.t_out = max(a.t_out, a.route.end)


def _crowd(rng: np.random.Generator) -> _Script:
    members = _gather(rng, CROWD_COUNT + int(rng.integers(0, 3)), stagger=1.5)
    end = max(a.route.end for a in members) + rng.uniform(5, 8)
    _hold(members, end, rng)
    return _Script([*members, _walk_past(rng, "passer", 22.0, 1.0)], end)


def _crowd_below(rng: np.random.Generator) -> _Script:
    members = _gather(rng, CROWD_COUNT - 1, stagger=1.0)
    end = max(a.route.end for a in members) + rng.uniform(8, 12)
    _hold(members, end, rng)
    passers = [
        person(f"passer{i}", Route.start(1.0 + 3 * i, -9.0, PLAZA[1] - 1.5).to(9.0, PLAZA[1] - 1.5, 1.3))
        for i in range(2)
    ]
    return _Script([*members, *passers], end)


def _standing_group(rng: np.random.Generator, n: int, t_leave: float) -> list[Actor]:
    x0, y0, x1, y1 = PLAZA
    cx, cy = (x0 + x1) / 2 + rng.uniform(-1, 1), (y0 + y1) / 2 + rng.uniform(-1, 1)
    actors = []
    for i in range(n):
        ang = 2 * np.pi * i / n + rng.uniform(-0.3, 0.3)
        rad = rng.uniform(0.8, 2.2)
        r = Route.start(0.0, cx + rad * np.cos(ang), cy + rad * np.sin(ang)).wait(t_leave)
        actors.append(person(f"member{i}", r))
    return actors


def _flee(
    actors: list[Actor], rng: np.random.Generator, speeds: tuple[float, float], dur: float
) -> list[float]:
    starts = []
    cx = np.mean([a.route.points[0][0] for a in actors])
    cy = np.mean([a.route.points[0][1] for a in actors])
    for a in actors:
        x, y = a.route.points[-1]
        a.route.wait(float(rng.uniform(0, 0.6)))
        starts.append(a.route.end)
        v = float(rng.uniform(*speeds))
        d = np.array([x - cx, y - cy]) / max(np.hypot(x - cx, y - cy), 1e-6)
        a.route.to(x + d[0] * v * dur, y + d[1] * v * dur, v).wait(2.0)
        a.t_out = a.route.end
    return starts


def _dispersal(rng: np.random.Generator) -> _Script:
    n = int(rng.integers(CROWD_COUNT, CROWD_COUNT + 3))
    t_leave = float(rng.uniform(4, 6))
    group = _standing_group(rng, n, t_leave)
    starts = sorted(_flee(group, rng, (DISPERSAL_SPEED * 1.4, 5.5), 2.5))
    ev = GroundTruthEvent("dispersal", "plaza", starts[DISPERSAL_TRACKS - 1], max(starts) + 2.5)
    return _Script(group, max(a.t_out for a in group), [ev])


def _dispersal_slow(rng: np.random.Generator) -> _Script:
    n = int(rng.integers(CROWD_COUNT, CROWD_COUNT + 3))
    group = _standing_group(rng, n, float(rng.uniform(4, 6)))
    _flee(group, rng, (1.0, 1.6), 6.0)
    return _Script(group, max(a.t_out for a in group))


def _with_bag(rng: np.random.Generator, owner: Actor, drop_t: float) -> Actor:
    x, y = owner.route.at(np.array([drop_t]))[0]
    bag = Actor(
        "bag",
        SUITCASE,
        Route.start(drop_t, x + 0.35, y),
        owner.t_in,
        0.0,
        size=[(0.0, 0.4, 0.3, 0.5)],
        follow=owner,
        carry_until=drop_t,
        lift_m=0.3,
    )
    return bag


def _leave_time(owner: Actor, bag: Actor, after: float, until: float) -> float:
    t = np.arange(after, until, 0.01)
    d = np.linalg.norm(foot_points(owner.boxes(t)) - foot_points(bag.boxes(t)), axis=1)
    far = np.nonzero(d > OWNER_RADIUS_M)[0]
    return float(t[far[0]]) if len(far) else until


def _abandon(rng: np.random.Generator) -> _Script:
    y = rng.uniform(10, 20)
    x = rng.uniform(-3, 3)
    r = Route.start(0.3, -6.5, y).to(x, y, 1.3)
    drop = r.end
    r.wait(rng.uniform(2.5, 5)).to(
        x + rng.uniform(-1, 1), 5.0, rng.uniform(1.2, 1.6)
    )  # leaves toward the camera
    owner = person("owner", r)
    bag = _with_bag(rng, owner, drop)
    left = _leave_time(owner, bag, drop, r.end)
    end = left + ABANDON_S + rng.uniform(4, 6)
    bag.t_out = end
    passer = person("passer", Route.start(left + 3, -7.0, y + 1.0).to(7.0, y + 1.2, 1.4))
    ev = GroundTruthEvent("abandoned_object", None, left + ABANDON_S, end, actor="bag")
    return _Script([owner, bag, passer], end, [ev])


def _bag_attended(rng: np.random.Generator) -> _Script:
    y = rng.uniform(10, 20)
    x = rng.uniform(-3, 3)
    r = Route.start(0.3, -6.5, y).to(x, y, 1.3)
    drop = r.end
    end = drop + ABANDON_S + rng.uniform(8, 12)
    while r.end < end - 8:  # shuffles around the bag, within a metre
        r.to(x + rng.uniform(-1.0, 1.0), y + rng.uniform(-0.8, 0.8), 0.5).wait(rng.uniform(1, 3))
    r.to(x + 3.5, y, 1.2).wait(rng.uniform(2, 4)).to(x + 0.6, y, 1.2).wait(
        end - r.end - 3
    )  # steps away and back
    owner = person("owner", r, t_out=end)
    bag = _with_bag(rng, owner, drop)
    bag.t_out = end
    return _Script([owner, bag], end)


STANDING = (0.35, 0.5, 1.7)
"""A standing person's box: depth along the heading, width across it, height (metres)."""
LYING = (1.7, 0.45, 0.3)
"""A lying person's box: body length along the heading, shoulder width, thickness."""

Size = tuple[float, float, float, float]


def _topple(r: Route, dur: float, heading: float, pivot: float, falling: bool, steps: int = 8) -> list[Size]:
    """Lay a person standing at ``r``'s end down over ``dur`` s, toward ``heading``; return the size keys.

    The body (``STANDING`` -> ``LYING``) turns about a horizontal axis across the heading: in a fall
    the angle grows with the square of time (a toppling body accelerates); lying down on purpose
    (kneel, sit, lie back) the head comes down at a steady rate. ``pivot`` places the lying body:
    0 = centred on where the feet stood (a slip: the feet slide forward as the body goes back),
    1 = the feet where they stood (a trip: the body lands ahead).
    Appends the motion of the box centre to ``r``.
    """
    x, y = r.points[-1]
    t0, body = r.end, LYING[0]
    keys: list[Size] = [(0.0, *STANDING), (t0, *STANDING)]
    for k in range(1, steps + 1):
        tau = k / steps
        theta = np.pi / 2 * tau**2 if falling else float(np.arccos(1.0 - tau))
        depth = STANDING[0] + (LYING[2] - STANDING[0]) * tau
        width = STANDING[1] + (LYING[1] - STANDING[1]) * tau
        along = body * np.sin(theta) + depth * np.cos(theta)
        height = body * np.cos(theta) + depth * np.sin(theta)
        shift = pivot * body / 2 * np.sin(theta)
        r.through(x + shift * np.cos(heading), y + shift * np.sin(heading), dur / steps)
        keys.append((t0 + tau * dur, float(along), float(width), float(height)))
    return keys


def _approach(rng: np.random.Generator, x: float, y: float) -> Route:
    """A walk of 5 m to (x, y) from any side: across, toward or away from the camera."""
    come = rng.uniform(0, 2 * np.pi)
    x0, y0 = np.clip(x + 5 * np.cos(come), -6, 6), np.clip(y + 5 * np.sin(come), 7, 24)
    return Route.start(0.3, float(x0), float(y0)).to(x, y, rng.uniform(1.1, 1.5))


def _fall(rng: np.random.Generator) -> _Script:
    r = _approach(rng, float(rng.uniform(-2, 2)), float(rng.uniform(9, 18)))
    t_fall = r.end
    dur = float(rng.uniform(0.3, 0.8))
    heading = float(rng.uniform(0, 2 * np.pi))  # any direction, toward or away from the camera
    keys = _topple(r, dur, heading, float(rng.uniform(0, 1)), falling=True)
    r.wait(rng.uniform(3, 6))
    a = person("faller", r)
    a.size, a.heading = keys, heading
    ev = GroundTruthEvent("person_down", None, float(t_fall + dur), r.end, actor="faller", onset_s=t_fall)
    return _Script([a, _walk_past(rng, "walker", rng.uniform(9, 18), 0.5)], r.end + 0.5, [ev])


def _crouch(rng: np.random.Generator) -> _Script:
    y = float(rng.uniform(9, 18))
    r = _approach(rng, float(rng.uniform(-3, 0)), y)
    t0 = r.end
    r.wait(rng.uniform(2, 4))
    t1 = r.end
    r.to(5.0, y, 1.3)
    c = person("croucher", r)
    h = rng.uniform(1.0, 1.15)
    c.size = [
        (0.0, *STANDING),
        (t0, *STANDING),
        (t0 + 0.6, 0.6, 0.6, h),
        (t1, 0.6, 0.6, h),
        (t1 + 0.8, *STANDING),
    ]
    y2 = rng.uniform(9, 18)
    r2 = Route.start(0.3, 5.0, y2).to(rng.uniform(0.5, 3), y2, 1.2)
    heading = float(rng.uniform(0, 2 * np.pi))
    keys = _topple(r2, float(rng.uniform(3.5, 5.0)), heading, float(rng.uniform(0, 1)), falling=False)
    r2.wait(3)
    s = person("lies_down_slowly", r2)
    s.size, s.heading = keys, heading
    return _Script([c, s], max(r.end, r2.end) + 0.5)


def _bend(rng: np.random.Generator) -> _Script:
    """Bending to pick something up (quick, the head to about 1.1 m), sitting down on the ground, and
    walking straight away from and toward the camera (the box shrinks or grows)."""
    r = _approach(rng, float(rng.uniform(-3, 0)), float(rng.uniform(9, 18)))
    x0, y0 = r.points[-1]
    heading = float(rng.uniform(0, 2 * np.pi))
    t0, down, hold = r.end, float(rng.uniform(0.5, 0.9)), float(rng.uniform(1.0, 2.5))
    lean = (float(rng.uniform(0.8, 1.0)), 0.5, float(rng.uniform(1.0, 1.2)))  # torso forward
    fwd = 0.2  # the hips go back, the head forward: the box centre moves a little ahead
    r.through(x0 + fwd * np.cos(heading), y0 + fwd * np.sin(heading), down).wait(hold)
    r.through(x0, y0, 0.8).to(5.0, y0, 1.3)
    b = person("bender", r)
    b.size = [(0.0, *STANDING), (t0, *STANDING), (t0 + down, *lean), (t0 + down + hold, *lean)]
    b.size.append((t0 + down + hold + 0.8, *STANDING))
    b.heading = heading
    y2 = rng.uniform(9, 18)
    r2 = Route.start(0.3, 5.0, y2).to(rng.uniform(0.5, 3), y2, 1.2)
    x2, _ = r2.points[-1]
    heading2 = float(rng.uniform(0, 2 * np.pi))
    t2, sit = r2.end, float(rng.uniform(1.5, 2.5))
    seated = (float(rng.uniform(0.9, 1.1)), 0.45, float(rng.uniform(0.85, 0.95)))  # on the ground, legs out
    r2.through(x2 + 0.3 * np.cos(heading2), y2 + 0.3 * np.sin(heading2), sit).wait(rng.uniform(3, 5))
    s = person("sits_down", r2)
    s.size = [(0.0, *STANDING), (t2, *STANDING), (t2 + sit, *seated)]
    s.heading = heading2
    xa, xb = (float(v) for v in rng.uniform(-1, 2, 2))  # a metre clear of the gate's end and the zone
    away = person("walks_away", Route.start(0.3, xa, 7.0).to(xa, 24.0, rng.uniform(1.1, 1.6)))
    toward = person("walks_toward", Route.start(0.3, xb, 24.0).to(xb, 7.0, rng.uniform(1.1, 1.6)))
    actors = [b, s, away, toward]
    return _Script(actors, max(a.t_out for a in actors) + 0.5)


def _wrong_way(rng: np.random.Generator) -> _Script:
    x = (LANE[0] + LANE[2]) / 2 + rng.uniform(-0.5, 0.5)
    v = rng.uniform(5, 14)
    bad = car("wrongway", Route.start(0.3, x, 45.0).to(x, 12.0, v), heading=np.pi / 2)
    good = car("rightway", Route.start(bad.t_out, x, 14.0).to(x, 46.0, rng.uniform(5, 14)), heading=np.pi / 2)
    return _Script([bad, good], max(bad.t_out, good.t_out) + 0.5)


def _right_way(rng: np.random.Generator) -> _Script:
    x = (LANE[0] + LANE[2]) / 2
    cars = [
        car(
            f"car{i}",
            Route.start(0.3 + 2.5 * i, x + rng.uniform(-0.5, 0.5), 14.0).to(x, 46.0, rng.uniform(5, 14)),
            heading=np.pi / 2,
        )
        for i in range(2)
    ]
    stop = (
        Route.start(1.0, x, 16.0).to(x, 30.0, 6.0).to(x, 32.0, 1.0).wait(5.0).to(x, 31.0, 0.8)
    )  # parks, creeps back
    cars.append(car("parker", stop, heading=np.pi / 2))
    return _Script(cars, max(c.t_out for c in cars) + 0.5)


SCENARIOS: dict[str, tuple[str, bool, Builder]] = {
    "intrusion": ("intrusion", False, _intrusion),
    "intrusion_near": ("intrusion", True, _intrusion_near),
    "line_cross": ("line_crossing", False, _line_cross),
    "line_turnback": ("line_crossing", True, _line_turnback),
    "loiter": ("loitering", False, _loiter),
    "loiter_pass": ("loitering", True, _loiter_pass),
    "run": ("speed", False, _run),
    "jog": ("speed", True, _jog),
    "crowd": ("crowd", False, _crowd),
    "crowd_below": ("crowd", True, _crowd_below),
    "dispersal": ("dispersal", False, _dispersal),
    "dispersal_slow": ("dispersal", True, _dispersal_slow),
    "abandon": ("abandoned_object", False, _abandon),
    "bag_attended": ("abandoned_object", True, _bag_attended),
    "fall": ("person_down", False, _fall),
    "crouch": ("person_down", True, _crouch),
    "bend": ("person_down", True, _bend),
    "wrong_way": ("wrong_way", False, _wrong_way),
    "right_way": ("wrong_way", True, _right_way),
}
"""Scenario kind -> (rule it exercises, whether it is a distractor that must not fire, builder)."""


# ----------------------------------------------------------------------------------------------- ground truth


def _inside(r: tuple[float, float, float, float], p: FloatArray) -> npt.NDArray[np.bool_]:
    return (p[:, 0] >= r[0]) & (p[:, 0] <= r[2]) & (p[:, 1] >= r[1]) & (p[:, 1] <= r[3])


def _intervals(t: FloatArray, mask: npt.NDArray[np.bool_], merge_gap: float) -> list[tuple[float, float]]:
    """Runs of True in ``mask`` as (start, end) times, runs closer than ``merge_gap`` merged."""
    out: list[tuple[float, float]] = []
    idx = np.flatnonzero(mask)
    if not len(idx):
        return out
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for s, e in zip(np.r_[idx[0], idx[breaks + 1]], np.r_[idx[breaks], idx[-1]], strict=True):
        if out and t[s] - out[-1][1] < merge_gap:
            out[-1] = (out[-1][0], float(t[e]))
        else:
            out.append((float(t[s]), float(t[e])))
    return out


def visibility(actor: Actor, t: FloatArray, boxes: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether the actor exists and at least half of its box is inside the image, per time."""
    w, h = IMAGE_SIZE
    clipped = np.clip(boxes, 0, [w, h, w, h])
    area = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    kept = (clipped[:, 2] - clipped[:, 0]).clip(0) * (clipped[:, 3] - clipped[:, 1]).clip(0)
    seen: npt.NDArray[np.bool_] = (t >= actor.t_in) & (t <= actor.t_out) & (area > 0) & (kept >= 0.5 * area)
    return seen


def foot_points(boxes: FloatArray) -> FloatArray:
    """Ground positions of the bottom centres of pixel boxes (what the rules call the foot point)."""
    th = np.radians(CAMERA.tilt_deg)
    u = (boxes[:, 0] + boxes[:, 2]) / 2 - CAMERA.size[0] / 2
    v = boxes[:, 3] - CAMERA.size[1] / 2
    # the ray through (u, v) meets the ground: solve depth from down/depth = v/f with z = 0
    y = (
        CAMERA.height_m
        * (CAMERA.focal_px * np.cos(th) - v * np.sin(th))
        / (v * np.cos(th) + CAMERA.focal_px * np.sin(th))
    )
    depth = y * np.cos(th) + CAMERA.height_m * np.sin(th)
    return np.stack([u * depth / CAMERA.focal_px, y], axis=1)


def ground_truth(actors: list[Actor], t: FloatArray, boxes: dict[str, FloatArray]) -> list[GroundTruthEvent]:
    """Events of the rules with a per-frame definition, from the clean actor states at times ``t``.

    Zone rules use the foot point of the clean box (as the rules do); speed and direction the true motion.
    """
    events: list[GroundTruthEvent] = []
    vis = {a.name: visibility(a, t, boxes[a.name]) for a in actors}
    feet = {a.name: foot_points(boxes[a.name]) for a in actors}
    dt = 1e-2
    vel = {a.name: (a.position(t + dt) - a.position(t - dt)) / (2 * dt) for a in actors}
    people = [a for a in actors if a.class_id == PERSON]
    for a in people:
        f, v, seen = feet[a.name], vel[a.name], vis[a.name]
        for s, e in _intervals(t, _inside(RESTRICTED, f) & seen, merge_gap=30.0):
            if e - s >= MIN_INSIDE_S:
                events.append(GroundTruthEvent("intrusion", "restricted", s, e, a.name))
        for s, e in _intervals(t, _inside(LOITER, f) & seen, merge_gap=3.0):
            if e - s >= LOITER_DWELL_S:
                events.append(GroundTruthEvent("loitering", "loiter", s + LOITER_DWELL_S, e, a.name))
        speed = np.hypot(v[:, 0], v[:, 1])
        for s, e in _intervals(t, (speed >= SPEED_MPS) & seen, merge_gap=60.0):
            if e - s >= 0.5:
                events.append(GroundTruthEvent("speed", None, s, e, a.name))
        events.extend(GroundTruthEvent("line_crossing", "gate", c, c, a.name) for c in _crossings(t, f, seen))
    count = sum((_inside(PLAZA, feet[a.name]) & vis[a.name]).astype(int) for a in people)
    if people:
        for s, e in _intervals(t, np.asarray(count) >= CROWD_COUNT, merge_gap=120.0):
            events.append(GroundTruthEvent("crowd", "plaza", s, e))
    limit = np.cos(np.radians(120.0))
    for a in (a for a in actors if a.class_id == CAR):
        v = vel[a.name]
        speed = np.hypot(v[:, 0], v[:, 1])
        against = (speed >= WRONG_WAY_MIN_SPEED) & (v[:, 1] <= limit * np.maximum(speed, 1e-9))
        for s, e in _intervals(t, against & _inside(LANE, feet[a.name]) & vis[a.name], merge_gap=120.0):
            events.append(GroundTruthEvent("wrong_way", "lane", s, e, a.name))
    return events


def _crossings(t: FloatArray, p: FloatArray, seen: npt.NDArray[np.bool_]) -> list[float]:
    (ax, ay), (bx, _) = GATE
    out = []
    for i in range(1, len(t)):
        (x0, y0), (x1, y1) = p[i - 1], p[i]
        if seen[i] and y0 < ay <= y1:
            x = x0 + (ay - y0) / (y1 - y0) * (x1 - x0)
            if min(ax, bx) <= x <= max(ax, bx):
                out.append(float(t[i - 1] + (ay - y0) / (y1 - y0) * (t[i] - t[i - 1])))
    return out


# ------------------------------------------------------------------------------------------------ rendering


def _gaps(
    rng: np.random.Generator, actor: Actor, critical: list[float], n: int, length: tuple[float, float]
) -> list[tuple[float, float]]:
    """Up to ``n`` random intervals in the actor's life that keep clear of the critical moments."""
    out: list[tuple[float, float]] = []
    for _ in range(n * 4):
        if len(out) == n or actor.t_out - actor.t_in < 3:
            break
        d = float(rng.uniform(*length))
        s = float(rng.uniform(actor.t_in + 1.0, max(actor.t_in + 1.0, actor.t_out - d - 1.0)))
        if all(s + d < c - 0.5 or s > c + 1.0 for c in critical):
            out.append((s, s + d))
    return out


def make_scenario(kind: str, seed: int, fps: float | None = None, noise: bool = True) -> BehaviorScenario:
    """Generate scenario ``kind`` (a key of :data:`SCENARIOS`) for ``seed``.

    ``noise=False`` gives the clean stream (no jitter, misses, occlusions or id switches).
    """
    _, distractor, build = SCENARIOS[kind]
    rng = np.random.default_rng([seed, list(SCENARIOS).index(kind)])
    fps = float(fps if fps is not None else rng.choice([10.0, 12.0, 15.0]))
    script = build(rng)
    t = np.arange(0.0, script.duration, 1.0 / fps)
    boxes = {a.name: a.boxes(t) for a in script.actors}
    events = ground_truth(script.actors, t, boxes) + script.scripted
    critical = [e.start_s for e in events] + [e.onset_s for e in events if e.onset_s is not None]
    next_id = iter(range(1 + 100 * int(rng.integers(0, 50)), 10**9))
    ids: dict[str, list[tuple[float, int]]] = {}
    hidden: dict[str, list[tuple[float, float]]] = {}
    for a in script.actors:
        hidden[a.name] = _gaps(rng, a, critical, int(rng.integers(0, 3)), (0.3, 1.2)) if noise else []
        ids[a.name] = [(-np.inf, next(next_id))]
        if noise and rng.random() < 0.4:
            switch = _gaps(rng, a, critical, 1, (0.1, 0.8))
            for s, e in switch:
                hidden[a.name].append((s, e))
                ids[a.name].append((e, next(next_id)))
    seen = {a.name: visibility(a, t, boxes[a.name]) for a in script.actors}
    frames = [
        (float(x), _render(script.actors, k, float(x), rng if noise else None, ids, hidden, boxes, seen))
        for k, x in enumerate(t)
    ]
    by_actor = {name: frozenset(i for _, i in v) for name, v in ids.items()}
    events = [e if e.actor is None else dataclasses.replace(e, tracker_ids=by_actor[e.actor]) for e in events]
    return BehaviorScenario(
        kind, seed, fps, float(script.duration), frames, sorted(events, key=lambda e: e.start_s), distractor
    )


def _render(
    actors: list[Actor],
    k: int,
    t: float,
    rng: np.random.Generator | None,
    ids: dict[str, list[tuple[float, int]]],
    hidden: dict[str, list[tuple[float, float]]],
    clean: dict[str, FloatArray],
    seen: dict[str, npt.NDArray[np.bool_]],
) -> Detections:
    w, h = IMAGE_SIZE
    boxes, classes, tids = [], [], []
    for a in actors:
        if not seen[a.name][k] or any(s <= t < e for s, e in hidden[a.name]):
            continue
        if rng is not None and rng.random() < 0.03:  # a missed detection
            continue
        b = clean[a.name][k]
        if rng is not None:
            b = b + rng.normal(0.0, max(0.7, 0.02 * (b[3] - b[1])), 4)
        b = np.clip(b, [0, 0, 0, 0], [w - 1, h - 1, w - 1, h - 1])
        if b[2] - b[0] < 2 or b[3] - b[1] < 2:
            continue
        boxes.append(b)
        classes.append(a.class_id)
        tids.append([i for since, i in ids[a.name] if since <= t][-1])
    n = len(boxes)
    return Detections(
        xyxy=np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
        confidence=rng.uniform(0.55, 0.95, n) if rng is not None else np.full(n, 0.9),
        class_id=np.asarray(classes, dtype=np.int64),
        tracker_id=np.asarray(tids, dtype=np.int64),
    )


def scenarios(seeds: range, kinds: list[str] | None = None) -> list[BehaviorScenario]:
    """Every kind (or ``kinds``) for every seed."""
    return [make_scenario(k, s) for k in (kinds or list(SCENARIOS)) for s in seeds]
