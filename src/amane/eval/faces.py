"""``amane eval faces``: face verification accuracy and speed on labelled photo pairs.

The pairs CSV has ``file_x``, ``file_y`` and ``Decision`` or ``decision`` (Yes/No); a path is
resolved against ``--images``, falling back to its base name. Each photo goes through the
deployed pipeline (detector on a reduced copy, 5-point alignment, quality gate, embedding): the
largest face is used; a photo with no face or one below the quality gate makes its pairs "no
match", as it would on the road. One threshold for every set: the embedder's calibrated default
(``dlib+mobilefacenet``: 1.0, each model's distance divided by its own threshold; dlib ResNet: the
edge of its training margin, 0.6 - 0.04, read from the model file; MobileFaceNet: 0.894, its
published operating point) unless ``--threshold`` says otherwise. ``--embedder`` picks the model.

Reported per set: ``accuracy``, ``fmr``, ``fnmr``, ``ms_per_face_median`` (one core, detection
included, decoding excluded), and other libraries' distances found in the CSV as baselines, each at its
best threshold on the set (an oracle: optimistic for them) next to ours at the same oracle.
With ``identity groups`` (photos linked by "Yes" pairs), every pair of the photos is labelled and
``tar_at_far_1e-2`` / ``tar_at_far_1e-3`` computed; the impostor distances' normal fit gives the
threshold for a 10,000-person list (one expected false lead per 1,000 probes).

``throughput`` is faces per second on the whole machine: ``--workers`` processes (default one per
core), each with its own pipeline, over all the photos (:mod:`amane.eval.faces_throughput`).

For diagnosis, each set also lists ``wrong_pairs`` (the pairs the threshold gets wrong, with their
distance and face widths) and ``pair_distances``; with several sets, ``one_threshold_oracle`` is the
best single threshold over all of them together and each set's figures there: when even that misses
a target, no choice of threshold can meet it and the embedding's separation is the limit.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import cv2
import numpy as np
import typer
from scipy.stats import norm

from amane.eval.faces_throughput import throughput
from amane.vision.faces.embed_dlib import DlibResnetConfig
from amane.vision.faces.embed_ensemble import DlibMobileFaceNetConfig
from amane.vision.faces.embed_mobilefacenet import MobileFaceNetConfig
from amane.vision.faces.pipeline import EmbedderConfig, FacePipeline, FacePipelineConfig

logger = logging.getLogger(__name__)

FloatArray = np.ndarray


@dataclass(frozen=True)
class Pair:
    """One labelled pair, with any baseline distances the CSV carries."""

    a: str
    b: str
    same: bool
    baselines: dict[str, float]


def read_pairs(path: Path) -> list[Pair]:
    """The pairs of a CSV (``file_x``, ``file_y``, ``Decision``/``decision``, optional distance columns)."""
    pairs: list[Pair] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        label = "Decision" if "Decision" in fields else "decision"
        if "file_x" not in fields or "file_y" not in fields or label not in fields:
            raise ValueError(f"{path}: need columns file_x, file_y and Decision/decision, got {fields}")
        extra = [f for f in fields if f not in ("file_x", "file_y", label)]
        for row in reader:
            value = row[label].strip().lower()
            if value not in ("yes", "no"):
                raise ValueError(f"{path}: decision must be Yes/No, got {row[label]!r}")
            base: dict[str, float] = {}
            for f in extra:
                try:
                    base[f] = float(row[f])
                except (TypeError, ValueError):
                    continue
            pairs.append(Pair(row["file_x"], row["file_y"], value == "yes", base))
    return pairs


def resolve(images: Path, name: str) -> Path:
    """``images/name`` if it exists, else ``images/basename(name)``."""
    direct = images / name
    return direct if direct.is_file() else images / Path(name).name


def rates(dist: FloatArray, same: FloatArray, threshold: float) -> dict[str, float]:
    """accuracy, fmr, fnmr of ``dist < threshold`` against the labels.

    >>> rates(np.array([0.1, 0.9, 0.2, 0.3]), np.array([True, False, False, True]), 0.5)
    {'accuracy': 0.75, 'fmr': 0.5, 'fnmr': 0.0}
    """
    pred = dist < threshold
    n_same, n_diff = max(1, int(same.sum())), max(1, int((~same).sum()))
    return {"accuracy": float((pred == same).mean()), "fmr": float((pred & ~same).sum() / n_diff),
            "fnmr": float((~pred & same).sum() / n_same)}


def best_accuracy(dist: FloatArray, same: FloatArray) -> tuple[float, float]:
    """(best accuracy over all thresholds, that threshold): an oracle, for baselines."""
    finite = np.sort(np.unique(dist[np.isfinite(dist)]))
    cands = np.concatenate([[finite[0] - 1e-6], (finite[:-1] + finite[1:]) / 2, [finite[-1] + 1e-6]])
    accs = [float(((dist < t) == same).mean()) for t in cands]
    i = int(np.argmax(accs))
    return accs[i], float(cands[i])


def wrong_pairs(pairs: list[Pair], dist: FloatArray, threshold: float,
                widths: dict[str, float | None]) -> list[dict[str, object]]:
    """The pairs ``dist < threshold`` gets wrong, closest calls first, with each photo's face width.

    >>> ps = [Pair("a.jpg", "b.jpg", True, {}), Pair("a.jpg", "c.jpg", False, {})]
    >>> [w["b"] for w in wrong_pairs(ps, np.array([0.7, 0.5]), 0.6, {"a.jpg": 90.0})]
    ['b.jpg', 'c.jpg']
    """
    out: list[dict[str, object]] = []
    for p, d in zip(pairs, dist, strict=True):
        if bool(d < threshold) != p.same:
            a, b = Path(p.a).name, Path(p.b).name
            out.append({"a": a, "b": b, "same": p.same, "distance": float(d),
                        "face_px": [widths.get(a), widths.get(b)]})
    return sorted(out, key=lambda w: abs(float(w["distance"]) - threshold))  # type: ignore[arg-type]


def one_threshold_oracle(results: list[dict[str, object]]) -> dict[str, object]:
    """The best single threshold over all sets' pairs together, and each set's figures at it.

    An oracle (it looks at the labels), for diagnosis only: if a target fails even here, no one
    threshold meets it.

    >>> r = [{"set": "x", "pair_distances": [["a", "b", True, 0.3], ["a", "c", False, 0.7]]},
    ...      {"set": "y", "pair_distances": [["d", "e", True, 0.5], ["d", "f", False, 0.9]]}]
    >>> o = one_threshold_oracle(r)
    >>> o["errors"], o["sets"]["y"]["accuracy"]
    (0, 1.0)
    """
    per_set: dict[str, tuple[FloatArray, FloatArray]] = {}
    for r in results:
        rows = cast(list[list[Any]], r["pair_distances"])
        per_set[str(r["set"])] = (np.array([float(x[3]) for x in rows]), np.array([bool(x[2]) for x in rows]))
    dist = np.concatenate([d for d, _ in per_set.values()])
    same = np.concatenate([s for _, s in per_set.values()])
    _, thr = best_accuracy(dist, same)
    errors = int(((dist < thr) != same).sum())
    return {"threshold": thr, "errors": errors,
            "sets": {k: rates(d, s, thr) for k, (d, s) in per_set.items()}}


def tar_at_far(genuine: FloatArray, impostor: FloatArray, far: float) -> tuple[float, float]:
    """(TAR, threshold) where at most ``far`` of impostor pairs fall below the threshold."""
    imp = np.sort(impostor)
    n_allowed = math.floor(far * len(imp))
    thr = float(imp[n_allowed]) if n_allowed < len(imp) else float("inf")
    return float((genuine < thr).mean()), thr


def groups_from_pairs(pairs: list[Pair]) -> dict[str, int]:
    """Identity groups: photos linked by "Yes" pairs (union-find), keyed by base name."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        a, b = find(Path(p.a).name), find(Path(p.b).name)
        if p.same:
            parent[a] = b
    roots = {find(k) for k in list(parent)}
    ids = {r: i for i, r in enumerate(sorted(roots))}
    return {k: ids[find(k)] for k in list(parent)}


