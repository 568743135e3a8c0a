"""Centre settings: defaults, environment over file, errors that name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from amane.config import CenterSettings, load_center_settings
from amane.core.errors import ConfigError
from amane.core.messages import AlertKind


def test_defaults() -> None:
    s = CenterSettings()
    assert s.database_url == "sqlite:///var/amane.db" and s.bus_url == "memory://"
    assert s.evidence_max_bytes == 5_000_000 and s.session_idle_minutes == 15 and s.unit_online_seconds == 30
    assert s.tile_url is None and s.confirmations_for(AlertKind.FACE) == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("port: 9000\ndatabase_url: postgresql://amane@db/amane\n", None),
        ("review_confirmations:\n  face: 2\n", None),
        ("regions:\n  type: FeatureCollection\n  features: []\n", None),
        ("port: 9000\nsession_idle_minutes: 0\n", "line 2: session_idle_minutes"),
        ("database_url: mysql://x\n", "line 1: database_url"),
        ("evidence_max_bytes: 10\n", "line 1: evidence_max_bytes"),
        ("review_confirmations:\n  face: 9\n", "line 1: review_confirmations"),
        ("map_center: {lat: 100, lon: 0}\n", "line 1: map_center.lat"),
        ("prot: 9000\n", "line 1: prot"),
        ("- just\n- a list\n", "mapping"),
        ("port: [unclosed\n", "center.yaml"),
    ],
)
def test_yaml_table(tmp_path: Path, text: str, error: str | None) -> None:
    path = tmp_path / "center.yaml"
    path.write_text(text)
    if error is None:
        load_center_settings(path)
    else:
        with pytest.raises(ConfigError, match=error.replace(".", r"\.").replace("[", r"\[")):
            load_center_settings(path)


def test_environment_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "center.yaml"
    path.write_text("port: 9000\nhost: 0.0.0.0\n")
    monkeypatch.setenv("AMANE_PORT", "9100")
    s = load_center_settings(path)
    assert (s.port, s.host) == (9100, "0.0.0.0")
    assert s.evidence_path == Path("var/evidence")
    assert CenterSettings(database_url="postgresql://u@h/d").sqlalchemy_url == "postgresql+psycopg://u@h/d"
