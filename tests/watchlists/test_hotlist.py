"""Hotlist: store, governance (expiry), exact and fuzzy match, CSV/JSON exchange, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from amane.cli import app
from amane.core.plates import CHARSET, CONFUSION_KEY, weighted_distance
from amane.watchlists.hotlist import Hotlist, HotlistEntry, HotlistReason
from amane.watchlists.hotlist_index import ALPHABET, PlateIndex, decode, encode, neighbourhood
from amane.watchlists.hotlist_io import read_any, write_any

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def entry(plate: str, **kw: object) -> HotlistEntry:
    base: dict[str, object] = {
        "plate": plate,
        "reason": "stolen",
        "agency": "DGSN",
        "legal_basis": "PV 1/2026",
    }
    base.update(kw)
    return HotlistEntry.model_validate(base)


@pytest.fixture
def hotlist(tmp_path: Path) -> Hotlist:
    hl = Hotlist(tmp_path / "hl.sqlite")
    hl.add(
        [
            entry("57626ب8", priority=1, expires_at=NOW + timedelta(days=10)),
            entry("AB-123-CD", country="FR", reason="wanted"),
            entry("609008WW", reason="bolo", expires_at=NOW - timedelta(days=1)),
            entry("80976ب8", priority=2),
        ]
    )
    return hl


@pytest.mark.parametrize(
    ("read", "plate", "exact"),
    [
        ("57626ب8", "57626ب8", True),
        ("57626 | ب | 8", "57626ب8", True),
        ("S7626ب8", "57626ب8", False),  # 5 read as S
        ("5762ب8", "57626ب8", False),  # one digit missed
        ("576266ب8", "57626ب8", False),  # one digit too many
        ("AB123CD", "AB123CD", True),
        ("A8I23CD", "AB123CD", False),  # B->8, 1->I
        ("AB12JCD", "AB123CD", False),  # one plain substitution
        ("ab 123 cd", "AB123CD", True),
        ("609008WW", None, None),  # expired: no match
        ("11111أ1", None, None),  # unknown
        ("XY999ZZ", None, None),
    ],
)
def test_lookup(hotlist: Hotlist, read: str, plate: str | None, exact: bool | None) -> None:
    matches = hotlist.lookup(read, now=NOW)
    if plate is None:
        assert matches == []
    else:
        assert matches[0].entry.plate == plate
        assert matches[0].exact is exact
        assert 0 < matches[0].score <= 1
        assert (matches[0].score == 1.0) is exact


def test_exact_only_and_cost_limit(hotlist: Hotlist) -> None:
    assert hotlist.lookup("S7626ب8", fuzzy=False, now=NOW) == []
    assert hotlist.lookup("AB12JCD", max_cost=0.5, now=NOW) == []
    assert [m.entry.plate for m in hotlist.lookup("A8123CD", max_cost=0.5, now=NOW)] == ["AB123CD"]


def test_expiry_and_purge(hotlist: Hotlist) -> None:
    assert hotlist.lookup("57626ب8", now=NOW + timedelta(days=11)) == []
    assert hotlist.purge_expired(NOW) == 1
    assert len(hotlist) == 3
    assert hotlist.purge_expired(NOW) == 0


def test_replace_and_remove(hotlist: Hotlist) -> None:
    e = next(iter(hotlist))
    hotlist.add([e.model_copy(update={"priority": 5})])
    assert len(hotlist) == 4
    got = hotlist.get(e.entry_id)
    assert got is not None and got.priority == 5
    assert hotlist.remove(e.entry_id) and not hotlist.remove(e.entry_id)
    assert hotlist.lookup(e.plate, fuzzy=False, now=NOW) == []


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({}, True),
        ({"priority": 0}, False),
        ({"priority": 6}, False),
        ({"reason": "parking"}, False),
        ({"plate": "ABCDEFGHIJK"}, False),  # longer than any format
        ({"plate": "12€34"}, False),
        ({"agency": ""}, False),
        ({"surprise": 1}, False),
        ({"reason": "amber", "vin": "1HGCM82633A004352", "expires_at": "2027-01-01T00:00:00"}, True),
    ],
)
def test_entry_validation(fields: dict[str, object], ok: bool) -> None:
    if ok:
        e = entry(str(fields.pop("plate", "12345أ6")), **fields)
        assert e.expires_at is None or e.expires_at.tzinfo is not None
    else:
        with pytest.raises(ValueError):
            entry(str(fields.pop("plate", "12345أ6")), **fields)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_roundtrip(hotlist: Hotlist, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    assert write_any(path, iter(hotlist)) == 4
    back = read_any(path)
    assert [e.model_dump() for e in back] == [e.model_dump() for e in hotlist]


def test_ncic_aliases_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "ncic.csv"
    path.write_text(
        "LIC,LIS,LIT,VMA,VMO,VCO,ORI,OCA,EXP,reason,legal_basis\n"
        "ABC1234,TX,PC,TOYT,CAM,BLK,TX0000000,2026-1,2027-01-01,stolen,warrant 7\n",
        encoding="utf-8",
    )
    (e,) = read_any(path)
    assert (e.plate, e.state, e.make, e.colour, e.agency, e.case_number) == (
        "ABC1234",
        "TX",
        "TOYT",
        "BLK",
        "TX0000000",
        "2026-1",
    )
    path.write_text(
        "plate,reason,agency,legal_basis\nABC1234,stolen,X,Y\nABC1234,nope,X,Y\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="line 3"):
        read_any(path)


def test_cli(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text(
        json.dumps(
            [
                {
                    "plate": "57626-B-8",
                    "reason": "stolen",
                    "agency": "DGSN",
                    "legal_basis": "PV 9",
                    "action": "stop and check",
                }
            ]
        ),
        encoding="utf-8",
    )
    db = str(tmp_path / "hl.sqlite")
    runner = CliRunner()
    r = runner.invoke(app, ["hotlist", "import", str(src), "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["hotlist", "lookup", "57626-B-8", "--db", db])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["exact"] is True
    r = runner.invoke(app, ["hotlist", "lookup", "99999-D-1", "--db", db])
    assert r.exit_code == 1
    r = runner.invoke(app, ["hotlist", "export", str(tmp_path / "out.csv"), "--db", db])
    assert r.exit_code == 0 and "57626ب8" in (tmp_path / "out.csv").read_text(encoding="utf-8")


plates = st.text(alphabet=CHARSET, min_size=1, max_size=9)


@settings(max_examples=150, deadline=None)
@given(plates)
def test_encode_roundtrip(p: str) -> None:
    assert decode(encode(p)) == p


@settings(max_examples=150, deadline=None)
@given(plates, st.data())
def test_one_edit_is_always_found(p: str, data: st.DataObject) -> None:
    """A plate one edit (or confusion) away from a listed plate is found, with the right cost."""
    op = data.draw(st.sampled_from(["sub", "ins", "del", "confuse"]))
    i = data.draw(st.integers(0, len(p) - 1))
    c = data.draw(st.sampled_from(CHARSET))
    if op == "sub":
        read = p[:i] + c + p[i + 1 :]
    elif op == "ins" and len(p) < 9:
        read = p[:i] + c + p[i:]
    elif op == "del" and len(p) > 1:
        read = p[:i] + p[i + 1 :]
    else:
        alts = [k for k, v in CONFUSION_KEY.items() if v == CONFUSION_KEY.get(p[i], p[i]) and k in CHARSET]
        read = p[:i] + data.draw(st.sampled_from(alts or [p[i]])) + p[i + 1 :]
    idx = PlateIndex.build([p, "ZZZZZZZZZ"])
    found = idx.lookup(read, max_cost=1.0)
    assert found and found[0].row == 0
    assert found[0].cost == pytest.approx(min(1.0, weighted_distance(p, read)))


def test_neighbourhood_contains_key() -> None:
    k = encode("57626ب8", key=True)
    n = neighbourhood(k, 7)
    assert k in set(n.tolist()) and len(n) == len(np.unique(n))


def test_reason_enum() -> None:
    assert HotlistReason("bolo") is HotlistReason.BOLO


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=9))
def test_any_indexable_plate_is_found_exactly(p: str) -> None:
    idx = PlateIndex.build([p])
    assert [m.row for m in idx.lookup(p)] == [0]
    assert [m.row for m in idx.lookup(p, fuzzy=False)] == [0]
