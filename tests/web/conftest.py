"""Browser fixtures: a real `lingxi serve` on a temporary SQLite database with the demo data, and
Debian's Chromium driven by Playwright. Every page records console errors; a test fails on any.

The server, the `lingxi` commands run beside it and every page run at :data:`PINNED` (time goes on
from there), so a journey sees the same shifts, ETAs and weekdays at any hour of any day.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}
PINNED = datetime(2030, 6, 5, 9, 30, tzinfo=UTC)
"""A Wednesday, 09:30 UTC: inside the demo fleet's shifts, with the day's deliveries ahead."""
PINNED_CLOCK = Path(__file__).with_name("pinned_clock")
"""Holds the ``sitecustomize`` that moves each server-side process's clock to :data:`PINNED`."""
RESTAMP = """
(() => {
  const geo = navigator.geolocation;
  if (!geo) return;
  const stamp = (ok) => (pos) => ok({ coords: pos.coords, timestamp: Date.now() });
  const watch = geo.watchPosition.bind(geo);
  const current = geo.getCurrentPosition.bind(geo);
  geo.watchPosition = (ok, err, opts) => watch(stamp(ok), err, opts);
  geo.getCurrentPosition = (ok, err, opts) => current(stamp(ok), err, opts);
})();
"""

"""Chromium stamps a geolocation fix with the machine's real time: an init script that gives the
page the fix stamped by its own (pinned) clock, as a device whose clock agrees with the
server's would send it."""
_server_offset: list[timedelta] = []
"""The running shared server's clock offset, for the pages :func:`new_page` opens."""
_PAGE_OFFSET_ENV = "PYTEST_WEB_PAGE_CLOCK_OFFSET_S"


def _lingxi() -> str:
    return str(Path(sys.executable).with_name("lingxi"))


