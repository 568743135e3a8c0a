"""``amane eval plates``: plate reading accuracy and speed on real data, against baselines.

Reads every set under ``--data``: folders with ``labels.csv`` (``image,text``; crops cut to the
plate, images under ``images/``) and folders of full images with openalpr ``.txt`` labels
(``file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE``). A ``labels_unscored_two_row_or_special.csv`` beside
``labels.csv`` is scored as its own set (``<set>_two_row``), read top row then bottom row.

Metrics per system and set: ``n``; ``exact`` (the read equals the label after normalising
separators and case; on full images: one of the image's plate reads does); on crops also
``exact_any_order`` (the read holds the label's characters, in any order: the two-row set's labels
list both rows' characters left to right, so no top-then-bottom read can equal them); ``char_accuracy``
(1 - edit distance / label length, best read); ``detect_rate`` (full images: a plate box with IoU
>= 0.4 against the label); ``ms_per_plate_median``, ``ms_per_plate_p95`` and ``ms_per_plate_mean``
(per crop, or per full image).
Systems: ``amane`` (the default reader: our localiser, our CRNN, RapidOCR's recogniser as a
second opinion on each localised plate; crops are read by the CRNN, with that recogniser as a
second expert on the digits when the CRNN's views leave it unsure), ``amane-crnn`` (the CRNN
alone: neither second opinion nor second expert), ``rapidocr`` (RapidOCR det+rec alone) and
``tesseract`` (when installed).
"""

from __future__ import annotations

import csv
import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import cv2
import numpy as np
import typer

from amane.core.plates import char_accuracy, normalize_plate

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class CropItem:
    """A crop cut to one plate, and its label."""

    path: Path
    text: str


@dataclass(frozen=True)
class FrameItem:
    """A full image, its labelled plate box (xyxy) and text."""

    path: Path
    box: Box
    text: str


def load_crops(labels: Path) -> list[CropItem]:
    """Rows of a ``labels.csv`` (``image,text``), images under ``images/`` beside it."""
    with labels.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    base = labels.parent / "images"
    return [CropItem(base / r["image"], normalize_plate(r["text"])) for r in rows]


def load_openalpr(folder: Path) -> list[FrameItem]:
    """Images with openalpr ``.txt`` labels in ``folder``."""
    items = []
    for txt in sorted(folder.glob("*.txt")):
        for line in txt.read_text(encoding="utf-8").splitlines():
            parts = line.strip().split("\t")
            if len(parts) < 6:
                continue
            x, y, w, h = (float(v) for v in parts[1:5])
            items.append(
                FrameItem(_image_path(folder, parts[0]), (x, y, x + w, y + h), normalize_plate(parts[5]))
            )
    return items


