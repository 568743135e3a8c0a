"""``unit.yaml``: everything a patrol unit is told, validated strictly, with errors that point at the line.

>>> cfg = UnitConfig.model_validate({
...     "unit_id": "RBT-12",
...     "center": {"url": "https://centre.example", "token": "s3cret"},
...     "sources": [{"type": "file", "id": "front", "path": "front.mp4", "mount": {"yaw_deg": 0}}]})
>>> cfg.center.transport, cfg.scheduling.recognize_every_frames
('http', 5)
>>> load_unit_config_text("unit_id: RBT-1\\nsources: []\\ncolour: red\\n")
Traceback (most recent call last):
...
amane.core.errors.ConfigError: <text>: 1 error
  line 3: colour: Extra inputs are not permitted
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from amane.core.errors import ConfigError
from amane.core.messages import Region, UnitId, UnitKind
from amane.sim.source import SimulatedCamerasConfig
from amane.vision.detect import DetectorConfig
from amane.vision.motion import MotionConfig
from amane.vision.sources import EquirectSourceConfig, RigSourceConfig, SourceConfig
from amane.vision.track import TrackerConfig

_STRICT = ConfigDict(extra="forbid")


class CenterLinkConfig(BaseModel):
    """How the unit reaches the command centre."""

    model_config = _STRICT
    transport: Literal["http", "bus"] = Field(
        "http",
        description="'http': the centre's HTTP API (a real unit over a mobile link); 'bus': publish on the "
        "message bus (in-process demo, or NATS), evidence still over HTTP when a url is given.",
    )
    url: str | None = Field(
        None, pattern=r"^https?://", description="Base URL of the centre, e.g. https://centre.police.example"
    )
    token: SecretStr | None = Field(
        None, description="The unit's token (prefer token_env: keep secrets out of files)"
    )
    token_env: str | None = Field(
        "AMANE_UNIT_TOKEN",
        min_length=1,
        description="Environment variable holding the token (when token is unset)",
    )
    bus_url: str = Field(
        "memory://", description="Bus URL for transport 'bus': memory:// or nats://host:port"
    )
    timeout_s: float = Field(10.0, gt=0.0, le=120.0, description="HTTP timeout per request")
    poll_messages_s: float = Field(5.0, ge=0.5, le=600.0, description="How often to poll for messages (http)")
    heartbeat_s: float = Field(10.0, ge=1.0, le=600.0, description="Heartbeat/position period")

    def resolve_token(self) -> str | None:
        """The token from the config, else from the ``token_env`` variable."""
        if self.token is not None:
            return self.token.get_secret_value()
        return os.environ.get(self.token_env) if self.token_env else None


class NmeaFileGps(BaseModel):
    """NMEA sentences replayed from a file (a recorded drive)."""

    model_config = _STRICT
    type: Literal["nmea-file"]
    path: Path = Field(description="File of NMEA 0183 sentences ($GPRMC/$GNRMC, $GPGGA)")
    rate_hz: float = Field(1.0, gt=0.0, le=50.0, description="Fixes per second to replay")
    loop: bool = Field(True, description="Start again at the end")


class SerialGps(BaseModel):
    """A GPS receiver on a serial port, speaking NMEA (set the baud rate with stty beforehand)."""

    model_config = _STRICT
    type: Literal["serial"]
    device: Path = Field(description="e.g. /dev/ttyACM0")


class GpsdGps(BaseModel):
    """A gpsd daemon (JSON protocol over TCP)."""

    model_config = _STRICT
    type: Literal["gpsd"]
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(2947, ge=1, le=65535)


class SimulatedGps(BaseModel):
    """A simulated drive along a route of the simulated city (demo, tests, benches)."""

    model_config = _STRICT
    type: Literal["simulated"]
    route: int = Field(0, ge=0, le=10_000, description="Route number in the simulated city (seeded)")
    seed: int = Field(7, ge=0, description="City seed")
    speed_mps: float = Field(10.0, gt=0.0, le=60.0, description="Driving speed")


class FixedGps(BaseModel):
    """A parked unit at a known place."""

    model_config = _STRICT
    type: Literal["fixed"]
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    heading_deg: float = Field(0.0, ge=0.0, lt=360.0)


GpsConfig = Annotated[
    NmeaFileGps | SerialGps | GpsdGps | SimulatedGps | FixedGps, Field(discriminator="type")
]


class RecognizerEntry(BaseModel):
    """A recogniser or scene analyser plug-in, named; its own options are validated by the plug-in."""

    model_config = _STRICT
    name: Literal["plates", "faces", "behaviour"] | str = Field(
        min_length=1,
        max_length=64,
        description="'plates', 'faces', 'behaviour' or a custom name with factory",
    )
    enabled: bool = Field(True, description="Load and run it")
    factory: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="'module:function' that builds it from the options (default for the built-in names)",
    )
    cameras: list[str] | None = Field(None, description="Only these camera ids (default: all)")
    options: dict[str, Any] = Field(default_factory=dict, description="The plug-in's own config")


class EvidenceConfig(BaseModel):
    """Evidence snapshots kept on the unit."""

    model_config = _STRICT
    dir: Path = Field(Path("var/unit/evidence"), description="Where snapshots and crops are written")
    max_age_days: float = Field(7.0, gt=0.0, le=365.0, description="Older evidence is deleted")
    max_total_mb: float = Field(2000.0, gt=1.0, le=1_000_000.0, description="Oldest evidence goes above this")
    jpeg_quality: int = Field(85, ge=30, le=100)
    max_side: int = Field(1280, ge=160, le=8192, description="Snapshots are scaled to at most this side")


class OutboxConfig(BaseModel):
    """The local store-and-forward queue."""

    model_config = _STRICT
    path: Path = Field(Path("var/unit/outbox.db"), description="SQLite file (also holds the inbox)")
    max_items: int = Field(
        50_000, ge=100, le=10_000_000, description="Bound; positions are thinned then dropped"
    )
    position_interval_s: float = Field(30.0, gt=0.0, le=3600.0, description="Backlog positions kept per slot")
    retry_initial_s: float = Field(1.0, gt=0.0, le=60.0)
    retry_max_s: float = Field(300.0, gt=0.0, le=3600.0)


class SchedulingConfig(BaseModel):
    """What runs on which frame."""

    model_config = _STRICT
    workers: int = Field(2, ge=1, le=16, description="Analysis threads (cameras are shared between them)")
    max_frame_age_s: float = Field(0.5, gt=0.0, le=10.0, description="Older frames are dropped, not analysed")
    recognize_every_frames: int = Field(
        5, ge=1, le=1000, description="A track's best crop so far goes to recognisers at most every N frames"
    )
    best_crops: int = Field(
        3, ge=1, le=20, description="Best crops kept per track (handed over at track end)"
    )
    min_track_frames: int = Field(2, ge=1, le=100, description="Tracks seen fewer times are not recognised")
    min_crop_px: int = Field(24, ge=4, le=1000, description="Smaller boxes are not worth recognising")


class CrewPageConfig(BaseModel):
    """The small local web page for the crew (alerts, messages, read button) and /metrics."""

    model_config = _STRICT
    enabled: bool = True
    host: str = Field("127.0.0.1", description="Bind address (0.0.0.0 to reach it from the cabin tablet)")
    port: int = Field(8765, ge=0, le=65535, description="0 picks a free port")


class UnitConfig(BaseModel):
    """A patrol unit: identity, centre link, cameras, perception, GPS, plug-ins, storage, scheduling."""

    model_config = _STRICT
    unit_id: UnitId
    kind: UnitKind = Field(UnitKind.CAR, description="car, motorcycle or drone")
    region: Region | None = Field(None, description="Region whose broadcasts the unit receives")
    center: CenterLinkConfig = Field(default_factory=lambda: CenterLinkConfig())
    sources: list[SourceConfig] = Field(
        default_factory=list, max_length=8, description="Cameras (rig, 360°, files)"
    )
    simulated: SimulatedCamerasConfig | None = Field(
        None,
        description="Synthetic street scenes as cameras (demo, benchmarks; instead of or besides sources)",
    )
    motion: MotionConfig = Field(default_factory=MotionConfig, description="Motion gate (per camera)")
    detector: DetectorConfig | None = Field(None, description="Detector; default: classical")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    gps: GpsConfig | None = Field(None, description="Position source; none: alerts carry no position")
    recognizers: list[RecognizerEntry] = Field(default_factory=list)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    scheduling: SchedulingConfig = Field(default_factory=SchedulingConfig)
    crew_page: CrewPageConfig = Field(default_factory=CrewPageConfig)

    @model_validator(mode="after")
    def _checks(self) -> UnitConfig:
        check_has_cameras(self)
        check_unique_camera_ids(self)
        check_recognizer_cameras(self)
        check_center_link(self)
        check_unique_recognizers(self)
        return self

    def camera_ids(self) -> list[str]:
        """Every camera id the unit analyses (a 360° camera's views are ``<id>/<view>``)."""
        ids = [cid for source in self.sources for cid in source_camera_ids(source)]
        return ids + ([c.id for c in self.simulated.cameras] if self.simulated else [])


def source_camera_ids(source: Any) -> list[str]:
    """The camera ids a source config yields."""
    if isinstance(source, EquirectSourceConfig):
        return [f"{source.source.id}/{v.name}" for v in source.views]
    if isinstance(source, RigSourceConfig):
        return [c.id for c in source.cameras]
    return [str(source.id)]


def check_has_cameras(cfg: UnitConfig) -> None:
    """A unit has something to look at."""
    if not cfg.sources and cfg.simulated is None:
        raise ValueError("sources: a unit needs at least one camera source (or simulated cameras)")


def check_unique_camera_ids(cfg: UnitConfig) -> None:
    """Every camera id appears once across all sources."""
    seen: set[str] = set()
    for cid in cfg.camera_ids():
        if cid in seen:
            raise ValueError(f"camera {cid}: id used twice (camera ids must be unique in the unit)")
        seen.add(cid)


def check_recognizer_cameras(cfg: UnitConfig) -> None:
    """A recogniser restricted to cameras names cameras that exist."""
    known = set(cfg.camera_ids())
    for entry in cfg.recognizers:
        for cid in entry.cameras or []:
            if cid not in known:
                raise ValueError(
                    f"recognizer {entry.name}: camera {cid} is not a camera of this unit "
                    f"(known: {sorted(known)})"
                )


def check_center_link(cfg: UnitConfig) -> None:
    """HTTP transport needs the centre URL."""
    if cfg.center.transport == "http" and cfg.center.url is None:
        raise ValueError("center.url is needed with transport 'http'")


def check_unique_recognizers(cfg: UnitConfig) -> None:
    """A plug-in name is configured once."""
    names = [r.name for r in cfg.recognizers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"recognizers configured twice: {dupes}")


# -- YAML with line numbers ----------------------------------------------------------------------------


def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key, "__key__")] = key_node.start_mark.line + 1
            _node_lines(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, (*path, i), out)


