"""``amane unit``: runs a config to the end of its files, and refuses a bad config with the line."""

from __future__ import annotations

from pathlib import Path

import cv2
from typer.testing import CliRunner

from amane.cli import app
from amane.sim.scene import Scene, SceneConfig
from amane.unit.outbox import Outbox


def test_unit_runs_a_folder_of_frames_to_the_end(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    scene = Scene(SceneConfig(width=320, height=180, seed=3))
    for i in range(8):
        cv2.imwrite(str(frames / f"f{i:03d}.jpg"), scene.render(i / 5)[0])
    config = tmp_path / "unit.yaml"
    config.write_text(f"""\
unit_id: RBT-CLI
center: {{url: "http://127.0.0.1:9", token: "amu_test"}}
sources:
  - {{type: folder, id: front, path: "{frames}", fps: 5, mount: {{yaw_deg: 0}}}}
gps: {{type: fixed, lat: 34.02, lon: -6.83}}
evidence: {{dir: "{tmp_path / "ev"}"}}
outbox: {{path: "{tmp_path / "outbox.db"}"}}
crew_page: {{enabled: false}}
""")
    result = CliRunner().invoke(app, ["unit", "--config", str(config), "--exit-at-end"])
    assert result.exit_code == 0, result.output
    outbox = Outbox(tmp_path / "outbox.db")
    assert outbox.pending().get("heartbeat", 0) >= 1  # the centre is unreachable: kept for later
    outbox.close()


def test_unit_refuses_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "unit.yaml"
    config.write_text(
        "unit_id: RBT-1\ncenter: {url: 'http://c'}\nsources:\n  - {type: usb, id: cab, device: -1}\n"
    )
    result = CliRunner().invoke(app, ["unit", "--config", str(config)])
    assert result.exit_code == 2
    assert "line 4" in result.output and "device" in result.output