Embeddings = dict[str, FloatArray | None]


@dataclass
class Embedded:
    """What the pipeline made of a set's photos."""

    embeddings: Embeddings
    ms: list[float]
    """Wall time per photo (detection included, decoding excluded)."""
    cpu_ms: list[float]
    failed: dict[str, str]
    """Why a photo has no embedding: ``unreadable``, ``no_face`` or the quality gate's reasons."""
    face_px: dict[str, float | None]
    """Width of the face used, in original pixels (None: no face)."""


def embed_all(pipe: FacePipeline, paths: dict[str, Path]) -> Embedded:
    """Each photo's main face through the pipeline: embedding (None when no face / below the gate)."""
    out: dict[str, FloatArray | None] = {}
    widths: dict[str, float | None] = {}
    times: list[float] = []
    cpu: list[float] = []
    failed: dict[str, str] = {}
    for name, path in sorted(paths.items()):
        img: np.ndarray | None = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            out[name] = widths[name] = None
            failed[name] = "unreadable"
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        face = pipe.primary(img)
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
        out[name] = None if face is None else face.embedding
        widths[name] = None if face is None else round(face.face.width, 1)
        if face is None:
            failed[name] = "no_face"
        elif face.embedding is None:
            failed[name] = ",".join(face.quality.reasons)
    return Embedded(out, times, cpu, failed, widths)


