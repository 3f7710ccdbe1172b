"""The README's exit codes, for every `lingxi` command: 0 ok, 2 bad input naming the field, 3 a
part down; with ``--json`` exactly one JSON document on stdout, errors included.

Run in-process through :func:`lingxi.cli.main.run` (the console script's own path) on a migrated
SQLite copy, so the table of every command stays a few seconds.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer

from lingxi.cli.main import LAZY, app, load_command, run
from lingxi.config import get_settings

DATA = Path(__file__).resolve().parents[1] / "dispatch" / "data"
BAD_SETTING = {"LINGXI_DB__POOL_SIZE": "-1"}
PRODUCTION = {
    "LINGXI_ENVIRONMENT": "production",
    "LINGXI_AUTH__SECRET_KEY": "a-real-production-secret",
    "LINGXI_AUTH__DEMO_LOGIN": "false",
}

# command -> (arguments of a bad call, the field its error must name, extra environment).
# Arguments "{bad}" stand for a file in the wrong format. Commands without --json (serve, db,
# profile export, home simulate) write the one-line error to stderr instead.
BAD: dict[str, tuple[list[str], str, dict[str, str]]] = {
    "doctor": (["--json"], "LINGXI_DB__POOL_SIZE", BAD_SETTING),
    "serve": (["--port", "99999"], "--port", {}),
    "chat": (["hello", "--user", "nobody@example.org", "--json"], "user", {}),
    "db upgrade": (["no-such-revision"], "revision", {}),
    "db downgrade": (["no-such-revision"], "revision", {}),
    "demo load": (["--json"], "environment", PRODUCTION),
    "demo disable": (["--json"], "LINGXI_DB__POOL_SIZE", BAD_SETTING),
    "user add": (["x@example.org", "--role", "owner", "--json"], "--role", {}),
    "user invite": (["x@example.org", "--role", "adult", "--json"], "household_id", {}),
    "user reset-password": (["nobody@example.org", "--json"], "email", {}),
    "orders import": (["/no/such/orders.csv", "--json"], "file", {}),
    "guide parse": (["", "--json"], "text", {}),
    "guide recommend": (["a cleanser", "--k", "0", "--json"], "--k", {}),
    "guide compare": (["1", "2", "--json"], "catalogue", {}),
    "guide profile show": (["--customer", "9999", "--json"], "customer_id", {}),
    "guide profile export": (["--customer", "9999"], "customer", {}),
    "guide profile delete": (["--customer", "0", "--yes", "--json"], "customer_id", {}),
    "dispatch solve": (["{bad}", "--json"], "FILE", {}),
    "dispatch simulate": (["{bad}", "--json"], "instance", {}),
    "home parse": (["", "--household", "0", "--json"], "--household", {}),
    "home do": (["lights on", "--household", "9999", "--json"], "household_id", {}),
    "home automations cancel": (["9999", "--json"], "id", {}),
    "home train-nlu": (["--repo", "/no/such/checkout", "--json"], "repo", {}),
    "home import": (["/no/such/home.yaml", "--json"], "file", {}),
    "home adopt": (["some-offer", "--household", "0", "--json"], "--household", {}),
    "home state": (["--household", "9999", "--json"], "household_id", {}),
    "home history": (["--limit", "0", "--json"], "--limit", {}),
    "home train-gestures": (["--data", "/no/such/folder", "--json"], "data", {}),
    "home simulate": (["--seconds", "-1"], "--seconds", {}),
    "city import": (["/no/such/city.osm.pbf", "--name", "x", "--json"], "file", {}),
    "city list": (["--json"], "LINGXI_DB__POOL_SIZE", BAD_SETTING),
    "city use": (["nowhere", "--json"], "city", {}),
    "city show": (["nowhere", "--json"], "city", {}),
    "fleet plan": (["not-a-day", "--json"], "day", {}),
    "fleet depot add": (["D", "--lat", "999", "--lon", "0", "--json"], "lat", {}),
    "fleet depot list": (["--city", "nowhere", "--json"], "city", {}),
    "fleet depot remove": (["nothing", "--json"], "depot", {}),
    "fleet vehicle add": (
        ["V", "--capacity", "5", "--depot", "nothing", "--json"],
        "start_depot",
        {},
    ),
    "fleet vehicle list": (["--city", "nowhere", "--json"], "city", {}),
    "fleet vehicle remove": (["nothing", "--json"], "vehicle", {}),
    "fleet area add": (["A", "--polygon", "not json", "--json"], "polygon", {}),
    "fleet area list": (["--city", "nowhere", "--json"], "city", {}),
    "fleet area remove": (["nothing", "--json"], "area", {}),
    "catalogue import": (["/no/such/catalogue.csv", "--json"], "file", {}),
    "catalogue versions": (["--limit", "0", "--json"], "limit", {}),
    "catalogue rollback": (["99999", "--json"], "version", {}),
    "catalogue reindex": (["--json"], "LINGXI_DB__POOL_SIZE", BAD_SETTING),
}

OK: list[list[str]] = [
    ["doctor", "--json"],
    ["guide", "parse", "a cleanser for oily skin under $30", "--json"],
    ["dispatch", "solve", str(DATA / "tiny_solomon.txt"), "--time-limit", "0.1", "--json"],
    ["city", "list", "--json"],
    ["fleet", "depot", "list", "--json"],
    ["catalogue", "versions", "--json"],
]


def _leaves() -> list[str]:
    def walk(cmd: Any, path: list[str]) -> Iterator[str]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    root = typer.main.get_command(app)
    eager = [
        leaf for name, sub in getattr(root, "commands", {}).items() for leaf in walk(sub, [name])
    ]
    lazy = [leaf for name in LAZY for leaf in walk(load_command(name), [name])]
    return sorted({*eager, *lazy})


@pytest.fixture
def lingxi(
    tmp_path: Path,
    _sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """``lingxi(*args, **env) -> (exit code, stdout, stderr)`` on a migrated SQLite copy."""
    shutil.copyfile(_sqlite_template, tmp_path / "cli.db")
    monkeypatch.setenv("LINGXI_DB__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LINGXI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    def call(*args: str, **env: str) -> tuple[int, str, str]:
        with monkeypatch.context() as m:
            for k, v in env.items():
                m.setenv(k, v)
            get_settings.cache_clear()
            code = run(list(args))
        get_settings.cache_clear()
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_the_table_names_every_command() -> None:
    """A new command without a row here fails: every command's bad input is tested."""
    assert _leaves() == sorted(BAD)


