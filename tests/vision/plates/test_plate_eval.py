"""`amane eval plates` on a small set made here: both layouts (crops + labels.csv, frames + openalpr .txt)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from typer.testing import CliRunner

from amane.cli import app
from amane.eval.plates import CropItem, evaluate, load_openalpr, score_crops, table


def make_sets(root: Path, clean_plate: Callable[[str], Any], frame_with_plate: Callable[..., Any]) -> None:
    crops = root / "ma" / "images"
    crops.mkdir(parents=True)
    rows = ["image,text"]
    for i in range(4):
        plate, text = clean_plate("moroccan")
        cv2.imwrite(str(crops / f"{i}.png"), cv2.resize(plate, (240, 51)))
        rows.append(f"{i}.png,{text}")
    (root / "ma" / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    frames = root / "eu"
    frames.mkdir()
    for i in range(2):
        plate, text = clean_plate("eu")
        frame, (x1, y1, x2, y2) = frame_with_plate(plate, width=200)
        cv2.imwrite(str(frames / f"f{i}.jpg"), frame)
        (frames / f"f{i}.txt").write_text(
            f"f{i}.jpg\t{x1:.0f}\t{y1:.0f}\t{x2 - x1:.0f}\t{y2 - y1:.0f}\t{text}\n"
        )


def test_evaluate_both_layouts(
    tmp_path: Path, clean_plate: Callable[[str], Any], frame_with_plate: Callable[..., Any]
) -> None:
    make_sets(tmp_path, clean_plate, frame_with_plate)
    assert len(load_openalpr(tmp_path / "eu")) == 2
    res = evaluate(tmp_path, ["amane"])
    ma, eu = res["amane"]["ma"], res["amane"]["eu"]
    assert ma["n"] == 4 and eu["n"] == 2
    timing = {"ms_per_plate_median", "ms_per_plate_p95", "ms_per_plate_mean"}
    assert set(ma) == {"n", "exact", "exact_any_order", "char_accuracy"} | timing
    assert ma["exact_any_order"] >= ma["exact"]
    assert set(eu) == {"n", "exact", "char_accuracy", "detect_rate"} | timing
    assert eu["detect_rate"] == 1.0
    assert ma["char_accuracy"] >= 0.7 and eu["char_accuracy"] >= 0.7
    assert "| ma | amane | 4 |" in table(res)


def test_cli_writes_json(
    tmp_path: Path, clean_plate: Callable[[str], Any], frame_with_plate: Callable[..., Any]
) -> None:
    make_sets(tmp_path / "data", clean_plate, frame_with_plate)
    out = tmp_path / "out.json"
    r = CliRunner().invoke(
        app,
        [
            "eval",
            "plates",
            "--data",
            str(tmp_path / "data"),
            "--json",
            str(out),
            "--systems",
            "amane",
            "--limit",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["amane"]["ma"]["n"] == 1 and data["amane"]["eu"]["n"] == 1


def test_any_order_counts_reads_whose_labels_list_the_rows_left_to_right(tmp_path: Path) -> None:
    """A motorcycle plate labelled with both rows' characters left to right (``0167023`` for ``7`` over
    ``016023``) counts in ``exact_any_order`` when read top row then bottom row, never in ``exact``."""
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), np.full((40, 40, 3), 255, np.uint8))
    items = [CropItem(path, "0167023"), CropItem(path, "57626ب8")]
    reads = iter(["7016023", "57626ب6"])
    m = score_crops(lambda _img: next(reads), items)
    assert m["exact"] == 0.0 and m["exact_any_order"] == 0.5
