"""``amane watchlist ...`` end to end on a real SQLite file and a real photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
from typer.testing import CliRunner, Result

from amane.cli import app
from amane.watchlists.crypto import TemplateCipher

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"AMANE_WATCHLIST_KEY": TemplateCipher.encode_key(TemplateCipher.generate_key()),
            "AMANE_WATCHLIST_DB": f"sqlite:///{tmp_path / 'wl.db'}"}


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    astro = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])  # type: ignore[no-untyped-call]
    out = {"astronaut": tmp_path / "astro.jpg", "probe": tmp_path / "probe.png",
           "blank": tmp_path / "blank.png", "two": tmp_path / "two.jpg"}
    cv2.imwrite(str(out["astronaut"]), astro)
    cv2.imwrite(str(out["probe"]), cv2.resize(astro[0:300, 80:400], None, fx=0.8, fy=0.8))
    cv2.imwrite(str(out["blank"]), np.full((300, 300, 3), 90, np.uint8))
    cv2.imwrite(str(out["two"]), np.hstack([astro[20:300, 100:380]] * 2))
    return out


def _add(env: dict[str, str], *photos: Path) -> Result:
    args = ["watchlist", "add-person", "--name", "Test Person", "--notice", "red", "--reason", "robbery",
            "--legal-basis", "warrant 1/2026", "--agency", "DGSN", "--expires", "30d", "--by", "officer.k"]
    for p in photos:
        args += ["--photo", str(p)]
    return runner.invoke(app, args, env=env)


def test_enrol_list_search_remove(env: dict[str, str], photos: dict[str, Path]) -> None:
    res = _add(env, photos["astronaut"], photos["blank"], photos["two"])
    assert res.exit_code == 1  # two photos refused
    assert "person 1 added" in res.output and "enrolled" in res.output
    assert "refused" in res.output and "no_face" in res.output and "several_faces" in res.output
    listed = runner.invoke(app, ["watchlist", "list"], env=env)
    assert "Test Person" in listed.output and " 1 photos" in listed.output
    no_reason = runner.invoke(app, ["watchlist", "search-photo", str(photos["probe"]), "--reason", "x",
                                    "--by", "analyst"], env=env)
    assert no_reason.exit_code == 2
    found = runner.invoke(app, ["watchlist", "search-photo", str(photos["probe"]), "--reason",
                                "case 2026/441: CCTV still from the robbery", "--by", "analyst"], env=env)
    assert found.exit_code == 0 and "POSSIBLE MATCH (lead)" in found.output
    assert runner.invoke(app, ["watchlist", "remove", "1"], env=env).exit_code == 0
    assert "Test Person" not in runner.invoke(app, ["watchlist", "list", "--all"], env=env).output


def test_wrong_or_missing_key(env: dict[str, str], photos: dict[str, Path]) -> None:
    assert _add(env, photos["astronaut"]).exit_code == 0
    wrong = dict(env, AMANE_WATCHLIST_KEY=TemplateCipher.encode_key(TemplateCipher.generate_key()))
    res = runner.invoke(app, ["watchlist", "list"], env=wrong)
    assert res.exit_code == 2 and "does not match" in res.output
    missing = {k: v for k, v in env.items() if k != "AMANE_WATCHLIST_KEY"}
    res = runner.invoke(app, ["watchlist", "list"], env=dict(missing, AMANE_WATCHLIST_KEY=""))
    assert res.exit_code == 2 and "AMANE_WATCHLIST_KEY is not set" in res.output
