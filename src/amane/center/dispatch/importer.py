"""Import past calls for service (Seattle Police open-data CSV) as incidents with their timeline.

Each row becomes an incident (``external_ref`` = the CAD event number, so a second import adds
nothing) with ``call_received`` at *Original Time Queued* and, when a unit arrived, ``unit_on_scene``
at *Arrived Time*. Times are local (``MM/DD/YYYY h:mm:ss AM/PM``); ``tz`` says which zone.
"""

from __future__ import annotations

import csv
import logging
import uuid
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.dispatch import timeline
from amane.center.dispatch.models import Incident

logger = logging.getLogger(__name__)

TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
SEATTLE = ZoneInfo("America/Los_Angeles")


def parse_time(text: str, tz: tzinfo = SEATTLE) -> datetime | None:
    """``"11/04/2023 6:08:26 PM"`` in ``tz`` -> aware UTC datetime; None when empty.

    >>> parse_time("11/04/2023 6:08:26 PM").isoformat()
    '2023-11-05T01:08:26+00:00'
    """
    text = text.strip()
    if not text:
        return None
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=tz).astimezone(UTC)


def import_seattle_calls(
    *, session: Session, path: str | Path, tz: tzinfo = SEATTLE, actor: str = "import:seattle-spd"
) -> tuple[int, int]:
    """Import the CSV; returns (incidents created, rows skipped as already imported). The caller commits."""
    created = skipped = 0
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ref = f"SPD-{row['CAD Event Number'].strip()}"
            if session.execute(select(Incident.id).where(Incident.external_ref == ref)).first():
                skipped += 1
                continue
            queued = parse_time(row["Original Time Queued"], tz)
            if queued is None:
                raise ValueError(f"{ref}: no Original Time Queued")
            arrived = parse_time(row["Arrived Time"], tz)
            incident = Incident(
                id=uuid.uuid4(),
                number=ref,
                external_ref=ref,
                nature_code=("SPD:" + row["Initial Call Type"].strip())[:48],
                priority=int(row["Priority"]),
                status="closed",
                lat=float(row["Blurred_Latitude"]) if row["Blurred_Latitude"] else None,
                lon=float(row["Blurred_Longitude"]) if row["Blurred_Longitude"] else None,
                address="",
                region=row["Beat"].strip() or row["Sector"].strip(),
                notes=row["Event Clearance Description"].strip(),
                source="seattle-spd",
                created_at=queued,
            )
            session.add(incident)
            session.flush()
            add = partial(timeline.append, session=session, incident_id=incident.id, actor=actor)
            add(
                kind="call_received",
                at=queued,
                received_at=queued,
                details={"call_type": row["Call Type"].strip()},
            )  # type: ignore[arg-type]
            if arrived is not None:
                add(
                    kind="unit_on_scene",
                    at=arrived,
                    received_at=arrived,
                    details={"unit_kind": "unknown"},
                )  # type: ignore[arg-type]
            add(
                kind="incident_closed",
                at=arrived or queued,
                received_at=arrived or queued,
                details={"disposition": incident.notes},
            )  # type: ignore[arg-type]
            timeline.project(session, incident)
            created += 1
    logger.info("imported %s incidents from %s (%s already there)", created, path, skipped)
    return created, skipped