def _dist(emb: dict[str, FloatArray | None], a: str, b: str) -> float:
    x, y = emb.get(a), emb.get(b)
    return float("inf") if x is None or y is None else float(np.linalg.norm(x - y))


def evaluate_set(pipe: FacePipeline, pairs_csv: Path, images: Path, threshold: float) -> dict[str, object]:
    """All figures for one pairs CSV."""
    pairs = read_pairs(pairs_csv)
    paths = {Path(p).name: resolve(images, p) for pair in pairs for p in (pair.a, pair.b)}
    done = embed_all(pipe, paths)
    emb, times, cpu = done.embeddings, done.ms, done.cpu_ms
    dist = np.array([_dist(emb, Path(p.a).name, Path(p.b).name) for p in pairs])
    same = np.array([p.same for p in pairs])
    result: dict[str, object] = {"set": pairs_csv.name, "pairs": len(pairs), "photos": len(paths),
                                 "threshold": threshold, **rates(dist, same, threshold)}
    result["ms_per_face_median"] = statistics.median(times) if times else None
    result["faces_per_second"] = 1000.0 / statistics.median(times) if times else None
    result["cpu_ms_per_face_median"] = statistics.median(cpu) if cpu else None
    result["photos_failed"] = done.failed
    result["wrong_pairs"] = wrong_pairs(pairs, dist, threshold, done.face_px)
    result["pair_distances"] = [[Path(p.a).name, Path(p.b).name, p.same, float(d)]
                                for p, d in zip(pairs, dist, strict=True)]
    acc, thr = best_accuracy(dist, same)
    baselines = {"amane (oracle threshold)": {"accuracy": acc, "threshold": thr}}
    for col in sorted({k for p in pairs for k in p.baselines}):
        d = np.array([p.baselines.get(col, np.nan) for p in pairs])
        ok = np.isfinite(d)
        b_acc, b_thr = best_accuracy(d[ok], same[ok])
        baselines[col] = {"accuracy": b_acc, "threshold": b_thr, "pairs": int(ok.sum())}
    result["baselines_best_threshold"] = baselines
    groups = groups_from_pairs(pairs)
    names = sorted(n for n in groups if emb.get(n) is not None)
    if len(set(groups.values())) > 1:
        gen: list[float] = []
        imp: list[float] = []
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                (gen if groups[a] == groups[b] else imp).append(_dist(emb, a, b))
        g, m = np.array(gen), np.array(imp)
        for far, key in ((1e-2, "tar_at_far_1e-2"), (1e-3, "tar_at_far_1e-3")):
            tar, t = tar_at_far(g, m, far)
            result[key] = tar
            result[key.replace("tar", "threshold")] = t
        result["all_pairs"] = {"genuine": len(g), "impostor": len(m), "identities": len(set(groups.values()))}
        mu, sigma = float(m.mean()), float(m.std(ddof=1))
        # per-probe false lead rate ~ N_persons x FMR(t); FMR(t) from the impostor normal fit
        target = 1e-3 / 10_000
        t10k = mu + sigma * float(norm.ppf(target))
        result["impostor_fit"] = {"mean": mu, "std": sigma}
        result["threshold_10k_list"] = t10k
        result["tar_at_threshold_10k_list"] = float((g < t10k).mean())
        result["fmr_at_threshold_10k_list_fit"] = float(norm.cdf((t10k - mu) / sigma))
    return result


