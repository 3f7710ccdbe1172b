"""An operator's first day on a fresh deployment, in Chromium, on SQLite and on PostgreSQL.

As staff (1280 px): import the Sephora subset catalogue with its mapping in the Catalogue view,
make West Oakland (imported with ``lingxi city import``, as the README says) the active city,
add a depot and two vans in the Fleet view, import 30 orders by CSV (``lingxi orders import``)
and plan the day in the Operations view. As a courier (375 px): start the round, share the
position and deliver two stops. As a customer (375 px, signed in with a reset link): watch the
parcel's ETA move with the courier, without a reload.

The clock is pinned on both sides, so the day and the shifts are valid at any real hour: the
server's routes read :data:`PINNED` (moving on with real time) through ``get_clock``, and each
browser context installs Playwright's clock at the server's "now". Chromium stamps a
geolocation fix with the machine's real time; the courier's page gets the same fix stamped by
its (pinned) clock, as a device whose clock agrees with the server's would send it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from lingxi.data import Database
from lingxi.data.models import Address, Customer, Order, Shipment
from tests.conftest import PG_ADMIN_URL, SHARED_DATA
from tests.helpers import free_port
from tests.web.conftest import RESTAMP, Console, _lingxi, shot, wait_until, watch

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = SHARED_DATA / "guide" / "sephora_product_info_skincare_subset.csv"
MAPPING = REPO / "examples" / "catalogues" / "sephora_product_info_skincare_subset.mapping.yaml"
OAKLAND = SHARED_DATA / "osm" / "West-Oakland.osm.bz2"
PINNED = datetime(2030, 6, 4, 8, 30, tzinfo=UTC)
"""A Tuesday, 08:30 UTC: inside the Fleet view's default shifts (08:00-18:00)."""
DEPOT = (37.8075, -122.2995)
STAFF = ("desk@oakland.example", "oakland-desk-pass-1")
PASSWORD = "parcel-tracking-pass"


@dataclass
class Desk:
    """A fresh deployment: ``lingxi``'s app served by uvicorn on a free port, its clock pinned."""

    url: str
    env: dict[str, str]
    db_url: str
    data_dir: Path
    now: Callable[[], datetime]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run a ``lingxi`` command as the README shows (same database and data folder)."""
        done = subprocess.run(
            [_lingxi(), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"lingxi {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout


def _fresh_postgres() -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL database (like tests/conftest.py's ``pg_url``) and its dropper."""
    name = f"lingxi_day_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


# `lingxi serve` with one difference: the routes' clock (``get_clock``) starts at argv[1].
SERVE = """
import sys
from datetime import UTC, datetime

import uvicorn

from lingxi.api import create_app
from lingxi.api.serve import uvicorn_options
from lingxi.api.services import check_ready_to_serve, get_clock
from lingxi.config import get_settings

pinned, started = datetime.fromisoformat(sys.argv[1]), datetime.now(UTC)
settings = get_settings()
app = create_app(settings)
app.dependency_overrides[get_clock] = lambda: lambda: pinned + (datetime.now(UTC) - started)
check_ready_to_serve(settings, app.state.db)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            timeout_graceful_shutdown=5, **uvicorn_options(settings))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """An empty, migrated deployment (``lingxi db upgrade``) served on a free port."""
    for needed in (CATALOGUE, OAKLAND):
        if not needed.is_file():
            pytest.skip(f"{needed} is not here (../shared/data)")
    drop: Callable[[], None] = lambda: None  # noqa: E731
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'lingxi.db'}"
    else:
        db_url, drop = _fresh_postgres()
    data_dir = tmp_path / "data"
    env = {**os.environ, "LINGXI_DB__URL": db_url, "LINGXI_DATA_DIR": str(data_dir)}
    env.pop("LINGXI_DISPATCH__CITY", None)
    started = datetime.now(UTC)

    def now() -> datetime:
        return PINNED + (datetime.now(UTC) - started)

    port = free_port()
    desk = Desk(f"http://127.0.0.1:{port}", env, db_url, data_dir, now)
    log = tmp_path / "serve.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        desk.cli("db", "upgrade")
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", SERVE, now().isoformat(), str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{desk.url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield desk
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop()


def _context(browser: Any, desk: Desk, width: int, **extra: Any) -> Any:
    """A browser context at ``width`` px whose clock starts at the server's "now"."""
    context = browser.new_context(
        viewport={"width": width, "height": 900 if width > 400 else 812}, locale="en-GB", **extra
    )
    context.clock.install(time=desk.now())
    return context


def _sign_in(page: Any, desk: Desk, email: str, password: str) -> None:
    """Open the app in English and sign in with the e-mail and password form."""
    page.goto(f"{desk.url}/#/signin")
    page.evaluate("localStorage.setItem('lingxi.lang', 'en')")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    page.fill("#signin-email", email)
    page.fill("#signin-password", password)
    page.click("form.signin-form button[type=submit]")
    page.wait_for_selector("#mainnav:not([hidden])")


