"""Tier 2, part 2: the English action ladder (which action, kind and value a clause says)."""

from __future__ import annotations

import re

from lingxi.home._frames import _en_words, _Frame
from lingxi.home._mentions import _Mentions


class _RulesEn(_Mentions):
    def _en_action(self, f: _Frame, t: str) -> None:
        d = f.domain or self._name_domain(f)
        num = self._number(t, zh=False)
        percent = bool(re.search(r"%|percent|\bhalf|quarter", t))
        if re.match(r"(is|are|did|does|do|what'?s|what is|how|can you check if|check if)\b", t):
            if re.search(
                r"temperature|how (warm|hot|cold)|is it (cold|hot|warm)|thermostat set", t
            ):
                f.action, f.domain = "query_temp", "climate"
            elif "playing" in t:
                f.action, f.domain = "query", "media_player"
            elif f.names or d:
                f.action = "query"
            return
        # vacuum
        if d == "vacuum" or re.search(r"start cleaning|vacuum the", t):
            if re.search(r"home|dock|charge|base|back", t):
                f.action = "vacuum_dock"
            elif re.search(r"\bstart|run|go|clean|send|vacuum the|get", t):
                f.action = "vacuum_start"
            f.domain = "vacuum"
            if f.action:
                return
        # media
        if re.search(r"\bunmute\b", t):
            f.action, f.domain = "unmute", "media_player"
            return
        if re.search(r"\bmute\b", t):
            f.action, f.domain = "mute", "media_player"
            return
        if re.search(r"\b(next|skip|something else)\b", t):
            f.action, f.domain = "next", "media_player"
            return
        if re.search(r"\b(previous|go back a|last song|last track)\b", t):
            f.action, f.domain = "previous", "media_player"
            return
        music = d == "media_player" or self._named_domain(f, "media_player")
        if re.search(r"\b(resume|unpause|keep playing|carry on|back on)\b", t) or (
            music and re.search(r"\bplay\b.*\bagain\b", t)
        ):
            f.action, f.domain = "unpause", "media_player"
            return
        if re.match(r"(pause|shh|hold on)", t) or (
            re.search(r"\bpause\b", t)
            or (music and re.search(r"\b(stop|kill|cut)\b", t) and "volume" not in t)
        ):
            f.action, f.domain = "pause", "media_player"
            return
        volume_word = bool(re.search(r"\bvolume\b", t))
        if volume_word and (num is not None or "max" in t):
            f.action, f.kind, f.value, f.domain = (
                "set",
                "volume",
                num if num is not None else 100,
                "media_player",
            )
            return
        if re.search(r"\b(louder|crank|pump up|can'?t hear|too quiet)\b", t) or (
            (music or volume_word or t in ("turn it up",)) and re.search(r"\bup\b", t)
        ):
            f.action, f.kind, f.domain = "up", "volume", "media_player"
            return
        if re.search(r"\b(quieter|softer|too loud|quiet down)\b", t) or (
            (music or volume_word or t in ("turn it down",)) and re.search(r"\b(down|lower)\b", t)
        ):
            f.action, f.kind, f.domain = "down", "volume", "media_player"
            return
        # climate
        climate = d == "climate" or bool(re.search(r"degrees?\b|\bheat\b|warm|cool", t))
        if climate and num is not None and not percent:
            f.action, f.kind, f.value, f.domain = "set", "temperature", num, "climate"
            return
        if re.search(
            r"freezing|\bcold\b|chilly|warmer|heat (it )?up|turn the heat(ing)? up|turn up the heat",
            t,
        ) or (climate and re.search(r"\b(up|raise|higher)\b", t)):
            f.action, f.kind, f.domain = "up", "temperature", "climate"
            f.indirect = not re.search(r"\b(make|turn|raise|set)\b", t)
            return
        if re.search(r"too hot|boiling|stuffy|cooler|cool it|too warm", t) or (
            climate and re.search(r"\b(down|lower|notch)\b", t)
        ):
            if "fan" in t:
                pass
            else:
                f.action, f.kind, f.domain = "down", "temperature", "climate"
                f.indirect = not re.search(r"\b(make|turn|lower|set|cool)\b", t)
                return
        # fan speed
        if d == "fan" or self._named_domain(f, "fan"):
            level = {"high": 100, "full": 100, "max": 100, "medium": 66, "low": 33}
            word = next((w for w in level if re.search(rf"\b{w}\b", t)), None)
            if num is not None or word:
                f.action, f.kind = "set", "percentage"
                f.value = num if num is not None else level[word or "high"]
                return
        # covers
        cover = d == "cover"
        if cover and (percent or num is not None):
            f.action, f.kind = "set", "position"
            f.value = 50 if re.search(r"half", t) else 25 if "quarter" in t else num
            return
        if re.search(r"let some light in", t):
            f.action, f.domain = "on", "cover"
            return
        # light values
        color = next((c for c in _en_words()[3] if re.search(rf"\b{c}\b", t)), None)
        if color:
            f.action, f.kind, f.value = "set", "color", color
            return
        lightish = d in (None, "light") or any(
            e.domain == "light" for n in f.names if (e := self.home.entity_by_name(n))
        )
        if lightish:
            if re.search(r"full brightness|all the way up|\bmax(imum)?\b|highest", t):
                f.action, f.kind, f.value = "set", "brightness", 100
                return
            if re.search(r"\b(lowest|minimum|min)\b", t):
                f.action, f.kind, f.value = "set", "brightness", 1
                return
            if num is not None and (
                percent or d == "light" or f.names or re.search(r"\bto\b|\bat\b", t)
            ):
                f.action, f.kind, f.value = (
                    "set",
                    "brightness",
                    50 if "half" in t and num is None else num,
                )
                return
            if re.search(r"\bhalf\b", t):
                f.action, f.kind, f.value = "set", "brightness", 50
                return
            if re.search(r"too bright|dim|darker|less bright", t) or (
                (d == "light" or f.names) and re.search(r"\bdown\b", t)
            ):
                f.action, f.kind = "down", "brightness"
                f.indirect = "too bright" in t
                return
            if re.search(r"brighter|brighten|more light", t) or (
                (d == "light" or f.names)
                and re.search(r"\bup\b", t)
                and not re.search(r"light up", t)
            ):
                f.action, f.kind = "up", "brightness"
                return
            if re.search(r"too dark|really dark|can'?t see|is dark", t):
                f.action, f.domain = "on", "light"
                f.indirect = True
                return
        # on / off
        if re.search(r"\bunlock\b|let me in|open the (front )?door lock|open the lock", t):
            f.action, f.domain = "off", "lock"
            return
        if re.search(r"\block\b|lock up|\blocked\b", t):
            f.action, f.domain = "on", "lock"
            return
        if cover or self._named_domain(f, "cover"):
            if re.search(r"\b(open|raise|pull up|roll up|up)\b", t):
                f.action = "on"
            elif re.search(r"\b(close|shut|draw|lower|roll down|down)\b", t):
                f.action = "off"
            if f.action:
                return
        if re.search(r"\b(off|kill|shut|stop)\b", t):
            f.action = "off"
        elif re.search(
            r"\b(on|start|fire up|going|make the coffee|boil|light up|activate|open|run|get)\b", t
        ) or re.search(r"^lights please$|^lights$", t):
            f.action = "on"
        if f.action and d is None and not f.names:
            f.names.extend(self._appliances(t, zh=False)[:1])

    # Chinese ---------------------------------------------------------------------------
