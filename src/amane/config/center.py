"""The command centre's settings: environment variables ``AMANE_*`` over an optional YAML file over defaults.

>>> s = CenterSettings(database_url="postgresql://amane@db/amane")
>>> s.sqlalchemy_url
'postgresql+psycopg://amane@db/amane'
>>> CenterSettings().evidence_path.as_posix()
'var/evidence'
"""

from __future__ import annotations

import contextvars
import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from amane.core.errors import ConfigError
from amane.core.messages import AlertKind

logger = logging.getLogger(__name__)

_yaml_data: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("_yaml_data", default=None)


class MapCenter(BaseModel):
    """Where the dashboard map opens."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float = Field(default=33.5731, ge=-90.0, le=90.0, description="Latitude in degrees")
    lon: float = Field(default=-7.5898, ge=-180.0, le=180.0, description="Longitude in degrees")


class _YamlSource(PydanticBaseSettingsSource):
    """Values read from the YAML file given to :func:`load_center_settings` (none otherwise)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        data = _yaml_data.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_data.get() or {})


class CenterSettings(BaseSettings):
    """Everything ``amane center`` can be told. Every field is also ``AMANE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="AMANE_", extra="forbid", env_nested_delimiter="__")

    database_url: str = Field(
        default="sqlite:///var/amane.db",
        description="SQLAlchemy URL: sqlite:///path (WAL, the embedded default) or postgresql://user@host/db",
    )
    bus_url: str = Field(default="memory://", description="memory:// (in-process) or nats://host:port")
    data_dir: Path = Field(default=Path("var"), description="Where the centre keeps its files")
    evidence_dir: Path | None = Field(default=None, description="Evidence images (default data_dir/evidence)")
    evidence_max_bytes: int = Field(
        default=5_000_000,
        ge=1024,
        le=200_000_000,
        description="Largest accepted evidence image, in bytes (larger: 413)",
    )
    session_idle_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="A staff session with no request for this long expires"
    )
    session_max_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 7,
        description="A staff session expires this long after login, active or not",
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="Consecutive failed logins that lock an account"
    )
    unit_online_seconds: int = Field(
        default=30, ge=1, le=3600, description="A unit is online when its last heartbeat is this recent"
    )
    offline_sweep_seconds: float = Field(
        default=5.0,
        ge=0.0,
        le=600.0,
        description="How often dashboards are told which units went silent (unit.updated); 0: never",
    )
    unit_token_cache_seconds: float = Field(
        default=5.0,
        ge=0.0,
        le=300.0,
        description="How long a worker trusts a verified unit token before asking the database again "
        "(bounds how long a revocation takes to reach other workers)",
    )
    review_confirmations: dict[AlertKind, int] = Field(
        default_factory=dict,
        description="Distinct reviewers who must confirm an alert of this kind (default 1), e.g. {face: 2}",
    )
    ingest_batch_max: int = Field(
        default=512,
        ge=1,
        le=10_000,
        description="Most writes the group-commit writer puts in one transaction",
    )
    live_queue_size: int = Field(
        default=512,
        ge=8,
        le=100_000,
        description="Events buffered per dashboard socket; a socket that falls further behind is closed",
    )
    tile_url: str | None = Field(default=None, description="Tile URL template ({z}/{x}/{y}); none: offline")
    tile_attribution: str = Field(default="", max_length=500, description="Attribution shown with the tiles")
    map_center: MapCenter = Field(default_factory=MapCenter, description="Where the dashboard map opens")
    map_zoom: int = Field(default=13, ge=1, le=19, description="Initial dashboard map zoom")
    regions: dict[str, Any] | None = Field(
        default=None, description="Region outlines for the dashboard, a GeoJSON FeatureCollection"
    )
    host: str = Field(default="127.0.0.1", description="Interface `amane center` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `amane center` listens on")
    cookie_secure: bool = Field(default=False, description="Mark the session cookie Secure (behind TLS)")
    telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry spans/metrics/logs per "
        "request (needs configured OTel providers)",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("database_url must start with sqlite:// or postgresql://")
        return value

    @field_validator("review_confirmations")
    @classmethod
    def _confirmations_in_range(cls, value: dict[AlertKind, int]) -> dict[AlertKind, int]:
        for kind, count in value.items():
            if not 1 <= count <= 5:
                raise ValueError(f"review_confirmations[{kind}] must be 1..5, got {count}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _YamlSource(settings_cls), file_secret_settings

    @property
    def sqlalchemy_url(self) -> str:
        """``database_url`` with the driver SQLAlchemy should use (psycopg 3 for PostgreSQL)."""
        if self.database_url.startswith("postgresql://"):
            return "postgresql+psycopg://" + self.database_url.removeprefix("postgresql://")
        return self.database_url

    @property
    def evidence_path(self) -> Path:
        """The directory evidence images are stored under."""
        return self.evidence_dir if self.evidence_dir is not None else self.data_dir / "evidence"

    def confirmations_for(self, kind: AlertKind) -> int:
        """How many distinct reviewers must confirm an alert of ``kind``."""
        return self.review_confirmations.get(kind, 1)


def _key_lines(text: str) -> dict[str, int]:
    """Line number (1-based) of each top-level key of a YAML mapping."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def load_center_settings(path: Path | None = None, **overrides: Any) -> CenterSettings:
    """Settings from ``path`` (YAML, optional), the environment and ``overrides``; errors name key, line."""
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
            loaded = yaml.safe_load(text) or {}
            lines = _key_lines(text)
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"{path}: {err}") from err
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of setting: value")
        data = loaded
    token = _yaml_data.set(data)
    try:
        return CenterSettings(**overrides)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            where = f"line {lines[str(e['loc'][0])]}: " if e["loc"] and str(e["loc"][0]) in lines else ""
            problems.append(f"{where}{key}: {e['msg']}")
        raise ConfigError(f"{path or 'settings'}: " + "; ".join(problems)) from err
    finally:
        _yaml_data.reset(token)
