"""`/api/web`: small page-only endpoints the web app needs and no engine owns."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lingxi import commerce
from lingxi.api.deps import SESSION_COOKIE, CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.schemas_web import (
    MemberPublic,
    OpsBoardPublic,
    ProductFactPublic,
    ProductFactsPublic,
    SessionPublic,
)
from lingxi.api.services import CityMapDep, ClockDep, FleetOperator
from lingxi.data.repos import catalog
from lingxi.errors import UnauthorizedError
from lingxi.guide.product_page import reviews_for

__all__ = ["router"]

router = APIRouter(prefix="/api/web", tags=["web"])

_bearer = HTTPBearer(auto_error=False)


GEOJSON = "application/geo+json"


@router.get("/session")
def session_state(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SessionPublic:
    """Who is signed in, or ``{"signed_in": false}``: 200 either way, so a page load logs no 401."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        return SessionPublic(signed_in=False, member=None)
    try:
        member = commerce.member_for_token(db, token)
    except UnauthorizedError:
        return SessionPublic(signed_in=False, member=None)
    return SessionPublic(
        signed_in=True,
        member=MemberPublic(
            customer_id=member.customer_id,
            household_id=member.household_id,
            display_name=member.display_name,
            email=member.email,
            role=member.role,
            locale=member.locale,
        ),
    )


@router.get(
    "/city.geojson",
    response_class=Response,  # no media type of its own: the errors stay application/json
    responses={
        200: {
            # The FeatureCollection model is the route.geojson answer's (components/schemas).
            "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/FeatureCollection"}}},
            "description": "The roads, one MultiLineString per OSM way.",
        }
    },
)
def city_geojson(request: Request, member: CurrentMember, city: CityMapDep) -> Response:
    """The active city's drivable roads (the dispatch engine's own network) for the web maps.

    Revalidated on each use (ETag): another city made active shows at once.
    """
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding", "ETag": city.etag}
    if request.headers.get("if-none-match") == city.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(city.gzipped, media_type=GEOJSON, headers=headers)
    return Response(city.raw, media_type=GEOJSON, headers=headers)


@router.get("/products")
def product_facts(
    member: CurrentMember,
    db: DatabaseDep,
    ids: Annotated[str, Query(max_length=400, pattern=r"^\d{1,10}(,\d{1,10}){0,29}$")],
) -> ProductFactsPublic:
    """Catalogue facts the product cards show (rating, review count, ingredients, image) for up
    to 30 ids ("1,2,3")."""
    wanted = [int(i) for i in ids.split(",")]
    with db.session() as session:
        views = catalog.get_products(session, product_ids=wanted)
    data = []
    for p in views:
        counted = reviews_for(p.brand, p.name)
        data.append(
            ProductFactPublic(
                id=p.id,
                rating=p.rating,
                category=p.category,
                ingredients=list(p.ingredients[:12]),
                image_src=f"/api/products/{quote(p.sku, safe='')}/image",
                review_count=counted.count if counted else None,
            )
        )
    return ProductFactsPublic(data=data, count=len(data))


@router.get("/ops", response_model=OpsBoardPublic, deprecated=True)
def operations(
    staff: FleetOperator,
    db: DatabaseDep,
    clock: ClockDep,
    settings: SettingsDep,
    day: Annotated[date | None, Query(description="Plan day (default: today, UTC)")] = None,
) -> dict[str, Any]:
    """The operations board: the day's live routes with their lines and stops, the open
    shipments no route serves, the depot and the vehicles. Every household's parcels: staff
    only, like the dispatch engine's planning routes. The same document as
    ``GET /api/ops/board``, the operator console's (kept for existing scripts)."""
    from lingxi.dispatch import active_city, operations_board

    now = clock()
    return operations_board(db, day or now.date(), now=now, city=active_city(settings))
