"""`/api/home/automations`: commands for later ("turn off the bedroom light at nine thirty pm").

``POST /api/home/command`` stores them (after the yes a risky one needs); these routes list
the household's automations still to run and cancel one before it runs. ``lingxi serve``'s
scheduler carries each out once when it is due.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path as PathParam, Request

from lingxi.api.deps import CurrentMember
from lingxi.api.routes._home_models import AutomationPublic, AutomationsPublic
from lingxi.api.services import home_controller
from lingxi.home import automations

__all__ = ["router"]

router = APIRouter(prefix="/api/home", tags=["home"])


@router.get("/automations")
def list_automations(request: Request, member: CurrentMember) -> AutomationsPublic:
    """The household's automations still to run, soonest first."""
    records = automations.list_for(home_controller(request.app.state), member.household_id)
    return AutomationsPublic(
        data=[AutomationPublic.model_validate(r.to_dict()) for r in records], count=len(records)
    )


@router.delete("/automations/{automation_id}")
def cancel_automation(
    automation_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    member: CurrentMember,
) -> AutomationPublic:
    """Cancel one before it runs: 404 if the household has none with this id, 409
    ``automation_finished`` if it already ran or was cancelled."""
    record = automations.cancel(home_controller(request.app.state), automation_id, member)
    return AutomationPublic.model_validate(record.to_dict())