def _orders_csv(path: Path, data_dir: Path, count: int = 30) -> list[tuple[float, float]]:
    """``count`` orders (one customer each) at road nodes of the imported West Oakland."""
    from lingxi.dispatch.roadnet import RoadNetwork

    net = RoadNetwork.load(data_dir / "cities" / "west-oakland.npz")
    nodes = sorted(zip(net.lat.tolist(), net.lon.tolist(), strict=True))
    step = len(nodes) / count
    points = [nodes[int(i * step)] for i in range(count)]
    skus = ["P311143", "P384537", "P388200"]
    with path.open("w", newline="") as out:
        w = csv.writer(out)
        w.writerow(
            ["external_id", "customer_email", "customer_name", "line1", "city", "postcode"]
            + ["country", "lat", "lon", "items", "window_start", "window_end"]
        )
        day = PINNED.date().isoformat()
        for i, (lat, lon) in enumerate(points, start=1):
            w.writerow(
                [f"WO-{i:03d}", f"customer{i}@oakland.example", f"Customer {i}"]
                + [f"{1000 + 10 * i} Adeline St", "Oakland", "94607", "US"]
                + [f"{lat:.6f}", f"{lon:.6f}", f"{skus[i % 3]}:1"]
                + [f"{day}T08:00:00Z", f"{day}T18:00:00Z"]
            )
    return points


SENT = "n => Number(document.querySelector('[data-testid=position-status]').dataset.sent) >= n"
PLANNED = "document.querySelector('#toast').textContent.includes('The day was planned.')"