def _image_path(folder: Path, name: str) -> Path:
    """The labelled image; a label naming ``x.png`` when only ``x.jpg`` exists (it happens) finds it."""
    path = folder / name
    if not path.exists():
        for ext in (".jpg", ".jpeg", ".png", ".JPG", ".PNG"):
            if path.with_suffix(ext).exists():
                return path.with_suffix(ext)
    return path


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two xyxy boxes.

    >>> iou((0, 0, 10, 10), (5, 0, 15, 10))
    0.3333333333333333
    """
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


CropReader = Callable[[np.ndarray[Any, Any]], str]
FrameReader = Callable[[np.ndarray[Any, Any]], list[tuple[Box | None, str]]]


def score_crops(read: CropReader, items: list[CropItem]) -> dict[str, Any]:
    """Exact, character accuracy and time per crop."""
    exact, any_order, chars, times, misses = 0, 0, [], [], []
    for it in items:
        img = cv2.imread(str(it.path))
        if img is None:
            raise FileNotFoundError(it.path)
        t = time.perf_counter()
        text = normalize_plate(read(img))
        times.append((time.perf_counter() - t) * 1000)
        exact += text == it.text
        any_order += sorted(text) == sorted(it.text)
        chars.append(char_accuracy(it.text, text))
        if text != it.text:
            misses.append(f"{it.path.name}: {it.text} -> {text}")
    n = len(items)
    logger.debug("misses: %s", misses)
    return {
        "n": n,
        "exact": round(exact / n, 4) if n else None,
        "exact_any_order": round(any_order / n, 4) if n else None,
        "char_accuracy": round(float(np.mean(chars)), 4) if n else None,
        "ms_per_plate_median": round(statistics.median(times), 2) if n else None,
        "ms_per_plate_p95": round(float(np.percentile(times, 95)), 2) if n else None,
        "ms_per_plate_mean": round(statistics.fmean(times), 2) if n else None,
    }


def score_frames(read: FrameReader, items: list[FrameItem]) -> dict[str, Any]:
    """Exact (one read of the image equals the label), detect rate, time per image."""
    exact, detected, chars, times, boxes_known = 0, 0, [], [], False
    for it in items:
        img = cv2.imread(str(it.path))
        if img is None:
            raise FileNotFoundError(it.path)
        t = time.perf_counter()
        reads = read(img)
        times.append((time.perf_counter() - t) * 1000)
        texts = [normalize_plate(t) for _, t in reads]
        exact += it.text in texts
        chars.append(max([char_accuracy(it.text, t) for t in texts], default=0.0))
        boxes = [b for b, _ in reads if b is not None]
        boxes_known = boxes_known or bool(boxes)
        detected += any(iou(b, it.box) >= 0.4 for b in boxes)
    n = len(items)
    return {
        "n": n,
        "exact": round(exact / n, 4) if n else None,
        "char_accuracy": round(float(np.mean(chars)), 4) if n else None,
        "detect_rate": round(detected / n, 4) if n and boxes_known else None,
        "ms_per_plate_median": round(statistics.median(times), 2) if n else None,
        "ms_per_plate_p95": round(float(np.percentile(times, 95)), 2) if n else None,
        "ms_per_plate_mean": round(statistics.fmean(times), 2) if n else None,
    }


def _systems(names: list[str]) -> dict[str, tuple[CropReader, FrameReader]]:
    out: dict[str, tuple[CropReader, FrameReader]] = {}
    if "amane" in names:
        from amane.vision.plates.reader import PlateReader

        reader = PlateReader()
        out["amane"] = (
            lambda img: reader.read_crop(img).text,
            lambda img: [(d.box, d.read.text) for d in reader.read_candidates(img)],
        )
    if "amane-crnn" in names:
        from amane.vision.plates.ocr_crnn import CrnnOCRConfig
        from amane.vision.plates.reader import PlateReader, ReaderConfig

        crnn_only = PlateReader(ReaderConfig(second_opinion=None, ocr=CrnnOCRConfig(second_expert=None)))
        out["amane-crnn"] = (
            lambda img: crnn_only.read_crop(img).text,
            lambda img: [(d.box, d.read.text) for d in crnn_only.read_candidates(img)],
        )
    if "rapidocr" in names:
        from amane.vision.plates.ocr_rapid import RapidPlateOCR

        rapid = RapidPlateOCR()

        def rapid_frame(img: np.ndarray[Any, Any]) -> list[tuple[Box | None, str]]:
            res: list[tuple[Box | None, str]] = []
            for quad, text, _ in rapid.lines(img):
                q = np.asarray(quad, dtype=float)
                res.append(
                    (
                        (
                            float(q[:, 0].min()),
                            float(q[:, 1].min()),
                            float(q[:, 0].max()),
                            float(q[:, 1].max()),
                        ),
                        text,
                    )
                )
            return res

        out["rapidocr"] = (lambda img: rapid.read(img).text, rapid_frame)
    if "tesseract" in names:
        from amane.vision.plates.ocr_tesseract import TesseractPlateOCR, available

        if available():
            tess = TesseractPlateOCR()
            out["tesseract"] = (
                lambda img: tess.read(img).text,
                lambda img: [(None, t) for t in tess.read_all(img)],
            )
        else:
            logger.warning("tesseract is not installed: baseline skipped")
    return out


def evaluate(data: Path, systems: list[str], limit: int = 0, every: int = 1) -> dict[str, dict[str, Any]]:
    """Score each system on each set under ``data``; ``every`` > 1 keeps every n-th item of each set and
    ``limit`` > 0 the first items of what remains (for slow baselines on a busy machine)."""
    sets: dict[str, list[CropItem] | list[FrameItem]] = {}
    for labels in sorted(data.glob("*/labels.csv")):
        sets[labels.parent.name] = load_crops(labels)
        two_row = labels.parent / "labels_unscored_two_row_or_special.csv"
        if two_row.exists():
            sets[f"{labels.parent.name}_two_row"] = load_crops(two_row)
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        frames = load_openalpr(folder)
        if frames:
            sets[folder.name] = frames
    if not sets:
        raise FileNotFoundError(f"no labels.csv or openalpr .txt sets under {data}")
    results: dict[str, dict[str, Any]] = {}
    for name, (crop_reader, frame_reader) in _systems(systems).items():
        results[name] = {}
        for set_name, items in sets.items():
            items = items[::every]
            items = items[:limit] if limit else items
            logger.info("%s on %s (%d)", name, set_name, len(items))
            if items and isinstance(items[0], CropItem):
                results[name][set_name] = score_crops(crop_reader, items)  # type: ignore[arg-type]
            else:
                results[name][set_name] = score_frames(frame_reader, items)  # type: ignore[arg-type]
    return results


def table(results: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of the results."""
    lines = [
        "| set | system | n | exact | any order | char acc. | detect | ms/plate (median) | p95 | mean |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    sets = sorted({s for r in results.values() for s in r})
    for s in sets:
        for system, r in results.items():
            m = r.get(s)
            if m is None:
                continue
            det = "" if m.get("detect_rate") is None else f"{m['detect_rate']:.3f}"
            order = "" if m.get("exact_any_order") is None else f"{m['exact_any_order']:.3f}"
            lines.append(
                f"| {s} | {system} | {m['n']} | {m['exact']:.3f} | {order} | "
                f"{m['char_accuracy']:.3f} | {det} | "
                f"{m['ms_per_plate_median']:.1f} | {m['ms_per_plate_p95']:.1f} | "
                f"{m['ms_per_plate_mean']:.1f} |"
            )
    return "\n".join(lines)


def plates_command(
    data: Annotated[
        Path,
        typer.Option(
            "--data", exists=True, file_okay=False, help="Folder of plate sets, e.g. ../shared/data/plates"
        ),
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results here")] = None,
    systems: Annotated[
        str, typer.Option(help="Comma-separated: amane, rapidocr, tesseract")
    ] = "amane,rapidocr,tesseract",
    limit: Annotated[int, typer.Option(min=0, help="Only the first N items of each set (0: all)")] = 0,
    every: Annotated[int, typer.Option(min=1, help="Only every N-th item of each set (1: all)")] = 1,
) -> None:
    """Plate reading: exact, character accuracy, detection rate and speed, with baselines."""
    import onnxruntime as ort

    cv2.setNumThreads(1)
    ort.set_default_logger_severity(3)
    results = evaluate(data, [s.strip() for s in systems.split(",") if s.strip()], limit, every)
    typer.echo(table(results))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(results, indent=1), encoding="utf-8")