def _table(results: list[dict[str, object]]) -> str:
    lines = []
    for r in results:
        lines.append(f"\n{r['set']}: {r['pairs']} pairs, {r['photos']} photos, "
                     f"threshold {r['threshold']:.3f}")
        lines.append(f"  amane: accuracy {r['accuracy']:.4f}  FMR {r['fmr']:.4f}  FNMR {r['fnmr']:.4f}  "
                     f"{r['ms_per_face_median']:.1f} ms/face median ({r['faces_per_second']:.1f} faces/s; "
                     f"CPU {r['cpu_ms_per_face_median']:.1f} ms/face)")
        if "tar_at_far_1e-3" in r:
            lines.append(f"  all pairs of the identity groups: TAR@FAR1e-2 {r['tar_at_far_1e-2']:.4f}  "
                         f"TAR@FAR1e-3 {r['tar_at_far_1e-3']:.4f}  10k-list threshold "
                         f"{r['threshold_10k_list']:.3f} (TAR {r['tar_at_threshold_10k_list']:.3f})")
        if r["photos_failed"]:
            lines.append(f"  photos with no usable face: {r['photos_failed']}")
        for w in r["wrong_pairs"]:  # type: ignore[attr-defined]
            kind = "missed (same person)" if w["same"] else "false match"
            lines.append(f"  wrong: {w['a']} / {w['b']} {kind}, distance {w['distance']:.3f}, "
                         f"face px {w['face_px']}")
        lines.append(f"  {'model (oracle: best threshold here)':<44} {'accuracy':>8} {'threshold':>10}")
        for name, b in r["baselines_best_threshold"].items():  # type: ignore[attr-defined]
            lines.append(f"  {name:<44} {b['accuracy']:>8.4f} {b['threshold']:>10.4f}")
    return "\n".join(lines)


def embedder_config(name: str, views: str = "flip") -> EmbedderConfig:
    """The embedder config ``--embedder`` / ``--views`` name.

    >>> embedder_config("dlib-resnet", "single").views
    'single'
    """
    if views not in ("single", "flip", "flip-shift"):
        raise typer.BadParameter("views must be single, flip or flip-shift")
    dlib = DlibResnetConfig(views=views)  # type: ignore[arg-type]
    if name == "dlib+mobilefacenet":
        return DlibMobileFaceNetConfig(dlib=dlib)
    if name == "dlib-resnet":
        return dlib
    if name == "mobilefacenet":
        return MobileFaceNetConfig()
    raise typer.BadParameter("embedder must be dlib+mobilefacenet, dlib-resnet or mobilefacenet")


def faces_command(
    pairs: Annotated[list[Path], typer.Option("--pairs", exists=True, dir_okay=False,
                                              help="Pairs CSV (repeatable)")],
    images: Annotated[Path, typer.Option("--images", exists=True, file_okay=False, help="Photos")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here")] = None,
    threshold: Annotated[float | None, typer.Option(help="Distance threshold (default: the model's)")] = None,
    views: Annotated[str, typer.Option(help="dlib's test-time views: single, flip or flip-shift")] = "flip",
    embedder: Annotated[str, typer.Option(help="dlib+mobilefacenet, dlib-resnet or mobilefacenet")
                        ] = "dlib+mobilefacenet",
    workers: Annotated[int | None, typer.Option(
        min=0, help="Also measure faces per second with this many worker processes (0: off; "
                    "default: one per CPU core)")] = None,
) -> None:
    """Face verification accuracy, FMR/FNMR, TAR@FAR and speed on labelled pairs."""
    config = FacePipelineConfig(embedder=embedder_config(embedder, views))
    pipe = FacePipeline(config)
    logger.info("faces eval: embedder %s", pipe.embedder.model_id)
    thr = pipe.threshold if threshold is None else threshold
    results = [evaluate_set(pipe, p, images, thr) for p in pairs]
    print(_table(results))
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    through: dict[str, float | int] | None = None
    if n_workers:
        photos = sorted({resolve(images, f) for csv_path in pairs for pair in read_pairs(csv_path)
                         for f in (pair.a, pair.b)})
        through = throughput(config.model_dump(mode="json"), photos, n_workers)
        print(f"\nthroughput, {through['workers']} worker processes (one pipeline each, the whole machine): "
              f"{through['faces_per_second']:.1f} faces/s over {through['photos']} photos")
    oracle = one_threshold_oracle(results) if len(results) > 1 else None
    if oracle is not None:
        figures = "  ".join(f"{k} {v['accuracy']:.4f} (FMR {v['fmr']:.4f})"
                            for k, v in oracle["sets"].items())  # type: ignore[attr-defined]
        print(f"\nbest single threshold over all sets (oracle, diagnosis only): {oracle['threshold']:.3f}, "
              f"{oracle['errors']} wrong pairs: {figures}")
    if json_out is not None:
        payload: dict[str, object] = dict(results[0]) if len(results) == 1 else {"sets": results}
        if oracle is not None:
            payload["one_threshold_oracle"] = oracle
        payload["views"] = views
        if through is not None:
            payload["throughput"] = through
        payload["model_id"] = pipe.embedder.model_id
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(payload, indent=2, default=float))
        print(f"\nwrote {json_out}")
