"""The staff catalogue API over real HTTP handling: 403 to customers, search, edit, upload an
import with its report, versions, rollback; and product images with placeholders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from tests.helpers import Seeded, add_staff, seed, sign_in

CSV = (
    "sku,name,brand,category,price,ingredients,skin_types,image,stock\n"
    'N-1,Cloud Sunscreen SPF 40,Solis,Sun protect,24.00,"Water, Zinc Oxide",oily,p/n1.png,3\n'
    'N-2,Barrier Cream,Solis,Moisturizer,31.00,"Water, Ceramide NP",dry,,8\n'
    "N-3,Broken,Solis,Moisturizer,thirty,,,,\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """An images folder with one product picture (and a link pointing out of it)."""
    folder = tmp_path / "images"
    (folder / "p").mkdir(parents=True)
    (folder / "p" / "n1.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    os.symlink(tmp_path / "secret.png", folder / "p" / "out.png")
    return folder


def _client(db: Database, tmp_path: Path, images: Path, **catalogue: object) -> TestClient:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'unused.db'}"},  # type: ignore[arg-type]
        catalogue={"images_dir": images, **catalogue},  # type: ignore[arg-type]
    )
    return TestClient(create_app(settings, database=db))


@pytest.fixture
def world(db: Database, tmp_path: Path, images: Path) -> Iterator[tuple[TestClient, Seeded]]:
    """The app over ``db`` with two households, three products and one staff member."""
    seeded = seed(db)
    add_staff(db)
    with _client(db, tmp_path, images) as c:
        yield c, seeded


def _upload(c: TestClient, headers: dict[str, str], body: str, **form: str) -> dict:  # type: ignore[type-arg]
    r = c.post(
        "/api/catalogue/import",
        files={"file": ("new.csv", body.encode(), "text/csv")},
        data=form,
        headers=headers,
    )
    assert r.status_code == 200, r.text
    doc: dict = r.json()  # type: ignore[type-arg]
    return doc


def test_customers_are_refused_every_catalogue_route(world: tuple[TestClient, Seeded]) -> None:
    """An owner gets 403 on each staff route (anonymous 401); staff get through."""
    c, _ = world
    cases = [
        ("GET", "/api/catalogue/products", {}),
        ("GET", "/api/catalogue/products/T-1", {}),
        ("PATCH", "/api/catalogue/products/T-1", {"json": {"stock": 1}}),
        ("POST", "/api/catalogue/import", {"files": {"file": ("a.csv", b"sku\n")}}),
        ("GET", "/api/catalogue/versions", {}),
        ("POST", "/api/catalogue/versions/1/rollback", {}),
    ]
    for method, path, kwargs in cases:
        assert c.request(method, path, **kwargs).status_code == 401, path  # type: ignore[arg-type]
    owner, staff = sign_in(c, "alice@example.org"), sign_in(c, "ops@example.org")
    for method, path, kwargs in cases:
        r = c.request(method, path, headers=owner, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    assert c.get("/api/catalogue/versions", headers=staff).json() == {"data": [], "count": 0}


def test_search_edit_versions_rollback(world: tuple[TestClient, Seeded]) -> None:
    """An edit is a version; bad values are 422 naming the field; rollback restores."""
    c, _ = world
    staff = sign_in(c, "ops@example.org")
    found = c.get("/api/catalogue/products", params={"q": "acme"}, headers=staff).json()
    assert found["count"] == 2 and {p["sku"] for p in found["data"]} == {"T-1", "T-2"}
    r = c.patch("/api/catalogue/products/T-1", json={"price": "21.50", "stock": 4}, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    assert (r.json()["product"]["price_minor"], r.json()["product"]["stock"]) == (2150, 4)
    for body, field in (
        ({"currency": "usd"}, "currency"),
        ({"name": None}, "name"),
        ({"stock": -1}, "stock"),
        ({"colour": "red"}, "colour"),
    ):
        r = c.patch("/api/catalogue/products/T-1", json=body, headers=staff)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text
    assert (
        c.patch("/api/catalogue/products/NOPE", json={"stock": 1}, headers=staff).status_code == 404
    )
    versions = c.get("/api/catalogue/versions", headers=staff).json()["data"]
    assert [(v["kind"], v["source"], v["actor"]) for v in versions] == [
        ("edit", "T-1", "ops@example.org")
    ]
    r = c.post("/api/catalogue/versions/1/rollback", headers=staff)
    assert r.status_code == 200 and r.json()["restored"] == 1
    product = c.get("/api/catalogue/products/T-1", headers=staff).json()
    assert (product["price_minor"], product["stock"]) == (1800, None)
    assert c.post("/api/catalogue/versions/1/rollback", headers=staff).status_code == 409


def test_upload_report_dry_run_refusal_and_skip_invalid(world: tuple[TestClient, Seeded]) -> None:
    """The upload answers with the report; nothing is stored on a dry run or a refusal."""
    c, _ = world
    staff = sign_in(c, "ops@example.org")
    dry = _upload(c, staff, CSV, dry_run="true", skip_invalid="true")
    assert (dry["inserted"], dry["applied"], dry["index_refresh"]) == (2, False, "none")
    refused = _upload(c, staff, CSV)
    assert refused["refused"] is True
    assert refused["issues"][0] | {"message": ""} == {
        "row": 3,
        "field": "price",
        "value": "thirty",
        "problem": "wrong_type",
        "message": "",
    }
    assert (
        c.get("/api/catalogue/products", params={"q": "solis"}, headers=staff).json()["count"] == 0
    )
    done = _upload(c, staff, CSV, skip_invalid="true")
    assert (done["inserted"], done["invalid"], done["applied"]) == (2, 1, True)
    versions = c.get("/api/catalogue/versions", headers=staff).json()["data"]
    assert [(v["id"], v["skipped"]) for v in versions] == [(done["version"], 1)]
    assert done["source"] == "new.csv" and done["index_refresh"] == "background"
    again = _upload(c, staff, CSV, skip_invalid="true")
    assert (again["unchanged"], again["version"]) == (2, None)
    bad_mapping = c.post(
        "/api/catalogue/import",
        files={"file": ("x.csv", CSV.encode()), "mapping": ("m.yaml", b"fields: [1]")},
        headers=staff,
    )
    assert bad_mapping.status_code == 422 and "mapping.fields" in bad_mapping.text


def test_an_upload_over_the_limit_is_413(db: Database, tmp_path: Path, images: Path) -> None:
    """LINGXI_CATALOGUE__MAX_IMPORT_BYTES bounds the upload (counted while it arrives)."""
    seed(db)
    add_staff(db)
    with _client(db, tmp_path, images, max_import_bytes=2048) as c:
        staff = sign_in(c, "ops@example.org")
        r = c.post(
            "/api/catalogue/import",
            files={"file": ("big.csv", CSV.encode() * 20)},
            headers=staff,
        )
        assert r.status_code == 413 and r.json()["error"]["details"]["limit"] == 2048


def test_images_are_local_files_or_placeholders(world: tuple[TestClient, Seeded]) -> None:
    """A file inside the images folder is served with an ETag (304 on a match); a product
    without one, a URL or a link leaving the folder gets the brand-initials SVG."""
    c, _ = world
    staff, owner = sign_in(c, "ops@example.org"), sign_in(c, "alice@example.org")
    _upload(c, staff, CSV, skip_invalid="true")
    r = c.get("/api/products/N-1/image", headers=owner)
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png" and "max-age" in r.headers["cache-control"]
    again = c.get("/api/products/N-1/image", headers={**owner, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    for image in (None, "https://cdn.example/n1.png", "p/out.png", "p/missing.png"):
        c.patch("/api/catalogue/products/N-1", json={"image": image}, headers=staff)
        r = c.get("/api/products/N-1/image", headers=owner)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert ">S</text>" in r.text and 'aria-label="Solis"' in r.text
    etag = r.headers["etag"]
    assert (
        c.get("/api/products/N-1/image", headers={**owner, "If-None-Match": etag}).status_code
        == 304
    )
    assert c.get("/api/products/NOPE/image", headers=owner).status_code == 404
    c.cookies.clear()
    assert c.get("/api/products/N-1/image").status_code == 401


def test_the_guide_answers_from_an_uploaded_catalogue(
    sqlite_db: Database, tmp_path: Path, images: Path
) -> None:
    """After an upload the guide is rebuilt from the refreshed index: a customer's request
    finds the new product."""
    seed(sqlite_db)
    add_staff(sqlite_db)
    with _client(sqlite_db, tmp_path, images) as c:
        staff, owner = sign_in(c, "ops@example.org"), sign_in(c, "alice@example.org")
        before = c.post(
            "/api/guide/recommend", json={"text": "sunscreen for oily skin"}, headers=owner
        )
        assert "Cloud Sunscreen SPF 40" not in before.text
        _upload(c, staff, CSV, skip_invalid="true")
        after = c.post(
            "/api/guide/recommend", json={"text": "sunscreen for oily skin"}, headers=owner
        )
        assert after.status_code == 200, after.text
        assert after.json()["items"][0]["name"] == "Cloud Sunscreen SPF 40"
        assert after.json()["relaxed"] == []