def test_an_operators_first_day(browser: Any, desk: Desk, tmp_path: Path) -> None:
    """Staff set up catalogue, city, fleet and orders and plan the day; a courier at 375 px
    delivers two stops sharing the position; the customer's ETA follows the courier."""
    name = "sqlite" if desk.db_url.startswith("sqlite") else "postgresql"
    console = Console()
    desk.cli("user", "add", STAFF[0], "--role", "staff", "--password-stdin", stdin=STAFF[1])
    desk.cli("city", "import", str(OAKLAND), "--name", "west-oakland", "--use")

    # -- staff, 1280 px ------------------------------------------------------------------------
    staff_ctx = _context(browser, desk, 1280)
    staff = watch(staff_ctx.new_page(), console)
    _sign_in(staff, desk, *STAFF)

    staff.click("#mainnav a[data-view=catalogue]")
    staff.wait_for_selector("#catalogue-file")
    staff.set_input_files("#catalogue-file", str(CATALOGUE))
    staff.set_input_files("#catalogue-mapping", str(MAPPING))
    staff.click("form.catalogue-import button[type=submit]")
    staff.wait_for_selector("[data-testid=import-message]", timeout=60_000)
    counts = staff.inner_text("[data-testid=import-report] .report-counts")
    assert counts.startswith("257 rows: 257 new"), counts
    staff.wait_for_selector("[data-testid=catalogue-versions] tr[data-version='1']")
    staff.wait_for_selector("[data-testid=catalogue-results] p:text-is('257 products')")
    shot(staff, f"day-{name}-catalogue")

    staff.click("#mainnav a[data-view=fleet]")
    staff.wait_for_selector("#fleet-city")
    hint = staff.inner_text("[data-testid=import-hint]")
    assert "`" not in hint and "lingxi city import" in staff.inner_text(
        "[data-testid=import-hint] code"
    )
    wait_until(
        staff,
        "document.querySelector('[data-testid=active-city]').textContent.includes('west-oakland')",
    )
    staff.fill("#depot-form #name", "Adeline depot")
    staff.fill("#depot-form #lat", str(DEPOT[0]))
    staff.fill("#depot-form #lon", str(DEPOT[1]))
    staff.click("#depot-form button[type=submit]")
    staff.wait_for_selector("[data-testid=depots] td:text-is('Adeline depot')")
    for van in ("van-a", "van-b"):
        staff.fill("#vehicle-form #vname", van)
        staff.fill("#vehicle-form #capacity", "20")
        staff.select_option("#vehicle-form #start_depot", "Adeline depot")
        staff.click("#vehicle-form button[type=submit]")
        staff.wait_for_selector(f"[data-testid=vehicles] td:text-is('{van}')")
    staff.wait_for_selector("[data-testid=fleet-map] .road path")
    assert staff.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(staff, f"day-{name}-fleet")

    _orders_csv(tmp_path / "orders.csv", desk.data_dir)
    out = desk.cli("orders", "import", str(tmp_path / "orders.csv"), "--create-customers")
    assert "created 30 order(s)" in out, out

    staff.click("#mainnav a[data-view=ops]")
    staff.wait_for_selector("[data-testid=plan-day]")
    assert staff.inner_text("[data-testid=plan-day]") == "Plan the day"  # nothing planned yet
    staff.click("[data-testid=plan-day]")
    wait_until(staff, PLANNED, timeout_s=60)
    staff.wait_for_selector("[data-testid=routes] tbody tr")
    assert staff.inner_text("[data-testid=plan-day]") == "Plan the day again"
    assert staff.locator("[data-testid=routes] tbody tr").count() == 2
    assert staff.locator("[data-testid=unassigned] li").count() == 0
    shot(staff, f"day-{name}-ops")

    # -- a courier (375 px) and a customer (375 px) ---------------------------------------------
    board = staff.evaluate(f"fetch('/api/ops/board?day={PINNED.date()}').then(r => r.json())")
    route = max(board["routes"], key=lambda r: len(r["stops"]))
    stops = route["stops"]
    assert sum(len(r["stops"]) for r in board["routes"]) == 30 and len(stops) >= 4
    van = route["vehicle"]
    doc = desk.cli("user", "add", f"{van}@oakland.example", "--role", "courier", "--vehicle", van)
    password = re.search(r"password \(shown once\): (\S+)", doc)
    assert password, doc
    followed = stops[3]["shipment_id"]
    db = Database.from_url(desk.db_url)
    try:
        with db.session() as s:
            email, order_id = s.execute(
                select(Customer.email, Order.id)
                .join(Order, Order.customer_id == Customer.id)
                .join(Shipment, Shipment.order_id == Order.id)
                .where(Shipment.id == followed)
            ).one()
            second = s.execute(
                select(Address.lat, Address.lon)
                .join(Order, Order.address_id == Address.id)
                .join(Shipment, Shipment.order_id == Order.id)
                .where(Shipment.id == stops[1]["shipment_id"])
            ).one()
    finally:
        db.dispose()
    staff_ctx.close()

    reset = json.loads(desk.cli("user", "reset-password", email, "--json"))
    customer_ctx = _context(browser, desk, 375)
    customer = watch(customer_ctx.new_page(), console)
    customer.goto(f"{desk.url}/#/reset/{reset['token']}")
    customer.fill("#access-password", PASSWORD)
    customer.click("form.signin-form button[type=submit]")
    customer.wait_for_selector("[data-testid=access-status].form-ok")
    _sign_in(customer, desk, email, PASSWORD)
    customer.goto(f"{desk.url}/#/orders")
    customer.click(f"li.order[data-order-id='{order_id}'] h2 a")
    customer.wait_for_selector("[data-testid=eta]")

    courier_ctx = _context(
        browser,
        desk,
        375,
        geolocation={"latitude": DEPOT[0], "longitude": DEPOT[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    courier_ctx.add_init_script(RESTAMP)
    courier = watch(courier_ctx.new_page(), console)
    _sign_in(courier, desk, f"{van}@oakland.example", password.group(1))
    courier.wait_for_selector("[data-testid=courier-stops] li.stop")
    assert courier.evaluate("location.hash") == "#/courier"
    shown = courier.eval_on_selector_all(
        "li.stop", "els => els.map(e => Number(e.dataset.shipmentId))"
    )
    assert shown == [st["shipment_id"] for st in stops]
    assert courier.evaluate("document.documentElement.scrollWidth") <= 375
    shot(courier, f"day-{name}-courier-stops")

    courier.click("button[data-act=start]")
    courier.wait_for_selector("li.stop[data-status=out_for_delivery]")
    customer.wait_for_selector("[data-testid=delivery-map]", timeout=20_000)
    before = customer.inner_text("[data-testid=eta]")
    customer.evaluate("window.sameDocument = true")  # gone after a reload
    courier.click("button[data-act=share]")
    try:
        wait_until(courier, SENT, 1)
    except AssertionError:
        raise AssertionError(courier.inner_text("[data-testid=position-status]")) from None
    for st in stops[:2]:
        sid = st["shipment_id"]
        courier.click(f"li.stop[data-shipment-id='{sid}'] button[data-act=delivered]")
        courier.wait_for_selector(f"li.stop[data-shipment-id='{sid}'][data-status=delivered]")
    courier_ctx.set_geolocation({"latitude": second[0], "longitude": second[1], "accuracy": 8})
    wait_until(
        courier,
        "Number(document.querySelector('[data-testid=position-status]').dataset.sent) >= 2",
        timeout_s=30,
    )
    shot(courier, f"day-{name}-courier-delivered")
    wait_until(
        customer,
        "b => document.querySelector('[data-testid=eta]').textContent !== b",
        before,
        timeout_s=20,
    )
    assert customer.evaluate("window.sameDocument === true")
    shot(customer, f"day-{name}-customer-eta")
    customer_ctx.close()
    courier_ctx.close()
    assert console.unexpected() == []
