"""A feature whose extra is missing answers with one line naming the extra; never a traceback.

Each check runs a real `lingxi` process with the extra's modules made unimportable by
tests/without_extras/sitecustomize.py (as on an install without that extra), not a mock.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lingxi.data import Database, upgrade
from tests.helpers import PASSWORD, free_port, seed

BLOCKER = Path(__file__).parent / "without_extras"
VOICE = "faster_whisper,pocketsphinx,opencc,pypinyin"
VISION = "mediapipe,cv2"
SCALE = "ray"


def _env(blocked: str, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(BLOCKER), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "LINGXI_TEST_BLOCK_MODULES": blocked,
        "LINGXI_ENVIRONMENT": "test",
        **extra,
    }


def _silence_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 8000)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`lingxi serve` on a seeded SQLite file, without the voice and vision extras."""
    tmp = tmp_path_factory.mktemp("no-extras")
    url = f"sqlite:///{tmp / 'lingxi.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    seed(db)
    db.dispose()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lingxi.cli", "serve", "--port", str(port)],
        env=_env(f"{VOICE},{VISION}", LINGXI_DB__URL=url, LINGXI_DATA_DIR=str(tmp)),
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        err = proc.stderr.read().decode() if proc.stderr else ""
        assert "Traceback" not in err, err


@pytest.mark.integration
def test_health_lists_the_missing_extras(server: str) -> None:
    """/api/health says voice and vision are not installed (and how to install them)."""
    features = httpx.get(f"{server}/api/health").json()["features"]
    assert features["voice"]["available"] is False
    assert features["vision"]["available"] is False
    assert features["voice"]["install"] == "pip install 'lingxi[voice]'"
    assert set(features) == {"voice", "vision", "scale"}


@pytest.mark.integration
def test_routes_of_a_missing_extra_answer_503_naming_it(server: str) -> None:
    """Speech and camera frames get 503 JSON with one line naming the extra, not a 500."""
    login = {"email": "alice@example.org", "password": PASSWORD}
    token = httpx.post(f"{server}/api/auth/login", json=login).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for path, body, extra in (
        ("/api/home/audio", _silence_wav(), "voice"),
        ("/api/home/gesture/frame", b"\xff\xd8 a frame", "vision"),
    ):
        r = httpx.post(f"{server}{path}", content=body, headers=auth)
        assert r.status_code == 503, (path, r.text)
        error = r.json()["error"]
        assert error["code"] == "extra_not_installed"
        assert error["details"]["extra"] == extra
        assert f"pip install 'lingxi[{extra}]'" in error["message"]
        assert f"make install EXTRAS={extra}" in error["message"]
        assert "\n" not in error["message"]


@pytest.mark.integration
def test_web_app_hides_the_microphone(server: str) -> None:
    """The page lists the server's features; without [voice] the chat view hides the mic."""
    page = httpx.get(f"{server}/").text
    head = page[: page.index("</head>")]
    assert '<meta name="lingxi-features" content="' in head
    offered = head.split('name="lingxi-features" content="')[1].split('"')[0].split()
    assert "voice" not in offered and "vision" not in offered
    chat = (Path(__file__).parents[1] / "lingxi/web/static/js/views/chat.js").read_text()
    assert 'meta[name="lingxi-features"]' in chat and "micBtn.hidden" in chat


def test_cli_without_scale_exits_3_with_one_line(tmp_path: Path) -> None:
    """`lingxi serve --ray` without [scale]: exit 3, one line naming the extra, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "lingxi.cli", "serve", "--ray"],
        env=_env(
            SCALE,
            LINGXI_DB__URL=f"sqlite:///{tmp_path / 'x.db'}",
            LINGXI_RAY__ADDRESS="127.0.0.1:6379",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "pip install 'lingxi[scale]'" in lines[0] and "make install EXTRAS=scale" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