@dataclass
class Server:
    """A running `lingxi serve`."""

    url: str
    env: dict[str, str]
    log: Path
    offset: timedelta = timedelta(0)
    """The server's clock minus the real one."""
    hubs: dict[int, Any] = field(default_factory=dict)
    """Simulated MQTT device hubs by household id (empty when no broker is reachable)."""

    def now(self) -> datetime:
        """The server's "now" (:data:`PINNED` when it started, moving on with real time)."""
        return datetime.now(UTC) + self.offset

    def clock(self) -> Any:
        """A context in which this process reads the server's clock, for a test's own writes to
        the server's database (a tracking event stamped in another year would be no news)."""
        import time_machine

        return time_machine.travel(self.now(), tick=True)

    def cli(self, *args: str) -> str:
        """Run a `lingxi` command against the same database; its stdout."""
        done = subprocess.run(
            [_lingxi(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`lingxi serve` on a free port over a migrated SQLite database holding the demo data."""
    tmp = tmp_path_factory.mktemp("web")
    offset = PINNED - datetime.now(UTC)
    env = {
        **os.environ,
        "LINGXI_DB__URL": f"sqlite:///{tmp / 'lingxi.db'}",
        "LINGXI_TEST_CLOCK_OFFSET_S": str(offset.total_seconds()),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(PINNED_CLOCK), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([_lingxi(), *args], env=env, capture_output=True, timeout=300, check=True)
    hubs = _start_hubs(env, offset) if _broker_up() else {}
    _server_offset[:] = [offset]
    # Shared through the environment too: under --import-mode=importlib a test module that
    # imports new_page gets a second copy of this module, whose _server_offset stays empty.
    os.environ[_PAGE_OFFSET_ENV] = str(offset.total_seconds())
    port = free_port()
    log = tmp / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [_lingxi(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"lingxi serve did not start:\n{log.read_text()}")
            time.sleep(0.25)
        yield Server(url=url, env=env, log=log, offset=offset, hubs=hubs)
    finally:
        os.environ.pop(_PAGE_OFFSET_ENV, None)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        for hub in hubs.values():
            hub.close(clear_retained=True)


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


def _start_hubs(env: dict[str, str], offset: timedelta) -> dict[int, Any]:
    """Point the server at the real Mosquitto (topics of its own) and start a simulated device
    hub per demo household that answers commands like real devices (on the server's clock, since
    a command carries its deadline in the server's Unix seconds)."""
    from lingxi.config import MQTTSettings
    from lingxi.data import Database
    from lingxi.data.repos import home as home_repo
    from lingxi.home.devices import DeviceState
    from lingxi.home.drivers.mqtt import SimulatedHub

    tag = uuid.uuid4().hex[:8]
    env["LINGXI_MQTT__URL"] = "mqtt://127.0.0.1:1883"
    env["LINGXI_MQTT__BASE_TOPIC"] = f"lingxiweb_{tag}"
    env["LINGXI_MQTT__DISCOVERY_PREFIX"] = f"haweb_{tag}"
    # A busy 2-core runner (server, browser and simulated hub at once) can take seconds to answer.
    env["LINGXI_MQTT__COMMAND_TIMEOUT_S"] = "10"
    settings = MQTTSettings(
        url=env["LINGXI_MQTT__URL"],
        base_topic=env["LINGXI_MQTT__BASE_TOPIC"],
        discovery_prefix=env["LINGXI_MQTT__DISCOVERY_PREFIX"],
    )
    db = Database.from_url(env["LINGXI_DB__URL"])
    hubs: dict[int, Any] = {}
    try:
        with db.session() as s:
            for household_id in home_repo.list_households_with_entities(s):
                entities = home_repo.list_entities(s, household_id=household_id)
                states = {
                    e: DeviceState(e, r.state, dict(r.attributes))
                    for e, r in home_repo.current_states(s, household_id=household_id).items()
                }
                hubs[household_id] = SimulatedHub(
                    settings=settings,
                    household_id=household_id,
                    entities=entities,
                    states=states,
                    wall_clock=lambda: time.time() + offset.total_seconds(),
                )
    finally:
        db.dispose()
    return hubs


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Console:
    """Console errors and uncaught exceptions seen by a page."""

    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, text: str) -> None:
        """Accept errors containing ``text`` (a test that provokes, say, a 401 on purpose)."""
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        """The errors not allowed."""
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


def new_page(browser: Any, width: str, console: Console, locale: str = "en-GB") -> Any:
    """A page in a fresh context (own cookies) at one of :data:`WIDTHS`, whose clock reads the
    shared server's "now"."""
    w, hgt = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": hgt}, locale=locale)
    offset = os.environ.get(_PAGE_OFFSET_ENV)
    if offset is not None:
        context.clock.install(time=datetime.now(UTC) + timedelta(seconds=float(offset)))
    return watch(context.new_page(), console)


def watch(page: Any, console: Console) -> Any:
    """Record ``page``'s console errors and uncaught exceptions in ``console``."""

    def on_console(message: Any) -> None:
        if message.type == "error":
            console.errors.append(f"console.error: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
    page.set_default_timeout(15_000)
    return page


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    """Each journey runs at 375 px and at 1280 px."""
    value: str = request.param
    return value


@pytest.fixture
def console() -> Console:
    """The console errors of the test's page."""
    return Console()


@pytest.fixture
def page(browser: Any, width: str, console: Console) -> Iterator[Any]:
    """A fresh page; the test fails if the page logged any console error."""
    pg = new_page(browser, width, console)
    yield pg
    pg.context.close()
    assert console.unexpected() == []


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/<name>-<width>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    w = page.viewport_size["width"]
    path = ARTIFACTS / f"{name}-{w}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_app(page: Any, server: Server, *, lang: str = "en") -> None:
    """Load the app with a remembered language and wait until it is ready."""
    page.goto(f"{server.url}/")
    page.evaluate("lang => localStorage.setItem('lingxi.lang', lang)", lang)
    page.reload()
    page.wait_for_selector("html[data-ready='true']")


def demo_sign_in(
    page: Any, server: Server, email: str = "mei@demo.lingxi", *, lang: str = "en"
) -> None:
    """Open the app and press the local-demo button for ``email``."""
    open_app(page, server, lang=lang)
    page.click(f"button[data-demo='{email}']")
    page.wait_for_selector("#mainnav:not([hidden])")
    page.wait_for_selector("#main .view h1")


def keep_document(page: Any) -> None:
    """Mark the page's current document, so :func:`same_document` can tell a reload happened
    (Playwright's installed clock hides the Navigation Timing entries)."""
    page.evaluate("window.__lingxiDocument = true")


def same_document(page: Any) -> bool:
    """Whether the page still shows the document :func:`keep_document` marked (no reload)."""
    return bool(page.evaluate("window.__lingxiDocument === true"))


def has_route(server: Server, pattern: str) -> bool:
    """Whether the server's OpenAPI has an operation path containing ``pattern``."""
    paths = httpx.get(f"{server.url}/openapi.json", timeout=10).json()["paths"]
    return any(pattern in p for p in paths)


def wait_until(page: Any, expression: str, arg: Any = None, timeout_s: float = 15.0) -> Any:
    """Poll a JS expression (or function of ``arg``) until truthy; wait_for_function would need
    'unsafe-eval' under the app's CSP."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)
