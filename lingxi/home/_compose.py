"""Frames -> commands: shared actions and targets between clauses, intents, resolution."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from lingxi.home._frames import _NO_TARGET_INTENTS, _SWITCHABLE, _TARGET_SLOTS, _Frame
from lingxi.home._rules import _Rules
from lingxi.home.model import DOMAIN_OF_INTENT, Command, NoMatchReason
from lingxi.home.targets import TargetMatch, resolve_targets


class _Compose(_Rules):
    def _merge(self, frames: list[_Frame], previous: Command | None) -> list[_Frame]:
        """Share actions and targets between clauses ("the kitchen and the bedroom")."""
        for i, f in enumerate(frames):
            coordinated = f.text.startswith("and:")
            prev = frames[i - 1] if i > 0 else None
            nxt = frames[i + 1] if i + 1 < len(frames) else None
            if f.tier1 is not None:
                slots = f.tier1.slots
                if (
                    prev is not None
                    and prev.action is None
                    and prev.tier1 is None
                    and prev.area
                    and "name" not in slots
                    and "area" not in slots
                ):
                    f.tier1 = replace(f.tier1, slots={**slots, "area": prev.area})
                continue
            if (
                f.action is None
                and f.has_target
                and prev is not None
                and prev.tier1 is not None
                and coordinated
            ):
                values = {k: v for k, v in prev.tier1.slots.items() if k not in _TARGET_SLOTS}
                target: dict[str, Any] = {}
                if f.names:
                    target["name"] = f.names[0]
                else:
                    if f.area:
                        target["area"] = f.area
                    if f.domain or prev.domain:
                        target["domain"] = f.domain or prev.domain
                f.tier1 = Command(prev.tier1.intent, {**target, **values}, tier=2)
                continue
            if (
                f.action is None
                and f.has_target
                and prev is not None
                and prev.action
                and coordinated
            ):
                f.action, f.kind, f.value = prev.action, prev.kind, prev.value
                if not f.domain and not f.names:
                    f.domain = prev.domain
            if (
                f.action is None
                and f.has_target
                and nxt is not None
                and nxt.action
                and nxt.tier1 is None
            ):
                if nxt.text.startswith("and:"):
                    f.action, f.kind, f.value = nxt.action, nxt.kind, nxt.value
                    if not f.domain and not f.names:
                        f.domain = nxt.domain
                elif not nxt.names and not nxt.area:
                    nxt.area = nxt.area or f.area
                    nxt.names = nxt.names or f.names
                    nxt.domain = nxt.domain or f.domain
            if (
                f.action
                and not f.names
                and not f.area
                and prev is not None
                and (f.pronoun or not f.domain)
            ):
                if prev.names or prev.area:
                    f.names = list(prev.names)
                    f.area = prev.area
                    f.domain = f.domain or prev.domain
                elif prev.tier1 is not None and "name" in prev.tier1.slots:
                    f.names = [str(prev.tier1.slots["name"])]
            if (
                f.action is None
                and f.has_target
                and previous is not None
                and i == 0
                and (
                    f.text.startswith(("and ", "also", "还有", "也"))
                    or "too" in f.text
                    or "也" in f.text
                )
            ):
                f.action = {"HassTurnOn": "on", "HassTurnOff": "off"}.get(previous.intent)
                if not f.domain and not f.names:
                    domains = {e.domain for t in previous.targets if (e := self.home.entity(t))}
                    f.domain = next(iter(domains)) if len(domains) == 1 else None
        explicit = [f for f in frames if f.tier1 is not None or (f.action and not f.indirect)]
        if explicit:
            frames = [f for f in frames if not f.indirect or f.tier1 is not None]
        return frames

    def _shopping_list(self) -> str | None:
        """The home's shopping list: Home Assistant's ``todo.shopping_list``, or its only list."""
        lists = [e.entity_id for e in self.home.entities if e.domain == "todo"]
        if "todo.shopping_list" in lists:
            return "todo.shopping_list"
        return lists[0] if len(lists) == 1 else None

    def _command(self, f: _Frame) -> Command | None:
        if f.tier1 is not None:
            return f.tier1
        if f.action is None:
            return None
        slots: dict[str, Any] = {}
        domain = f.domain
        name_domains = {e.domain for n in f.names if (e := self.home.entity_by_name(n))}
        if len(f.names) == 1:
            slots["name"] = f.names[0]
            if f.area and self.home.entity_by_name(f.names[0]) is None:
                slots["area"] = f.area
        elif f.names:
            slots["name"] = f.names[0]
        else:
            if f.area:
                slots["area"] = f.area
            if f.floor:
                slots["floor"] = f.floor
        target_domain = next(iter(name_domains)) if len(name_domains) == 1 else domain
        intent: str
        action = f.action
        if action in ("on", "off"):
            intent = "HassTurnOn" if action == "on" else "HassTurnOff"
        elif action == "query":
            intent = "HassGetState"
        elif action == "query_temp":
            intent = "HassClimateGetTemperature"
        elif action == "vacuum_start":
            intent = "HassVacuumStart"
        elif action == "vacuum_dock":
            intent = "HassVacuumReturnToBase"
        elif action in ("pause", "unpause", "next", "previous"):
            intent = {
                "pause": "HassMediaPause",
                "unpause": "HassMediaUnpause",
                "next": "HassMediaNext",
                "previous": "HassMediaPrevious",
            }[action]
        elif action == "list_add":
            return Command("HassShoppingListAddItem", {"item": f.value}, tier=f.tier)
        elif action in ("mute", "unmute"):
            intent = "HassMediaPlayerMute" if action == "mute" else "HassMediaPlayerUnmute"
        elif f.kind == "volume":
            if action == "set":
                intent, slots["volume_level"] = "HassSetVolume", f.value
            else:
                intent = "HassSetVolumeRelative"
                slots["volume_step"] = f.value if isinstance(f.value, int) else action
        elif f.kind == "temperature":
            intent = "HassClimateSetTemperature"
            if action == "set":
                slots["temperature"] = f.value
            else:
                slots["temperature_step"] = action
        elif f.kind == "position" or (
            f.kind in ("brightness", "percentage") and target_domain == "cover"
        ):
            intent, slots["position"] = "HassSetPosition", f.value
        elif f.kind == "percentage" or (f.kind == "brightness" and target_domain == "fan"):
            intent = "HassFanSetSpeed"
            if action == "set":
                slots["percentage"] = f.value
            else:  # "faster": a step from the fan's own speed
                slots["percentage_step"] = f.value if isinstance(f.value, int) else action
        elif f.kind in ("brightness", "color"):
            intent = "HassLightSet"
            if action == "set":
                slots[f.kind] = f.value
            else:
                slots["brightness_step"] = f.value if isinstance(f.value, int) else action
        else:
            return None
        implied = DOMAIN_OF_INTENT.get(intent)
        if "name" not in slots and domain and domain != implied:
            slots["domain"] = domain
        elif (
            "name" not in slots
            and not domain
            and intent in ("HassTurnOn", "HassTurnOff")
            and not f.area
        ):
            return None
        return Command(
            intent,
            slots,
            tier=f.tier,
            all_requested=f.all_requested,
            singular=f.singular,
        )

    def _commands(
        self,
        frames: list[_Frame],
        zh: bool,
        previous: Command | None,
        context_area: str | None,
    ) -> tuple[list[Command], NoMatchReason | None, tuple[str, ...]]:
        frames = self._merge(frames, previous)
        commands: list[Command] = []
        saw_intent = False
        for f in frames:
            if f.unknown and f.action and f.tier1 is None:
                return [], NoMatchReason.NO_TARGET, ()
            command = self._command(f)
            if command is not None and command.intent in _NO_TARGET_INTENTS:
                saw_intent = True
                shopping = self._shopping_list()  # none: the reply says there is no list
                commands.append(replace(command, targets=(shopping,)) if shopping else command)
                continue
            if (
                f.action
                and f.tier1 is None
                and not f.has_target
                and previous is None
                and (command is None or (f.pronoun and f.action == "set"))
            ):  # "turn it on" with nothing before it: ask which one, never guess
                self._pending = command or self._bare(f)
                return [], NoMatchReason.AMBIGUOUS_TARGET, self._fitting(f, context_area)
            if (
                command is None
                and f.action in ("on", "off")
                and previous is not None
                and not f.has_target
                and not commands
            ):  # "turn that on" after pointing
                command = Command("HassTurnOn" if f.action == "on" else "HassTurnOff", {}, tier=2)
            if command is None:
                if f.action:
                    saw_intent = True
                continue
            saw_intent = True
            command = self._normalise(command, f.text)
            if previous is not None and not f.has_target and f.tier1 is None and not commands:
                command = self._follow_up(command, previous)
            if command.targets:
                match = TargetMatch(entity_ids=command.targets)
            else:
                match = resolve_targets(command, self.home, context_area=context_area)
            if match.reason is not None:
                self._pending = command if match.reason == NoMatchReason.AMBIGUOUS_TARGET else None
                return [], match.reason, match.candidates
            command = self._settle(replace(command, targets=match.entity_ids), f.text)
            if commands and (commands[-1].intent, commands[-1].targets) == (
                command.intent,
                command.targets,
            ):
                continue
            commands.append(command)
        if not commands:
            return [], NoMatchReason.NO_TARGET if saw_intent else NoMatchReason.NO_INTENT, ()
        return commands, None, ()

    def _bare(self, f: _Frame) -> Command | None:
        if f.action in ("on", "off"):
            return Command("HassTurnOn" if f.action == "on" else "HassTurnOff", {}, tier=f.tier)
        return None

    def _fitting(self, f: _Frame, context_area: str | None) -> tuple[str, ...]:
        """The devices a target-less command could mean: of its kind, in the room first."""
        domains: tuple[str, ...] | None = {
            "brightness": ("light",),
            "color": ("light",),
            "temperature": ("climate",),
            "volume": ("media_player",),
            "position": ("cover",),
            "percentage": ("fan",),
        }.get(f.kind or "")
        if f.action == "set" and f.kind == "brightness":
            domains = ("light", "fan", "cover", "media_player")  # "set it to fifty percent"
        if domains is None:
            domains = _SWITCHABLE
        fitting = [e for e in self.home.entities if e.domain in domains]
        here = [e for e in fitting if e.area_id == context_area]
        return tuple(e.entity_id for e in (here or fitting))

    def _normalise(self, command: Command, text: str) -> Command:
        """Same meaning, one spelling: a vacuum "turned on" starts cleaning."""
        return command

    def _settle(self, command: Command, text: str) -> Command:
        """Intents that depend on what the targets turned out to be."""
        domains = {e.domain for t in command.targets if (e := self.home.entity(t))}
        if domains == {"lock"} and command.intent in ("HassTurnOn", "HassTurnOff"):
            text = text.split(":", 1)[-1]
            opening = re.search(
                r"unlock|\bopen|let me in|解锁|开锁|打开|开一下|开门|让我进|放我进", text
            )
            return replace(command, intent="HassTurnOff" if opening else "HassTurnOn")
        if domains == {"vacuum"} and command.intent in ("HassTurnOn", "HassTurnOff"):
            intent = (
                "HassVacuumStart" if command.intent == "HassTurnOn" else "HassVacuumReturnToBase"
            )
            return replace(command, intent=intent)
        return command

    def _follow_up(self, command: Command, previous: Command) -> Command:
        """Reuse the last command's target when this one names none and fits it."""
        if not previous.targets:
            return command
        domains = {e.domain for t in previous.targets if (e := self.home.entity(t))}
        implied = DOMAIN_OF_INTENT.get(command.intent)
        wanted = command.slots.get("domain") or implied
        if wanted and wanted not in domains:
            return command
        slots = {k: v for k, v in command.slots.items() if k not in ("domain", "area", "floor")}
        return replace(command, slots=slots, targets=previous.targets, all_requested=True)
