"""Home Assistant's templates compiled once and kept on disk (lingxi.home.intents.keep_compiled).

A kept file must give exactly what building the templates gives, be found again by a new
process, be built again when the templates' data or hassil's code changes, and never hold the
home's names.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from lingxi.data import Database, upgrade
from lingxi.home import _compiled, intents
from lingxi.home._frames import _FAMILIES, HOME_INTENTS
from lingxi.home.intents import Vocabulary, keep_compiled, recognize
from tests.home.conftest import load_home

VOCAB = Vocabulary(
    names=(
        ("Kitchen Light", "Kitchen Light", "light"),
        ("厨房灯", "Kitchen Light", "light"),
        ("Bedroom Fan", "Bedroom Fan", "fan"),
        ("Living Room Speaker", "Living Room Speaker", "media_player"),
    ),
    areas=(("Kitchen", "Kitchen"), ("厨房", "Kitchen"), ("Bedroom", "Bedroom")),
)
SENTENCES = [
    ("turn on the kitchen light", "en"),
    ("set the kitchen light to 50%", "en"),
    ("turn off the lights in the bedroom", "en"),
    ("set the bedroom fan to 30 percent", "en"),
    ("what is the temperature", "en"),
    ("pause the living room speaker", "en"),
    ("set a timer for five minutes", "en"),
    ("no such request here", "en"),
    ("打开厨房灯", "zh-CN"),
    ("把厨房的灯关了", "zh-CN"),
    ("把厨房灯调到百分之五十", "zh-CN"),
]
FAMILIES = [None, HOME_INTENTS, _FAMILIES["on"], _FAMILIES["brightness"]]


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[Path]:
    """Templates kept under ``tmp_path/cache``; in memory only again afterwards."""
    folder = tmp_path / "cache"
    intents._intents.cache_clear()
    keep_compiled(folder)
    yield folder
    keep_compiled(None)
    intents._intents.cache_clear()


def _matches() -> list[object]:
    return [
        recognize(text, language=language, vocabulary=VOCAB, only=only)
        for text, language in SENTENCES
        for only in FAMILIES
    ]


def test_kept_templates_match_as_built_ones(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built in memory, written, then loaded by a new start: the same match for every
    sentence and intent family, and the loaded ones are not built again."""
    keep_compiled(None)
    built = _matches()
    assert sum(m is not None for m in built) > 20
    intents._intents.cache_clear()
    keep_compiled(kept)
    assert _matches() == built  # builds and writes one file per language and family
    files = sorted(kept.glob("hassil-*.pkl"))
    assert len(files) == 2 * len(FAMILIES)
    intents._intents.cache_clear()

    def refuse(*_: object) -> None:
        raise AssertionError("built again although kept")

    monkeypatch.setattr(intents, "_build", refuse)
    assert _matches() == built


def test_loaded_patterns_are_the_compiled_ones(kept: Path) -> None:
    """Each restored regular expression equals what re.compile gives (same program)."""
    intents._intents("en", _FAMILIES["on"])
    intents._intents.cache_clear()
    loaded = intents._intents("en", _FAMILIES["on"])
    patterns = [s.pattern for i in loaded.intents.values() for d in i.data for s in d.sentences]
    assert len(patterns) > 100
    for pattern in patterns:
        assert pattern is not None
        assert pattern == re.compile(pattern.pattern, re.IGNORECASE)


def test_a_damaged_file_is_built_again(kept: Path) -> None:
    """A file that cannot be read is replaced by a good one; matching is unaffected."""
    expected = recognize("turn on the kitchen light", language="en", vocabulary=VOCAB)
    (path,) = kept.glob("hassil-en-*.pkl")
    path.write_bytes(b"not a pickle")
    intents._intents.cache_clear()
    assert recognize("turn on the kitchen light", language="en", vocabulary=VOCAB) == expected
    assert _compiled.load(path) is not None


def test_a_folder_that_cannot_be_written_only_costs_time(kept: Path, tmp_path: Path) -> None:
    """Templates that cannot be kept are built in memory, as without a folder."""
    expected = recognize("turn on the kitchen light", language="en", vocabulary=VOCAB)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    intents._intents.cache_clear()
    keep_compiled(blocked / "cache")
    assert recognize("turn on the kitchen light", language="en", vocabulary=VOCAB) == expected
    assert blocked.read_text() == "not a folder"