def line_of(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The YAML line of a pydantic error location.

    Location parts that are not in the YAML (a discriminated union's tag, ``function-after``) are skipped;
    a missing key points at its parent.

    >>> lines = {(): 1, ("a",): 2, ("a", "__key__"): 2, ("a", 0): 3, ("a", 0, "b"): 3,
    ...          ("a", 0, "b", "__key__"): 3}
    >>> line_of(lines, ("a", 0, "file", "b")), line_of(lines, ("a", 0, "missing"))
    (3, 3)
    """
    path: tuple[Any, ...] = ()
    for part in loc:
        if (*path, part) in lines:
            path = (*path, part)
    key_line = lines.get((*path, "__key__"))
    return key_line if key_line is not None else lines.get(path)


def _named_line(text: str, message: str) -> int | None:
    """For a cross-field error (no location): the line that defines the camera or recogniser it names."""
    match = re.search(r"(?:camera|recognizer) ([A-Za-z0-9_.\-/]+)", message)
    if match is None:
        return None
    name = match.group(1).split("/")[0]
    found = None  # the last definition: for a repeated id, that is the repeat
    for number, row in enumerate(text.splitlines(), start=1):
        if re.search(rf"\b(?:id|name):\s*['\"]?{re.escape(name)}['\"]?\s*(?:#.*)?$", row):
            found = number
    return found


def _format_errors(source: str, err: ValidationError, lines: dict[tuple[Any, ...], int], text: str) -> str:
    rows = []
    for e in err.errors():
        loc = tuple(e["loc"])
        where = ".".join(str(p) for p in loc) or "(top)"
        line = line_of(lines, loc) if loc else _named_line(text, str(e["msg"]))
        prefix = f"line {line}: " if line is not None else ""
        rows.append(f"  {prefix}{where}: {e['msg']}")
    return f"{source}: {len(rows)} error{'s' if len(rows) != 1 else ''}\n" + "\n".join(rows)


def load_unit_config_text(text: str, source: str = "<text>") -> UnitConfig:
    """Parse and validate YAML text; raises :class:`ConfigError` naming the line and key of each problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from err
    if node is None or not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings (unit_id, sources, ...)")
    lines: dict[tuple[Any, ...], int] = {}
    _node_lines(node, (), lines)
    try:
        return UnitConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(source, err, lines, text)) from err


def load_unit_config(path: Path) -> UnitConfig:
    """Read and validate a ``unit.yaml``; relative paths in it stay relative to the working directory."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    return load_unit_config_text(text, str(path))
