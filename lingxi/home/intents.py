"""Tier 1: Home Assistant's own sentence templates (hassil + home-assistant-intents).

The only module that imports hassil. It returns :class:`IntentMatch` values with Home
Assistant's intent and slot names, never hassil objects.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import hassil
from hassil import Intents, TextSlotList, recognize_best
from home_assistant_intents import get_intents

from lingxi.errors import InvalidInputError
from lingxi.home import _compiled
from lingxi.text import detect_language as text_language

__all__ = [
    "CONTEXT_AREA",
    "LANGUAGES",
    "IntentMatch",
    "Vocabulary",
    "detect_language",
    "keep_compiled",
    "normalize_language",
    "recognize",
    "sample_templates",
]

CONTEXT_AREA = "__context_area__"
"""Stands for "the area the request came from" (Home Assistant's satellite area)."""

LANGUAGES = ("en", "zh-CN")


def normalize_language(language: str) -> str:
    """``en``/``en-US`` -> ``en``; ``zh``/``zh-cn``/``zh_CN`` -> ``zh-CN``."""
    key = language.replace("_", "-").lower()
    if key.startswith("zh"):
        return "zh-CN"
    if key.startswith("en"):
        return "en"
    raise InvalidInputError.for_field("language", "one of en, zh-CN", language)


def detect_language(text: str) -> str:
    """:func:`lingxi.text.detect_language` in hassil's language names (``zh-CN`` or ``en``)."""
    return "zh-CN" if text_language(text) == "zh" else "en"


@dataclass(frozen=True)
class Vocabulary:
    """The names hassil may fill its ``{name}``, ``{area}`` and ``{floor}`` lists with."""

    names: tuple[tuple[str, str, str], ...] = ()
    """``(spoken text, slot value, domain)``; aliases map to the canonical name."""
    areas: tuple[tuple[str, str], ...] = ()
    """``(spoken text, slot value)``."""
    floors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IntentMatch:
    """A template match: Home Assistant intent and slots."""

    intent: str
    slots: dict[str, Any]
    """Slot values; a context area is removed (see ``context_area``)."""
    slot_combination: str | None = None
    """The template group's slot combination (``area_brightness``)."""
    context_area: bool = False
    """The sentence meant "here" (the area the request came from)."""


_keep: dict[str, Path] = {}


def keep_compiled(folder: Path | None) -> None:
    """Keep the compiled templates in ``folder`` (None: in this process only).

    A process-wide choice, made before the first request: ``lingxi home`` keeps them under the
    data folder's ``cache/``, so a cold ``home parse`` loads them instead of parsing and
    compiling them again (~0.1 s). A file's name is a digest of the templates' data, of
    hassil's code and of the interpreter: a new ``home-assistant-intents`` or hassil builds a
    new one and removes the language's old ones. The home's names are not in it (hassil gets
    them with each request).
    """
    _keep.clear()
    if folder is not None:
        _keep["folder"] = folder


def _kept_path(language: str, only: frozenset[str] | None) -> Path | None:
    folder = _keep.get("folder")
    if folder is None:
        return None
    data = resources.files("home_assistant_intents").joinpath("data", f"{language}.json")
    code = sorted(Path(hassil.__file__).parent.glob("*.py"))
    source = _compiled.cache_key([language, data.read_bytes(), *(p.read_bytes() for p in code)])
    family = _compiled.cache_key(["*" if only is None else ",".join(sorted(only))])
    return folder / f"hassil-{language}-{source[:16]}-{family[:12]}.pkl"


def _stale(path: Path, language: str) -> list[Path]:
    """The language's files built from other templates or another hassil than ``path``."""
    current = path.name.rsplit("-", 1)[0] + "-"
    return [
        p for p in path.parent.glob(f"hassil-{language}-*.pkl") if not p.name.startswith(current)
    ]


def _compile_all(intents: Intents) -> None:
    """Parse and compile every template now (hassil does it on first use), to keep them."""
    for intent in intents.intents.values():
        for block in intent.data:
            rules = {**intents.expansion_rules, **block.expansion_rules}
            for sentence in block.sentences:
                sentence.compile(rules)


# Two languages times a dozen intent families (and all intents): with room for 8 they evicted
# each other, and a rebuild (~100 ms) landed inside requests.
@lru_cache(maxsize=32)
def _intents(language: str, only: frozenset[str] | None = None) -> Intents:
    path = _kept_path(language, only)
    kept = _compiled.load(path) if path is not None else None
    if isinstance(kept, Intents):
        intents = kept
    else:
        intents = _build(language, only)
        if path is not None:
            _compile_all(intents)
            if _compiled.store(path, intents):
                for stale in _stale(path, language):  # never read again: an update left them
                    stale.unlink(missing_ok=True)
    # The templates are some 10^5 objects that live as long as the process. Left to the
    # collector, every full collection walked them all (130-270 ms, in the middle of a
    # request: bench_home_latency's p95); frozen, it skips them.
    gc.freeze()
    return intents


def _build(language: str, only: frozenset[str] | None) -> Intents:
    data = get_intents(language)
    if data is None:  # pragma: no cover - both languages ship in the package
        raise InvalidInputError.for_field("language", "one of en, zh-CN", language)
    if only is not None:
        data = {**data, "intents": {k: v for k, v in data["intents"].items() if k in only}}
    return Intents.from_dict(data)


@lru_cache(maxsize=64)
def _slot_lists(vocabulary: Vocabulary) -> dict[str, Any]:
    return {
        "name": TextSlotList.from_tuples(
            [(t, v, {"domain": d}, {"domain": d}) for t, v, d in vocabulary.names], name="name"
        ),
        "area": TextSlotList.from_tuples([(t, v) for t, v in vocabulary.areas], name="area"),
        "floor": TextSlotList.from_tuples([(t, v) for t, v in vocabulary.floors], name="floor"),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def recognize(
    text: str,
    *,
    language: str,
    vocabulary: Vocabulary,
    only: frozenset[str] | None = None,
) -> IntentMatch | None:
    """Match ``text`` against Home Assistant's templates for ``language``; None if none fits.

    Parameters
    ----------
    text
        One request, e.g. "turn on the kitchen light".
    language
        ``en`` or ``zh-CN``.
    vocabulary
        The home's names, areas and floors (with aliases).
    only
        Restrict matching to these intents (faster, and no timer or shopping-list matches
        where only device control is wanted); all of Home Assistant's when None.
    """
    result = recognize_best(
        text,
        _intents(normalize_language(language), only),
        slot_lists=_slot_lists(vocabulary),
        intent_context={"area": CONTEXT_AREA},
        best_slot_name="name",
    )
    if result is None:
        return None
    slots = {name: _plain(e.value) for name, e in result.entities.items()}
    context_area = slots.get("area") == CONTEXT_AREA
    if context_area:
        del slots["area"]
    metadata = result.intent_metadata or {}
    combination = metadata.get("slot_combination")
    return IntentMatch(
        intent=result.intent.name,
        slots=slots,
        slot_combination=str(combination) if combination else None,
        context_area=context_area,
    )


def sample_templates(
    language: str,
    *,
    intents: frozenset[str],
    names: list[tuple[str, str]],
    areas: list[str],
    rng: Any,
    per_sentence: int = 2,
) -> list[tuple[str, str]]:
    """``(intent, sentence)`` pairs expanded from Home Assistant's templates (for training).

    Each template is expanded over three of ``names`` (``(name, domain)``) and two of
    ``areas`` drawn with ``rng`` (a ``random.Random``: deterministic for a seed), and
    ``per_sentence`` of its first 40 expansions are kept. Number ranges and wildcards are left
    as ``{slot}`` for the caller to fill.
    """
    import itertools

    from hassil.sample import sample_sentence

    data = _intents(normalize_language(language))
    out: list[tuple[str, str]] = []
    for intent_name, intent in sorted(data.intents.items()):
        if intent_name not in intents:
            continue
        for block in intent.data:
            rules = {**data.expansion_rules, **block.expansion_rules}
            for sentence in block.sentences:
                picked = rng.sample(names, 3)
                slot_lists = {
                    **data.slot_lists,
                    "name": TextSlotList.from_tuples(
                        [(n, n, {"domain": d}) for n, d in picked], name="name"
                    ),
                    "area": TextSlotList.from_tuples(
                        [(a, a) for a in rng.sample(areas, 2)], name="area"
                    ),
                    "floor": TextSlotList.from_tuples([(areas[-1], areas[-1])], name="floor"),
                }
                try:
                    texts = list(
                        itertools.islice(
                            sample_sentence(sentence, slot_lists, rules, expand_ranges=False), 40
                        )
                    )
                except Exception:  # noqa: BLE001 - a template hassil cannot sample is skipped
                    continue
                out += [(intent_name, t) for t in rng.sample(texts, min(per_sentence, len(texts)))]
    return out
