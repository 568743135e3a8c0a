"""NMEA parsing (table + property), file replay with heading from course or movement, simulated drive."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amane.unit.gps import NmeaReader, RouteDriver, parse_nmea


def with_checksum(body: str) -> str:
    value = 0
    for ch in body:
        value ^= ord(ch)
    return f"${body}*{value:02X}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A", (48.1173, 11.5167, 84.4)),
        (
            with_checksum("GNRMC,101010,A,3401.254,N,00649.896,W,10.0,270.0,231126,,"),
            (34.0209, -6.8316, 270.0),
        ),
        (with_checksum("GPGGA,101010,3401.254,N,00649.896,W,1,08,0.9,50.0,M,,,,"), (34.0209, -6.8316, None)),
        (with_checksum("GPRMC,123519,V,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), None),  # void
        (with_checksum("GPGGA,101010,3401.254,N,00649.896,W,0,00,,,M,,,,"), None),  # no fix
        ("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*00", None),  # bad checksum
        (with_checksum("GPRMC,1,A,99xx.0,N,01131.000,E,,,,,"), None),
        ("garbage", None),
        ("", None),
    ],
)
def test_parse_table(line: str, expected: tuple[float, float, float | None] | None) -> None:
    fix = parse_nmea(line)
    if expected is None:
        assert fix is None
        return
    assert fix is not None
    assert (round(fix.lat, 4), round(fix.lon, 4), fix.course_deg) == expected


@given(st.text(max_size=120))
def test_parser_never_raises(line: str) -> None:
    parse_nmea(line)
    parse_nmea("$GPRMC," + line)


@given(lat=st.floats(-89.9, 89.9), lon=st.floats(-179.9, 179.9))
def test_coordinates_round_trip(lat: float, lon: float) -> None:
    def field(value: float, digits: int) -> str:
        deg = int(abs(value))
        return f"{deg:0{digits}d}{(abs(value) - deg) * 60:07.4f}"

    body = (
        f"GPRMC,000000,A,{field(lat, 2)},{'N' if lat >= 0 else 'S'},{field(lon, 3)},"
        f"{'E' if lon >= 0 else 'W'},0.0,,010126,,"
    )
    fix = parse_nmea(with_checksum(body))
    assert fix is not None
    assert fix.lat == pytest.approx(lat, abs=2e-6) and fix.lon == pytest.approx(lon, abs=2e-6)


def test_replay_derives_heading_from_movement(tmp_path: Path) -> None:
    lines = [
        with_checksum(f"GPGGA,10101{i},3401.{254 + 10 * i:03d},N,00649.896,W,1,08,0.9,50.0,M,,,,")
        for i in range(4)
    ]
    path = tmp_path / "drive.nmea"
    path.write_text("\n".join([*lines, "junk line", ""]))
    reader = NmeaReader(path, rate_hz=None, loop=False)
    for _ in range(100):
        fix = reader.fix()
        if fix is not None and fix.heading_deg is not None and reader.bad_sentences:
            break
        time.sleep(0.01)
    reader.close()
    assert fix is not None and fix.heading_deg == pytest.approx(0.0, abs=0.5)  # moving north
    assert reader.bad_sentences == 1


def test_simulated_drive_moves_along_its_route() -> None:
    driver = RouteDriver(0, seed=7, speed_mps=1000.0)
    a = driver.fix()
    time.sleep(0.05)
    b = driver.fix()
    assert a is not None and b is not None and (a.lat, a.lon) != (b.lat, b.lon)
    assert b.heading_deg is not None and b.speed_mps == 1000.0


def test_gpsd_client_reads_tpv_reports_and_reconnects() -> None:
    """A stand-in gpsd on a free port (the receiver is hardware): TPV reports become fixes."""
    import json
    import socket
    import threading

    from amane.unit.gps import GpsdClient

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    watch: list[bytes] = []

    def serve() -> None:
        for lat in (34.01, 34.02):  # two sessions: the client reconnects after the first closes
            conn, _ = server.accept()
            watch.append(conn.recv(200))
            reports = [
                {"class": "VERSION"},
                {"class": "TPV", "mode": 1},
                {"class": "TPV", "mode": 3, "lat": lat, "lon": -6.83, "track": 271.5, "speed": 8.2},
            ]
            conn.sendall(b"".join(json.dumps(r).encode() + b"\n" for r in reports) + b"not json\n")
            time.sleep(0.2)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = GpsdClient("127.0.0.1", port)
    seen = set()
    for _ in range(400):
        fix = client.fix()
        if fix is not None:
            seen.add(round(fix.lat, 2))
            assert fix.heading_deg == 271.5 and fix.speed_mps == 8.2
        if seen == {34.01, 34.02}:
            break
        time.sleep(0.01)
    client.close()
    server.close()
    assert seen == {34.01, 34.02}
    assert watch[0].startswith(b"?WATCH=")