def test_new_templates_or_a_new_hassil_make_a_new_file(
    kept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's name follows the templates' data and hassil's code, byte for byte, and
    differs per language and intent family."""
    real_data = Path(str(intents.resources.files("home_assistant_intents")))
    data = tmp_path / "hai"
    shutil.copytree(real_data / "data", data / "data")
    code = tmp_path / "hassil"
    shutil.copytree(Path(intents.hassil.__file__).parent, code)
    monkeypatch.setattr(intents, "resources", SimpleNamespace(files=lambda _pkg: data))
    monkeypatch.setattr(intents, "hassil", SimpleNamespace(__file__=str(code / "__init__.py")))
    first = intents._kept_path("en", None)
    assert first == intents._kept_path("en", None)
    names = {intents._kept_path(lang, only) for lang in ("en", "zh-CN") for only in FAMILIES}
    assert len(names) == 2 * len(FAMILIES)
    with (data / "data" / "en.json").open("a", encoding="utf-8") as f:
        f.write(" ")
    second = intents._kept_path("en", None)
    assert second != first
    (code / "recognize.py").write_text((code / "recognize.py").read_text() + "\n# new\n")
    assert intents._kept_path("en", None) not in (first, second)
    assert intents._kept_path("zh-CN", None) not in names


def test_files_of_older_templates_are_removed(
    kept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once new templates are built and kept, the language's files built from the old ones go;
    the other language's and the same templates' other families stay."""
    intents._intents("en", _FAMILIES["on"])
    intents._intents("en", _FAMILIES["brightness"])
    intents._intents("zh-CN", _FAMILIES["on"])
    old = {p.name for p in kept.glob("*.pkl")}
    assert len(old) == 3
    data = tmp_path / "hai"
    real_data = Path(str(intents.resources.files("home_assistant_intents")))
    shutil.copytree(real_data / "data", data / "data")
    with (data / "data" / "en.json").open("a", encoding="utf-8") as f:
        f.write("\n")
    monkeypatch.setattr(intents, "resources", SimpleNamespace(files=lambda _pkg: data))
    intents._intents.cache_clear()
    intents._intents("en", _FAMILIES["on"])
    now = {p.name for p in kept.glob("*.pkl")}
    assert {n for n in now if n.startswith("hassil-zh-CN-")} == {
        n for n in old if n.startswith("hassil-zh-CN-")
    }
    (new_en,) = {n for n in now if n.startswith("hassil-en-")}
    assert new_en not in old


def test_the_homes_names_are_never_kept(kept: Path) -> None:
    """Loaded templates match whatever names the home has now (a renamed light)."""
    recognize("turn on the kitchen light", language="en", vocabulary=VOCAB)
    intents._intents.cache_clear()
    renamed = Vocabulary(names=(("Cooking Light", "Cooking Light", "light"),))
    match = recognize("turn on the cooking light", language="en", vocabulary=renamed)
    assert match is not None and match.slots == {"name": "Cooking Light"}
    assert recognize("turn on the kitchen light", language="en", vocabulary=renamed) is None
    for path in kept.glob("*.pkl"):
        assert b"Kitchen Light" not in path.read_bytes()


def test_cli_keeps_templates_in_the_data_folder(tmp_path: Path) -> None:
    """A first `lingxi home parse` writes them under the data folder's cache/, the next one
    loads them (nothing rewritten) and prints the same."""
    url = f"sqlite:///{tmp_path / 'home.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    household = load_home(db)["owner"].household_id
    db.dispose()
    argv = [sys.executable, "-m", "lingxi.cli", "home", "parse", "把厨房灯调到百分之五十"]
    env = {"PATH": "/usr/bin:/bin", "LINGXI_DB__URL": url, "LINGXI_DATA_DIR": str(tmp_path)}

    def run() -> dict[str, object]:
        proc = subprocess.run(
            [*argv, "--household", str(household), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env=env,
            check=True,
        )
        doc: dict[str, object] = json.loads(proc.stdout)
        return doc

    first = run()
    kept_files = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").glob("hassil-*.pkl")}
    assert kept_files and all(p.name.startswith("hassil-zh-CN-") for p in kept_files)
    assert run() == first
    assert first["commands"] == [
        {"intent": "HassLightSet", "slots": {"name": "Kitchen Light", "brightness": 50}}
    ]
    assert {p: p.stat().st_mtime_ns for p in kept_files} == kept_files
