"""The learned tier's training set and fit (``lingxi home train-nlu``), deterministic.

Sources, in both languages:

* Home Assistant's own sentence templates (``home-assistant-intents``), expanded by hassil's
  sampler over generic device names and rooms, each labelled by hassil's own match;
* SLURP devel (``../shared/data/home/slurp``, 153 utterances by real people) through its
  intent mapping;
* paraphrases generated from ``lang/learn_<lang>.yaml``;
* the dev split of the team's natural-phrasing sets (``tests/home/data``), when present.

Every sentence a benchmark reports is removed first: the issue-15 held-out sets, the held-out
split of the natural sets and Home Assistant's test sentences.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from lingxi.home.learned import CLASSES, DOMAINS, LearnedModel

__all__ = ["Example", "build_examples", "fit", "train"]

_SEED = 15
_HA_PER_CLASS = 70
_PARAPHRASES_PER_TEMPLATE = 4


@dataclass(frozen=True)
class Example:
    """One training sentence: its frame class, device domain ("" when unknown) and source."""

    text: str
    label: str
    domain: str
    language: str
    source: str


def _norm(text: str) -> str:
    return re.sub(r"[\s,.!?，。！？、]+", " ", text.casefold()).strip()


def _lang_data(language: str) -> dict[str, Any]:
    text = resources.files("lingxi.home").joinpath(f"lang/learn_{language}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


# ------------------------------------------------------------------- labels


def label_of(intent: str, slots: dict[str, Any]) -> str | None:
    """The frame class of a Home Assistant intent and its slots (None: not a home class)."""
    step = {"up": "up", "down": "down"}
    if intent == "HassTurnOn":
        return "on"
    if intent == "HassTurnOff":
        return "off"
    if intent == "HassLightSet":
        if "color" in slots:
            return "color"
        if "brightness_step" in slots:
            return "light_" + step.get(str(slots["brightness_step"]), "up")
        return "light_set"
    if intent == "HassClimateSetTemperature":
        if "temperature_step" in slots:
            return "temp_" + step.get(str(slots["temperature_step"]), "up")
        return "temp_set"
    if intent == "HassSetVolumeRelative":
        value = slots.get("volume_step")
        up = value == "up" or (isinstance(value, int | float) and value > 0)
        return "volume_up" if up else "volume_down"
    table = {
        "HassClimateGetTemperature": "temp_get",
        "HassSetPosition": "position",
        "HassFanSetSpeed": "fan_speed",
        "HassSetVolume": "volume_set",
        "HassMediaPlayerMute": "mute",
        "HassMediaPlayerUnmute": "unmute",
        "HassMediaPause": "pause",
        "HassMediaUnpause": "unpause",
        "HassMediaNext": "next",
        "HassMediaPrevious": "previous",
        "HassVacuumStart": "vacuum_start",
        "HassVacuumReturnToBase": "vacuum_dock",
        "HassGetState": "query",
        "HassShoppingListAddItem": "list_add",
        "HassListAddItem": "list_add",
    }
    return table.get(intent)


_HA_INTENTS = (
    "HassTurnOn",
    "HassTurnOff",
    "HassLightSet",
    "HassClimateSetTemperature",
    "HassClimateGetTemperature",
    "HassSetPosition",
    "HassFanSetSpeed",
    "HassSetVolume",
    "HassSetVolumeRelative",
    "HassMediaPlayerMute",
    "HassMediaPlayerUnmute",
    "HassMediaPause",
    "HassMediaUnpause",
    "HassMediaNext",
    "HassMediaPrevious",
    "HassVacuumStart",
    "HassVacuumReturnToBase",
    "HassGetState",
    "HassShoppingListAddItem",
    "HassListAddItem",
    "HassGetWeather",
    "HassGetCurrentTime",
    "HassGetCurrentDate",
    "HassNevermind",
    "HassRespond",
    "HassBroadcast",
    "HassMediaSearchAndPlay",
)

# Home Assistant intents that are not for the home's devices: "none" for the learned tier.
# Timers are left out: a delayed command is read by the scheduling pre-pass instead.
_NOT_HOME = frozenset(
    {
        "HassGetWeather",
        "HassGetCurrentTime",
        "HassGetCurrentDate",
        "HassNevermind",
        "HassRespond",
        "HassBroadcast",
        "HassMediaSearchAndPlay",
    }
)


# ------------------------------------------------------------------- sources


def _ha_examples(language: str, rng: random.Random) -> list[Example]:
    from lingxi.home.intents import Vocabulary, recognize, sample_templates

    hass = "zh-CN" if language == "zh" else "en"
    lang = _lang_data(language)
    names = [(n, d) for d, ns in lang["devices"].items() for n in ns]
    vocabulary = Vocabulary(
        names=tuple((n, n, d) for n, d in names), areas=tuple((a, a) for a in lang["areas"])
    )
    by_name = dict(names)
    wanted = frozenset(i for i in _HA_INTENTS if label_of(i, {}) is not None or i in _NOT_HOME)
    per_class: dict[str, list[Example]] = {}
    for intent_name, raw in sample_templates(
        hass, intents=wanted, names=names, areas=list(lang["areas"]), rng=rng
    ):
        text = re.sub(
            r"\{(\w+)\}",
            lambda m: (
                rng.choice(lang["items"])
                if "item" in m.group(1) or m.group(1) == "search_query"
                else str(rng.choice([20, 30, 40, 50, 60, 70, 80]))
            ),
            raw,
        ).strip()
        if intent_name in _NOT_HOME:
            label, domain = "none", ""
        else:
            match = recognize(text, language=hass, vocabulary=vocabulary)
            if match is None or match.intent != intent_name:
                continue
            got = label_of(match.intent, match.slots)
            if got is None:
                continue
            label = got
            slot_domain = match.slots.get("domain")
            domain = slot_domain if isinstance(slot_domain, str) else ""
            if isinstance(match.slots.get("name"), str):
                domain = by_name.get(match.slots["name"], domain)
        per_class.setdefault(label, []).append(
            Example(text, label, domain, language, "ha_templates")
        )
    out: list[Example] = []
    for label in sorted(per_class):
        rows = per_class[label]
        out.extend(rng.sample(rows, min(_HA_PER_CLASS, len(rows))))
    return out


def _paraphrases(language: str, rng: random.Random) -> list[Example]:
    lang = _lang_data(language)
    out = []
    for label, templates in lang["classes"].items():
        for template in templates:
            seen = set()
            for _ in range(_PARAPHRASES_PER_TEMPLATE):
                domain = ""

                def device(m: re.Match[str]) -> str:
                    nonlocal domain
                    domain = m.group(1)
                    return str(rng.choice(lang["devices"][domain]))

                text = re.sub(r"\{d:(\w+)\}", device, template)
                text = text.replace("{area}", rng.choice(lang["areas"]))
                text = text.replace("{n}", rng.choice(lang["numbers"]))
                text = text.replace("{t}", rng.choice(lang["temperatures"]))
                text = text.replace("{color}", rng.choice(lang["colors"]))
                text = text.replace("{item}", rng.choice(lang["items"]))
                if text in seen:
                    continue
                seen.add(text)
                out.append(Example(text, label, domain, language, "paraphrases"))
    return out


_SLURP_LABELS = {
    "iot_hue_lighton": ("on", "light"),
    "iot_hue_lightoff": ("off", "light"),
    "iot_hue_lightchange": ("color", "light"),
    "iot_hue_lightdim": ("light_down", "light"),
    "iot_hue_lightup": ("light_up", "light"),
    "iot_wemo_on": ("on", "switch"),
    "iot_wemo_off": ("off", "switch"),
    "iot_cleaning": ("vacuum_start", "vacuum"),
    "iot_coffee": ("on", "switch"),
    "audio_volume_up": ("volume_up", "media_player"),
    "audio_volume_down": ("volume_down", "media_player"),
    "audio_volume_mute": ("mute", "media_player"),
    "audio_volume_other": ("volume_set", "media_player"),
}


def _slurp(root: Path) -> list[Example]:
    path = root / "slurp_iot_devel.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        intent = row["intent"]
        key = intent if intent in _SLURP_LABELS else f"iot_{intent}"
        if key in _SLURP_LABELS:
            label, domain = _SLURP_LABELS[key]
            out.append(Example(row["text"], label, domain, "en", "slurp_devel"))
    return out


def _natural_dev(root: Path) -> list[Example]:
    from lingxi.home.evaluation import load_natural_set

    out = []
    for language in ("en", "zh"):
        path = root / f"natural_{language}.txt"
        if not path.is_file():
            continue
        for case in load_natural_set(path):
            if case.held_out or len(case.commands) > 1:
                continue
            if case.reason is not None:
                if case.reason == "no_intent":
                    out.append(Example(case.text, "none", "", language, "natural_dev"))
                continue
            command = case.commands[0]
            label = label_of(command.intent, command.values)
            domains = {t.split(".")[0] for t in command.targets}
            if label:
                domain = next(iter(domains)) if len(domains) == 1 else ""
                out.append(Example(case.text, label, domain, language, "natural_dev"))
    return out


def held_out_texts(repo: Path, shared: Path) -> set[str]:
    """Every sentence a benchmark reports, normalised: never trained on."""
    from lingxi.home.evaluation import load_natural_set

    texts: set[str] = set()
    for path in sorted((repo / "benchmarks" / "data" / "home").glob("heldout_*.txt")):
        texts |= {_norm(c.text) for c in load_natural_set(path, all_held_out=True)}
    for path in sorted((repo / "tests" / "home" / "data").glob("natural_*.txt")):
        texts |= {_norm(c.text) for c in load_natural_set(path) if c.held_out}
    suite = shared / "home" / "ha_intents_tests_ohf2026"
    for path in sorted(suite.glob("*/*/*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in spec.get("tests") or []:
            texts |= {_norm(s) for s in group.get("sentences") or []}
    return texts


def build_examples(
    repo: Path, shared: Path, *, languages: tuple[str, ...] = ("en", "zh")
) -> tuple[list[Example], int]:
    """The training examples (deterministic) and how many held-out matches were dropped."""
    rng = random.Random(_SEED)
    rows: list[Example] = []
    for language in languages:
        rows += _ha_examples(language, rng)
        rows += _paraphrases(language, rng)
    if "en" in languages:
        rows += _slurp(shared / "home" / "slurp")
    rows += [r for r in _natural_dev(repo / "tests" / "home" / "data") if r.language in languages]
    banned = held_out_texts(repo, shared)
    kept = [r for r in rows if _norm(r.text) not in banned]
    unique: dict[tuple[str, str], Example] = {}
    for r in kept:
        unique.setdefault((_norm(r.text), r.label), r)
    return list(unique.values()), len(rows) - len(kept)


# ------------------------------------------------------------------- fit


def _softmax_fit(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int64], k: int, *, steps: int = 300
) -> npt.NDArray[np.float32]:
    """Multinomial logistic regression by full-batch Adam from zeros (deterministic)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1), dtype=np.float32)])
    w = np.zeros((d + 1, k), dtype=np.float32)
    onehot = np.eye(k, dtype=np.float32)[y]
    counts = np.bincount(y, minlength=k).astype(np.float32)
    weight = (n / (k * np.maximum(counts, 1)))[y][:, None]  # balance the classes
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    lr, l2 = 0.02, 1e-3
    for t in range(1, steps + 1):
        logits = xb @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = xb.T @ ((p - onehot) * weight) / n + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def fit(examples: list[Example], vectors: npt.NDArray[np.float32]) -> LearnedModel:
    """Both heads on the examples' standardised embeddings (e5 vectors all lie close together)."""
    mean = vectors.mean(axis=0)
    scale = vectors.std(axis=0) + 1e-6
    x = ((vectors - mean) / scale).astype(np.float32)
    y = np.array([CLASSES.index(e.label) for e in examples], dtype=np.int64)
    intent_w = _softmax_fit(x, y, len(CLASSES))
    has_domain = np.array([bool(e.domain) and e.domain in DOMAINS for e in examples])
    yd = np.array([DOMAINS.index(e.domain) for e in examples if e.domain in DOMAINS])
    domain_w = _softmax_fit(x[has_domain], yd, len(DOMAINS))
    return LearnedModel(intent_w, domain_w, mean.astype(np.float32), scale.astype(np.float32))


