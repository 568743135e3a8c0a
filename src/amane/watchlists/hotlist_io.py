"""Hotlist exchange files: CSV and JSON, with NCIC-style column names understood on import.

Columns are the :class:`~amane.watchlists.hotlist.HotlistEntry` field names; NCIC-like aliases are
accepted (``LIC`` plate, ``LIS`` state, ``LIT`` type, ``VMA`` make, ``VMO`` model, ``VCO`` colour,
``ORI`` agency, ``OCA`` case number, ``EXP``/``expiry`` expiry, ``color``). A bad row raises
``ValueError`` naming the file, line and problem; nothing is half-imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from amane.watchlists.hotlist import HotlistEntry

ALIASES = {
    "lic": "plate",
    "license": "plate",
    "licence": "plate",
    "plate_number": "plate",
    "lis": "state",
    "lit": "plate_type",
    "type": "plate_type",
    "vma": "make",
    "vmo": "model",
    "vco": "colour",
    "color": "colour",
    "ori": "agency",
    "oca": "case_number",
    "case": "case_number",
    "exp": "expires_at",
    "expiry": "expires_at",
    "expires": "expires_at",
    "country_code": "country",
}
FIELDS = list(HotlistEntry.model_fields)


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k is None:
            continue
        name = k.strip().lower()
        name = ALIASES.get(name, name)
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        out[name] = v.strip() if isinstance(v, str) else v
    return out


def _entries(rows: Iterable[tuple[int, dict[str, Any]]], source: str) -> list[HotlistEntry]:
    out = []
    for line, raw in rows:
        try:
            out.append(HotlistEntry.model_validate(_clean(raw)))
        except (ValidationError, ValueError) as err:
            raise ValueError(f"{source}, entry at line {line}: {err}") from err
    return out


def read_csv(path: Path) -> list[HotlistEntry]:
    """Entries from a CSV file with a header row."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        return _entries(((i + 2, row) for i, row in enumerate(reader)), str(path))


def read_json(path: Path) -> list[HotlistEntry]:
    """Entries from a JSON list of objects (or ``{"entries": [...]}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("entries", [])
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of entries")
    return _entries(((i + 1, row) for i, row in enumerate(data)), str(path))


def read_any(path: Path) -> list[HotlistEntry]:
    """CSV or JSON by file suffix."""
    if path.suffix.lower() == ".json":
        return read_json(path)
    if path.suffix.lower() == ".csv":
        return read_csv(path)
    raise ValueError(f"{path}: unknown hotlist format (use .csv or .json)")


def write_csv(path: Path, entries: Iterable[HotlistEntry]) -> int:
    """Write entries as CSV (field names as header); returns the count."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for e in entries:
            writer.writerow({k: ("" if v is None else v) for k, v in e.model_dump(mode="json").items()})
            n += 1
    return n


def write_json(path: Path, entries: Iterable[HotlistEntry]) -> int:
    """Write entries as a JSON list; returns the count."""
    data = [e.model_dump(mode="json") for e in entries]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(data)


def write_any(path: Path, entries: Iterable[HotlistEntry]) -> int:
    """CSV or JSON by file suffix."""
    if path.suffix.lower() == ".json":
        return write_json(path, entries)
    if path.suffix.lower() == ".csv":
        return write_csv(path, entries)
    raise ValueError(f"{path}: unknown hotlist format (use .csv or .json)")
