"""Tier 2, part 2: the action ladder of ``lang/actions_<lang>.yaml`` (which action, kind and
value a clause says), read by one engine for every language, and one clause's tier-2 reading.

The ladder's rows are data (the file's header explains them); this module only compiles them
into checks once per language and runs them over a clause.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lingxi.home._frames import _Frame
from lingxi.home._lang import nlu_data, read_lang_yaml, relative_amount
from lingxi.home._mentions import _Mentions

_Check = Callable[["_Clause"], bool]


@dataclass
class _Clause:
    """One clause under the ladder: its frame, text, device kind, number and memos."""

    rules: _Mentions
    frame: _Frame
    text: str
    domain: str | None
    number: int | None
    percent: bool
    zh: bool
    ladder: _Ladder
    _flags: dict[str, bool] = field(default_factory=dict)
    _words: dict[str, Any] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        if name not in self._flags:
            self._flags[name] = self.ladder.flags[name](self)
        return self._flags[name]

    def word(self, table: str) -> Any:
        """The value of the first word of ``table`` the text says, or None."""
        if table not in self._words:
            self._words[table] = next(
                (value for pattern, value in self.ladder.words[table] if pattern.search(self.text)),
                None,
            )
        return self._words[table]


@dataclass(frozen=True)
class _Set:
    """What a row writes into the frame."""

    fields: dict[str, str]
    value: tuple[Callable[[_Clause], Any], ...] | None
    indirect: _Check | None
    fill_appliance: int | None

    def apply(self, c: _Clause) -> None:
        f = c.frame
        for name, text in self.fields.items():
            setattr(f, name, text)
        if self.value is not None:
            f.value = next((v for choice in self.value if (v := choice(c)) is not None), None)
        if self.indirect is not None:
            f.indirect = self.indirect(c)
        if self.fill_appliance and f.action and c.domain is None and not f.names:
            f.names.extend(c.rules._appliances(c.text, zh=c.zh)[: self.fill_appliance])


@dataclass(frozen=True)
class _Row:
    check: _Check
    set: _Set | None = None
    rows: tuple[_Row, ...] | None = None
    then: _Set | None = None
    stop_always: bool = False


@dataclass(frozen=True)
class _Ladder:
    percent: re.Pattern[str]
    appliances_first: bool
    words: dict[str, tuple[tuple[re.Pattern[str], Any], ...]]
    colors: tuple[tuple[re.Pattern[str], str], ...]
    flags: dict[str, _Check]
    rows: tuple[_Row, ...]


def _run(rows: Sequence[_Row], c: _Clause) -> bool:
    """Try ``rows`` in order; True when one fired and the ladder ends."""
    for row in rows:
        if not row.check(c):
            continue
        if row.rows is None:
            if row.set is not None:
                row.set.apply(c)
            return True
        fired = _run(row.rows, c)
        if row.then is not None:
            row.then.apply(c)
        if fired or row.stop_always:
            return True
    return False


# ----------------------------------------------------------------------------- compiling


def _regex(arg: Any, where: str) -> re.Pattern[str]:
    if not isinstance(arg, str):
        raise ValueError(f"{where}: a regular expression, not {arg!r}")
    return re.compile(arg)


def _check(spec: Any, where: str) -> _Check:
    """One condition of the ladder (every key must hold)."""
    if spec is None:
        return lambda c: True
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: a mapping of conditions, not {spec!r}")
    checks = [_one_check(key, arg, f"{where}.{key}") for key, arg in spec.items()]
    if len(checks) == 1:
        return checks[0]
    return lambda c: all(check(c) for check in checks)


def _one_check(key: str, arg: Any, where: str) -> _Check:
    if key in ("search", "not_search", "match", "search_full", "not_search_full"):
        p = _regex(arg, where)
        full = key.endswith("_full")
        if key == "match":
            return lambda c: p.match(c.text) is not None
        wanted = not key.startswith("not_")
        return lambda c: (p.search(c.frame.text if full else c.text) is not None) is wanted
    if key == "text_is":
        texts = frozenset(arg)
        return lambda c: c.text in texts
    if key == "domain":
        domains = tuple(arg) if isinstance(arg, list) else (arg,)
        return lambda c: c.domain in domains
    if key == "named":
        return lambda c: c.rules._named_domain(c.frame, str(arg))
    if key in ("has_domain", "names", "num", "percent", "color"):
        if not isinstance(arg, bool):
            raise ValueError(f"{where}: true or false, not {arg!r}")
        value: Callable[[_Clause], object] = {
            "has_domain": lambda c: c.domain,
            "names": lambda c: c.frame.names,
            "num": lambda c: c.number is not None,
            "percent": lambda c: c.percent,
            "color": lambda c: _color(c) is not None,
        }[key]
        return lambda c: bool(value(c)) is arg
    if key == "flag":
        return lambda c: c.flag(str(arg))
    if key == "word":
        return lambda c: c.word(str(arg)) is not None
    if key in ("any", "all"):
        subs = [_check(s, f"{where}[{i}]") for i, s in enumerate(arg)]
        if key == "any":
            return lambda c: any(s(c) for s in subs)
        return lambda c: all(s(c) for s in subs)
    if key == "not":
        sub = _check(arg, where)
        return lambda c: not sub(c)
    raise ValueError(f"{where}: unknown condition {key!r}")


def _color(c: _Clause) -> str | None:
    return next((color for p, color in c.ladder.colors if p.search(c.text)), None)


def _choice(spec: Any, where: str) -> Callable[[_Clause], Any]:
    if spec == "num":
        return lambda c: c.number
    if spec == "color":
        return _color
    if isinstance(spec, dict) and "word" in spec:
        table = str(spec["word"])
        return lambda c: c.word(table)
    if isinstance(spec, dict) and "if" in spec:
        check, then = _check(spec["if"], f"{where}.if"), spec["then"]
        return lambda c: then if check(c) else None
    if isinstance(spec, int | str) and not isinstance(spec, bool):
        return lambda c: spec
    raise ValueError(f"{where}: unknown value {spec!r}")


def _constant(value: bool) -> _Check:
    return lambda c: value


def _set(spec: Any, where: str) -> _Set:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: a mapping, not {spec!r}")
    unknown = set(spec) - {"action", "kind", "domain", "value", "indirect", "fill_appliance"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    indirect = spec.get("indirect")
    indirect_check: _Check | None = None
    if isinstance(indirect, bool):
        indirect_check = _constant(indirect)
    elif indirect is not None:
        indirect_check = _check(indirect, f"{where}.indirect")
    return _Set(
        fields={k: str(spec[k]) for k in ("action", "kind", "domain") if k in spec},
        value=(
            tuple(_choice(v, f"{where}.value") for v in spec["value"]) if "value" in spec else None
        ),
        indirect=indirect_check,
        fill_appliance=spec.get("fill_appliance"),
    )


def _row(spec: dict[str, Any], where: str) -> _Row:
    check = _check(spec.get("if"), f"{where}.if")
    if "rows" in spec:
        return _Row(
            check,
            rows=tuple(_row(r, f"{where}.rows[{i}]") for i, r in enumerate(spec["rows"])),
            then=_set(spec["then"], f"{where}.then") if "then" in spec else None,
            stop_always=spec.get("stop") == "always",
        )
    return _Row(check, set=_set(spec["set"], f"{where}.set"))


@cache
def _ladder(zh: bool) -> _Ladder:
    name = "actions_zh.yaml" if zh else "actions_en.yaml"
    spec = read_lang_yaml(name)
    word_pattern = str(spec.get("word_pattern", "{word}"))
    color_pattern = str(spec["color_pattern"])
    colors = nlu_data(zh)["colors"]
    color_words = colors.items() if isinstance(colors, dict) else ((c, c) for c in colors)
    return _Ladder(
        percent=re.compile(spec["percent"]),
        appliances_first=bool(spec.get("appliances_first", False)),
        words={
            table: tuple(
                (re.compile(word_pattern.format(word=re.escape(w))), v) for w, v in rows.items()
            )
            for table, rows in (spec.get("words") or {}).items()
        },
        colors=tuple(
            (re.compile(color_pattern.format(word=re.escape(w))), str(c)) for w, c in color_words
        ),
        flags={k: _check(v, f"{name}: flags.{k}") for k, v in (spec.get("flags") or {}).items()},
        rows=tuple(_row(r, f"{name}: rows[{i}]") for i, r in enumerate(spec["rows"])),
    )


# ----------------------------------------------------------------------------- the reading


class _Rules(_Mentions):
    def _tier2_frame(self, text: str, zh: bool) -> _Frame:
        frame = _Frame(text=text)
        rest = self._mentions(frame, text, zh)
        self._read_action(frame, rest, zh)
        if frame.action == "set" and frame.kind in ("volume", "brightness"):
            # "reduce volume by twenty percent" is a change of 20 points, not a level of 20
            step = relative_amount(text, zh, frame.value if isinstance(frame.value, int) else None)
            if step is not None:
                frame.action, frame.value = ("down" if step < 0 else "up"), step
        return frame

    def _read_action(self, f: _Frame, text: str, zh: bool) -> None:
        """Set the frame's action, kind and value from the language's ladder."""
        ladder = _ladder(zh)
        if ladder.appliances_first and not f.names and not f.domain:
            f.names.extend(self._appliances(text, zh=zh))
        clause = _Clause(
            rules=self,
            frame=f,
            text=text,
            domain=f.domain or self._name_domain(f),
            number=self._number(text, zh=zh),
            percent=ladder.percent.search(text) is not None,
            zh=zh,
            ladder=ladder,
        )
        _run(ladder.rows, clause)
