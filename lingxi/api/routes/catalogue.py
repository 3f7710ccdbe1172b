"""`/api/catalogue` (staff only): search and edit products, import a file with its report, list
versions, roll one back; and `/api/products/{sku}/image` for every signed-in member.

Every catalogue route is refused (403) to customers in every environment
(``policy.Act.CATALOGUE``). An import or a rollback answers at once; the products it added or
changed are embedded afterwards in the background, and the guide is rebuilt from the cached
vectors when that is done.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Header, Path, Query, UploadFile
from fastapi.responses import FileResponse, Response

from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.schemas_catalogue import (
    CatalogueProductPublic,
    CatalogueProductsPublic,
    ImportReportPublic,
    ProductEditBody,
    ProductEditPublic,
    RollbackPublic,
    VersionPublic,
    VersionsPublic,
)
from lingxi.api.services import Services, get_services
from lingxi.commerce import Member
from lingxi.data import Database
from lingxi.data.repos.catalog import ProductView
from lingxi.errors import InvalidInputError
from lingxi.guide import catalogue_admin as admin
from lingxi.guide.images import placeholder_svg, resolve_image
from lingxi.guide.importer import CatalogueMapping
from lingxi.policy import Act, check

__all__ = ["products_router", "router"]

router = APIRouter(prefix="/api/catalogue", tags=["catalogue"])
products_router = APIRouter(prefix="/api/products", tags=["products"])

_MAX_MAPPING_BYTES = 64_000
SkuPath = Annotated[str, Path(min_length=1, max_length=64, description="The product's SKU.")]


def catalogue_operator(member: CurrentMember) -> Member:
    """The signed-in member, when the policy lets their role manage the catalogue (staff)."""
    check(Act.CATALOGUE, member.role)
    return member


CatalogueOperator = Annotated[Member, Depends(catalogue_operator)]
ServicesDep = Annotated[Services, Depends(get_services)]


def _public(v: ProductView) -> dict[str, Any]:
    from lingxi.guide.importer import minor_exponent

    return {
        "id": v.id,
        "sku": v.sku,
        "name": v.name,
        "brand": v.brand,
        "category": v.category,
        "price_minor": v.price_minor,
        "price": v.price_minor / 10 ** minor_exponent(v.currency),
        "currency": v.currency,
        "rating": v.rating,
        "skin_types": list(v.skin_types),
        "ingredients_raw": v.ingredients_raw,
        "image": v.image,
        "image_src": f"/api/products/{quote(v.sku, safe='')}/image",
        "stock": v.stock,
    }


def _refresh(db: Database, services: Services) -> None:
    """Embed what the change left without a vector, then build the guide anew and swap it in
    (shoppers keep the old guide meanwhile)."""
    admin.refresh_index(db)
    services.guide.rebuild()


@router.get("/products", response_model=CatalogueProductsPublic)
def search(
    staff: CatalogueOperator,
    db: DatabaseDep,
    q: Annotated[str, Query(max_length=200, description="Text in the SKU, brand or name.")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Products whose SKU, brand or name contains ``q``, by id."""
    rows, total = admin.search_products(db, q, limit=limit, offset=offset)
    return {"data": [_public(v) for v in rows], "count": total}


@router.get("/products/{sku}", response_model=CatalogueProductPublic)
def product(sku: SkuPath, staff: CatalogueOperator, db: DatabaseDep) -> dict[str, Any]:
    """One product by SKU."""
    return _public(admin.get_product(db, sku))


