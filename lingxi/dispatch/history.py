"""The history of plans: every saved plan of a day leaves its totals, so the operators' cost and
on-time charts come from the server, not from what one browser happened to see.

A stop is on time when its planned arrival is no later than :data:`LATE_AFTER_S` after the ETA
first promised for its shipment (the first plan that served it); the promise is kept once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from lingxi.data import Database, utcnow
from lingxi.data.repos import fleet as fleet_repo, ops as ops_repo, orders as orders_repo

__all__ = ["LATE_AFTER_S", "lateness", "record_plan"]

LATE_AFTER_S = 15 * 60
"""A stop planned more than this after its promised ETA is late."""

T = TypeVar("T")


def lateness(eta: datetime | None, promised: datetime | None) -> float:
    """Seconds past the promise (0 when on time, unknown or early)."""
    if eta is None or promised is None:
        return 0.0
    return max(0.0, (eta - promised).total_seconds())


def record_plan(
    db: Database,
    result: T,
    *,
    day: date,
    kind: str,
    reasons: list[dict[str, object]],
    at: datetime | None = None,
) -> T:
    """Store the day's totals after a plan (``kind`` ``plan``) or a re-plan (``traffic``); returns
    ``result`` unchanged, so a planner can ``return record_plan(db, plan, ...)``.

    The totals are those of every live route of ``day`` (a re-plan saves only the routes it
    changed), the unassigned count that of the open shipments no live route of the day serves.
    ``reasons`` says why the plan left shipments out; a re-plan keeps the last plan's reasons.
    """
    with db.session() as s:
        routes = fleet_repo.current_routes(s, plan_date=day)
        etas = {
            st.shipment_id: st.planned_arrival
            for r in routes
            for st in r.stops
            if st.shipment_id is not None and st.planned_arrival is not None
        }
        ops_repo.promise_etas(s, etas)
        promised = ops_repo.promises(s, etas)
        on_time = sum(
            1 for sid, eta in etas.items() if lateness(eta, promised.get(sid)) <= LATE_AFTER_S
        )
        open_ids = {sh.id for sh in orders_repo.list_open_shipments(s)}
        left = open_ids - set(etas)
        if kind != "plan":
            known = ops_repo.latest_reasons(s, day=day)
            reasons = [
                {"shipment_id": sid, "reason": known[sid]} for sid in sorted(left & set(known))
            ]
        ops_repo.add_plan_record(
            s,
            ops_repo.PlanRecordSpec(
                day=day,
                at=at or utcnow(),
                kind=kind,
                routes=sum(1 for r in routes if r.stops),
                stops=len(etas),
                duration_s=sum(r.duration_s for r in routes),
                distance_m=sum(r.distance_m for r in routes),
                on_time=on_time / len(etas) if etas else 1.0,
                unassigned=len(left),
                reasons=[r for r in reasons if int(str(r["shipment_id"])) in left],
            ),
        )
    return result