@pytest.mark.parametrize("command", sorted(BAD))
def test_bad_input_exits_2_with_one_json_document_naming_the_field(
    command: str, lingxi: Any, tmp_path: Path
) -> None:
    """Each command's bad call: exit 2, stdout is exactly one JSON error naming the field."""
    args, field, env = BAD[command]
    bad = tmp_path / "wrong-format.csv"
    bad.write_text("sku,name\n1,a cleanser\n")
    code, out, err = lingxi(
        *command.split(), *[str(bad) if a == "{bad}" else a for a in args], **env
    )
    assert code == 2, (out, err)
    if "--json" not in args:
        assert out == "" and field in err and "Traceback" not in err
        return
    doc = json.loads(out)  # one document: anything else on stdout would fail to parse
    assert set(doc) == {"error"} and doc["error"]["code"] in {
        "invalid_input",
        "not_found",
        "forbidden",
    }
    assert doc["error"]["details"].get("field") == field, doc
    assert "Traceback" not in err
    if "{bad}" in args:
        assert bad.name in doc["error"]["message"]  # the file is named


@pytest.mark.parametrize("args", OK, ids=lambda a: " ".join(a[:2]))
def test_good_input_exits_0_with_one_json_document(args: list[str], lingxi: Any) -> None:
    code, out, err = lingxi(*args)
    assert code == 0, (out, err)
    json.loads(out)


def test_bad_input_without_json_is_one_line_on_stderr(lingxi: Any) -> None:
    """Without --json the error is one line naming the field and the value, exit 2."""
    code, out, err = lingxi("db", "upgrade", "no-such-revision")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "'revision'" in err and "no-such-revision" in err


class _Server(ThreadingHTTPServer):
    models: dict[str, Any] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        models = self.server.models
        if self.path.endswith("/models") and models is not None:
            body, status = json.dumps(models).encode(), 200
        else:
            body, status = b"<html>not a model server</html>", 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[_Server]:
    """A real HTTP server on a free port; ``.models`` set makes it an OpenAI-style model list."""
    srv = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_doctor_exits_3_with_the_broker_or_the_llm_down(lingxi: Any, http_server: _Server) -> None:
    """An open port that is no model server is down (GET /models), as is a stopped broker;
    a server listing the configured model is up."""
    url = f"http://127.0.0.1:{http_server.server_address[1]}/v1"
    code, out, _ = lingxi("doctor", "--json", LINGXI_LLM__BASE_URL=url)
    assert code == 3 and json.loads(out)["llm"]["status"] == "down"
    http_server.models = {"object": "list", "data": [{"id": "other-model"}]}
    code, out, _ = lingxi("doctor", "--json", LINGXI_LLM__BASE_URL=url)
    assert code == 3 and "does not serve it" in json.loads(out)["llm"]["detail"]
    http_server.models = {"object": "list", "data": [{"id": "qwen3-8b"}]}
    code, out, _ = lingxi("doctor", "--json", LINGXI_LLM__BASE_URL=url)
    assert code == 0 and json.loads(out)["llm"]["status"] == "up"
    code, out, err = lingxi(
        "doctor", LINGXI_LLM__BASE_URL=url, LINGXI_MQTT__URL="mqtt://127.0.0.1:1"
    )
    assert code == 3 and "down" in out and "Traceback" not in err


HUGE = str(2**70)
"""An id no database column holds: before, SQLite's OverflowError came out as exit 1."""


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["home", "state", "--household", HUGE], "household"),
        (["home", "do", "hi", "--member", HUGE], "member"),
        (["home", "automations", "cancel", HUGE], "automation_id"),
        (["guide", "recommend", "a cleanser", "--customer", HUGE], "customer"),
        (["catalogue", "rollback", HUGE], "version"),
    ],
    ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else a,
)
def test_an_id_too_large_for_the_database_is_bad_input(
    args: list[str], field: str, lingxi: Any
) -> None:
    code, out, err = lingxi(*args, "--json")
    assert code == 2, (out, err)
    error = json.loads(out)["error"]
    assert error["code"] == "invalid_input" and field in error["details"]["field"], error
