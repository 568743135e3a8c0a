"""KPI reports from the incident projection (one row per incident) and their CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.dispatch import kpi
from amane.center.dispatch.models import Incident
from amane.center.dispatch.schemas import KpiReport, KpiRowPublic, StatPublic


def _epoch(values: list[datetime | None]) -> np.ndarray:
    return np.array([v.timestamp() if v is not None else np.nan for v in values], dtype=np.float64)


def load_times(
    *,
    session: Session,
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> kpi.IncidentTimes:
    """The KPI arrays of incidents whose call was received in [since, until), optionally in one region."""
    query = select(
        Incident.call_received_at,
        Incident.first_dispatched_at,
        Incident.first_on_scene_at,
        Incident.priority,
        Incident.region,
        Incident.first_unit_kind,
    ).where(Incident.call_received_at.is_not(None), Incident.status != "merged")
    if region:
        query = query.where(Incident.region == region)
    if since:
        query = query.where(Incident.call_received_at >= since)
    if until:
        query = query.where(Incident.call_received_at < until)
    rows = session.execute(query).all()
    return kpi.IncidentTimes.from_labels(
        received=_epoch([r[0] for r in rows]),
        dispatched=_epoch([r[1] for r in rows]),
        arrived=_epoch([r[2] for r in rows]),
        priority=np.array([r[3] for r in rows], dtype=np.int64),
        region=[r[4] or "-" for r in rows],
        unit_kind=[r[5] or "-" for r in rows],
    )


def report(
    *,
    session: Session,
    group_by: kpi.GroupBy,
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    targets: dict[int, float] | None = None,
) -> KpiReport:
    """KPI rows per group for the central view (all regions) or one region."""
    targets = targets or kpi.DEFAULT_TARGETS_S
    times = load_times(session=session, region=region, since=since, until=until)
    rows = kpi.compute(times, group_by=group_by, targets=targets)

    def stat(s: kpi.Stat) -> StatPublic:
        return StatPublic(count=s.count, median_s=s.median_s, p90_s=s.p90_s)

    return KpiReport(
        group_by=group_by,
        region=region,
        since=since,
        until=until,
        targets_s=targets,
        rows=[
            KpiRowPublic(
                group=r.group,
                incidents=r.incidents,
                call_to_dispatch=stat(r.call_to_dispatch),
                dispatch_to_arrival=stat(r.dispatch_to_arrival),
                total=stat(r.total),
                within_target=r.within_target,
                with_target=r.with_target,
            )
            for r in rows
        ],
    )


CSV_COLUMNS = [
    "group_by",
    "group",
    "incidents",
    *(f"{name}_{part}" for name in kpi.INTERVALS for part in ("count", "median_s", "p90_s")),
    "within_target",
    "with_target",
]


def to_csv(report_: KpiReport) -> str:
    """The report as CSV (one line per group; empty cells where nothing was measured)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def cell(value: float | int | None) -> str:
        return "" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))

    for row in report_.rows:
        values: list[str] = [report_.group_by, row.group, str(row.incidents)]
        for s in (row.call_to_dispatch, row.dispatch_to_arrival, row.total):
            values += [cell(s.count), cell(s.median_s), cell(s.p90_s)]
        values += [cell(row.within_target), str(row.with_target)]
        writer.writerow(values)
    return out.getvalue()
