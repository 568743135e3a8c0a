"""``unit.yaml`` validation and ``amane config check``: good files pass, bad ones name line and key."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from typer.testing import CliRunner

import amane.config.unit as unit_config
from amane.cli import app
from amane.config.unit import load_unit_config, load_unit_config_text
from amane.core.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BASE = """\
unit_id: RBT-1
center:
  url: http://centre.example
sources:
  - type: rig
    cameras:
      - type: stream
        id: front
        url: rtsp://10.0.0.2/1
        mount: {yaw_deg: 0}
      - type: stream
        id: rear
        url: rtsp://10.0.0.3/1
        mount: {yaw_deg: 180}
"""


@pytest.mark.parametrize("name", ["unit-4cam.yaml", "unit-360.yaml"])
def test_example_configs_pass_the_check_command(name: str) -> None:
    result = CliRunner().invoke(app, ["config", "check", str(EXAMPLES / name)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    cfg = load_unit_config(EXAMPLES / name)
    assert len(cfg.camera_ids()) == 4


@pytest.mark.parametrize(
    ("edit", "line", "needle"),
    [
        (("yaw_deg: 180", "yaw_deg: 400"), 14, "sources.0.rig.cameras.1.stream.mount.yaw_deg"),
        (("url: rtsp://10.0.0.2/1", "url: rtsp://10.0.0.2/1\n        fps: 30"), 10, "fps: Extra inputs"),
        (("id: rear", "id: front"), 5, "rig camera ids must be unique, repeated: ['front']"),
        (
            ("mount: {yaw_deg: 180}", "mount: {yaw_deg: 180}\n  - type: usb\n    id: rear"),
            16,
            "camera rear: id used twice",
        ),
        (("unit_id: RBT-1", "unit_id: RBT 1"), 1, "unit_id: String should match pattern"),
        (("  url: http://centre.example", "  url: ftp://centre.example"), 3, "center.url"),
        (("  url: http://centre.example", "  transport: http"), None, "center.url is needed"),
        (
            ("type: stream\n        id: front", "type: webcam\n        id: front"),
            7,
            "does not match any of the",
        ),
    ],
    ids=[
        "bound",
        "extra-key",
        "duplicate-in-rig",
        "duplicate-across-sources",
        "bad-callsign",
        "bad-url",
        "cross-field",
        "bad-tag",
    ],
)
def test_bad_configs_point_at_the_line_and_key(edit: tuple[str, str], line: int | None, needle: str) -> None:
    text = BASE.replace(*edit)
    assert text != BASE
    with pytest.raises(ConfigError) as info:
        load_unit_config_text(text, "unit.yaml")
    message = str(info.value)
    assert needle in message, message
    if line is not None:
        assert f"line {line}:" in message, message


def test_good_base_config_and_defaults() -> None:
    cfg = load_unit_config_text(BASE)
    assert cfg.camera_ids() == ["front", "rear"]
    assert cfg.center.transport == "http" and cfg.scheduling.workers == 2
    assert cfg.outbox.position_interval_s == 30.0


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "expected a mapping"),
        ("- a\n- b\n", "expected a mapping"),
        ("unit_id: [unclosed\n", "not valid YAML"),
    ],
)
def test_not_a_config_at_all(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_unit_config_text(text)


def test_check_command_fails_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "unit.yaml"
    bad.write_text(BASE.replace("yaw_deg: 180", "yaw_deg: -5"))
    result = CliRunner().invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 1
    assert "line 14" in result.output and "greater than or equal to 0" in result.output


def test_recognizer_restricted_to_an_unknown_camera_names_it() -> None:
    text = BASE + "recognizers:\n  - name: plates\n    cameras: [roof]\n"
    with pytest.raises(ConfigError, match="camera roof is not a camera of this unit"):
        load_unit_config_text(text)


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_unit_config_text(BASE)
    monkeypatch.setenv("AMANE_UNIT_TOKEN", "from-env")
    assert cfg.center.resolve_token() == "from-env"
    cfg = load_unit_config_text(
        BASE.replace("  url: http://centre.example", "  url: http://c\n  token: inline")
    )
    assert cfg.center.resolve_token() == "inline"


def test_module_doctests() -> None:
    assert doctest.testmod(unit_config).failed == 0