def embed_cached(texts: list[str], cache: Path | None) -> npt.NDArray[np.float32]:
    """Embeddings of ``texts``, reusing a local cache file (same encoder, same text)."""
    import hashlib

    from lingxi.home._embed import EMBEDDING_MODEL, embed

    def key(t: str) -> str:
        return hashlib.sha1(f"{EMBEDDING_MODEL}|{t}".encode()).hexdigest()[:20]

    known: dict[str, npt.NDArray[np.float32]] = {}
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            known = {str(k): v for k, v in zip(data["keys"], data["vectors"], strict=True)}
    missing = [t for t in dict.fromkeys(texts) if key(t) not in known]
    if missing:
        for t, v in zip(missing, embed(missing), strict=True):
            known[key(t)] = v.astype(np.float32)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            keys = sorted(known)
            with cache.open("wb") as fh:
                np.savez(fh, keys=np.array(keys), vectors=np.stack([known[k] for k in keys]))
    return np.stack([known[key(t)] for t in texts]).astype(np.float32)


def train(
    repo: Path,
    shared: Path,
    out: Path,
    *,
    languages: tuple[str, ...] = ("en", "zh"),
    cache: Path | None = None,
) -> dict[str, Any]:
    """Build the examples, embed, fit and write the model file; returns a summary."""
    from lingxi.home._embed import EMBEDDING_MODEL

    examples, dropped = build_examples(repo, shared, languages=languages)
    vectors = embed_cached([e.text.casefold() for e in examples], cache)
    model = fit(examples, vectors)
    model.save(out, encoder=EMBEDDING_MODEL)
    sources: dict[str, int] = {}
    for e in examples:
        sources[f"{e.source}/{e.language}"] = sources.get(f"{e.source}/{e.language}", 0) + 1
    return {
        "examples": len(examples),
        "dropped_held_out": dropped,
        "sources": sources,
        "path": str(out),
    }