@router.patch("/products/{sku}", response_model=ProductEditPublic)
def edit(
    sku: SkuPath,
    body: ProductEditBody,
    staff: CatalogueOperator,
    db: DatabaseDep,
    services: ServicesDep,
    background: BackgroundTasks,
) -> dict[str, Any]:
    """Change some fields of a product; the change is a catalogue version (it can be rolled
    back). Fields left out stay as they are."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "price" in changes and changes["price"] is not None:
        changes["price"] = str(changes["price"])
    for required in ("name", "brand", "category", "price", "currency"):
        if required in changes and changes[required] is None:
            raise InvalidInputError.for_field(required, "a value (it cannot be cleared)", None)
    result = admin.edit_product(db, sku, changes, actor=staff.email, embed=False)
    if result.version is not None:
        background.add_task(_refresh, db, services)
    return {"product": _public(result.product), "version": result.version}


@router.post("/import", response_model=ImportReportPublic)
def import_file(
    staff: CatalogueOperator,
    db: DatabaseDep,
    services: ServicesDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="CSV, JSON (array) or JSON Lines.")],
    mapping: Annotated[
        UploadFile | None, File(description="A YAML/JSON column mapping (optional).")
    ] = None,
    dry_run: Annotated[bool, Form(description="Check and count; store nothing.")] = False,
    skip_invalid: Annotated[bool, Form(description="Store the good rows anyway.")] = False,
) -> dict[str, Any]:
    """Validate an uploaded catalogue row by row and upsert its products by SKU.

    The answer is the validation report (row, field, value and problem of each issue). With
    invalid rows nothing is stored unless ``skip_invalid``; a second upload of the same file
    changes nothing and says so. The body is bounded by ``LINGXI_CATALOGUE__MAX_IMPORT_BYTES``.
    """
    columns = None
    if mapping is not None:
        raw = mapping.file.read(_MAX_MAPPING_BYTES + 1)
        if len(raw) > _MAX_MAPPING_BYTES:
            raise InvalidInputError.for_field(
                "mapping", f"a file of at most {_MAX_MAPPING_BYTES} bytes", mapping.filename
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError.for_field(
                "mapping", "UTF-8 YAML or JSON", mapping.filename
            ) from None
        columns = CatalogueMapping.from_text(text)
    name = PurePath((file.filename or "upload").replace("\\", "/")).name[:200] or "upload"
    params = admin.ImportParams(
        dry_run=dry_run, skip_invalid=skip_invalid, embed=False, actor=staff.email
    )
    report = admin.import_catalogue(db, file.file, mapping=columns, params=params, name=name)
    doc = report.to_dict()
    doc["refused"] = report.refused
    doc["index_refresh"] = "background" if report.applied else "none"
    if report.applied:
        background.add_task(_refresh, db, services)
    return doc


@router.get("/versions", response_model=VersionsPublic)
def versions(
    staff: CatalogueOperator,
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Catalogue versions (imports and edits), newest first."""
    rows = admin.list_versions(db, limit=limit)
    return {
        "data": [VersionPublic.model_validate(v, from_attributes=True) for v in rows],
        "count": len(rows),
    }


@router.post("/versions/{version}/rollback", response_model=RollbackPublic)
def rollback(
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    staff: CatalogueOperator,
    db: DatabaseDep,
    services: ServicesDep,
    background: BackgroundTasks,
) -> dict[str, Any]:
    """Put the catalogue back as it was before ``version`` (later versions are undone too)."""
    report = admin.rollback_version(db, version, embed=False)
    background.add_task(_refresh, db, services)
    return report.to_dict()


class _SVG(Response):
    media_type = "image/svg+xml"


@products_router.get(
    "/{sku}/image",
    response_class=Response,  # the errors stay application/json
    responses={
        200: {
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            },
            "description": "The product's image file, or a placeholder with the brand's initials.",
        },
        304: {"description": "Not modified (If-None-Match)."},
    },
)
def product_image(
    sku: SkuPath,
    member: CurrentMember,
    db: DatabaseDep,
    settings: SettingsDep,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """The product's image from the images folder; a generated SVG placeholder when it has
    none, or only a URL (never fetched: the app stays offline)."""
    view = admin.get_product(db, sku)
    local = resolve_image(settings.catalogue.images_dir, view.image)
    cache = {"Cache-Control": "private, max-age=3600"}
    if local is not None:
        if if_none_match == local.etag:
            return Response(status_code=304, headers={**cache, "ETag": local.etag})
        return FileResponse(
            local.path, media_type=local.media_type, headers={**cache, "ETag": local.etag}
        )
    svg, etag = placeholder_svg(view.brand)
    headers = {"Cache-Control": "private, max-age=86400", "ETag": etag}
    if if_none_match == etag:
        return Response(status_code=304, headers=headers)
    return _SVG(svg, headers=headers)
