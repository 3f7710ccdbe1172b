"""Tier 2, part 3: the Chinese action ladder, and one clause's whole tier-2 reading."""

from __future__ import annotations

import re

from lingxi.home._frames import _Frame
from lingxi.home._lang import nlu_data, relative_amount
from lingxi.home._rules_en import _RulesEn


class _Rules(_RulesEn):
    def _tier2_frame(self, text: str, zh: bool) -> _Frame:
        frame = _Frame(text=text)
        rest = self._mentions(frame, text, zh)
        if zh:
            self._zh_action(frame, rest)
        else:
            self._en_action(frame, rest)
        if frame.action == "set" and frame.kind in ("volume", "brightness"):
            # "reduce volume by twenty percent" is a change of 20 points, not a level of 20
            step = relative_amount(text, zh, frame.value if isinstance(frame.value, int) else None)
            if step is not None:
                frame.action, frame.value = ("down" if step < 0 else "up"), step
        return frame

    # English ---------------------------------------------------------------------------

    def _zh_action(self, f: _Frame, t: str) -> None:
        full = f.text
        if not f.names and not f.domain:
            f.names.extend(self._appliances(t, zh=True))
        d = f.domain or self._name_domain(f)
        if d == "lock" and not re.search(r"吗|没", full):
            if re.search(r"解锁|开锁|打开|开一下|开门", full):
                f.action, f.domain = "off", "lock"
                return
            if "锁" in full:
                f.action = "on"
                return
        num = self._number(t, zh=True)
        percent = bool(re.search(r"百分之|%", t))
        if re.search(r"几度|多少度|温度多少|温度是多少", full):
            f.action, f.domain = "query_temp", "climate"
            return
        if re.search(r"吗$|没$|没有$|了没|好了没|在转吗|是不是|在播放吗|在扫地吗", full) and (
            f.names or d
        ):
            f.action = "query"
            return
        # vacuum
        if d == "vacuum" or re.search(r"扫地|打扫|扫一下", t):
            if re.search(r"充电|回充|回家|回去|回座", t):
                f.action = "vacuum_dock"
            else:
                f.action = "vacuum_start"
            f.domain = "vacuum"
            return
        # media
        if "取消静音" in t:
            f.action, f.domain = "unmute", "media_player"
            return
        if "静音" in t:
            f.action, f.domain = "mute", "media_player"
            return
        if re.search(r"下一首|换一首|切歌|换首|换个歌|换首歌", t):
            f.action, f.domain = "next", "media_player"
            return
        if re.search(r"上一首", t):
            f.action, f.domain = "previous", "media_player"
            return
        if re.search(r"继续|接着放|恢复播放|接着播", t):
            f.action, f.domain = "unpause", "media_player"
            return
        if re.search(r"暂停|先别放|别放|停一下音乐|音乐停", t):
            f.action, f.domain = "pause", "media_player"
            return
        music = d == "media_player"
        if music and re.search(r"音量", t) and (num is not None or "最大" in t):
            f.action, f.kind, f.value = "set", "volume", num if num is not None else 100
            return
        if re.search(r"大声|听不清|声音太小|开大|调大", t) or (
            music and re.search(r"调高|大一点|大点|高一点", t)
        ):
            f.action, f.kind, f.domain = "up", "volume", "media_player"
            return
        if re.search(r"小声|太吵|声音太大|关小|调小|轻一点|轻点", t) or (
            music and re.search(r"调低|小一点|小点|低一点", t)
        ):
            f.action, f.kind, f.domain = "down", "volume", "media_player"
            return
        # climate
        climate = d == "climate" or bool(re.search(r"(?<!亮)度|升温|降温", t))
        if climate and num is not None and not percent and not re.search(r"再低|再高", t):
            f.action, f.kind, f.value, f.domain = "set", "temperature", num, "climate"
            return
        if re.search(r"冷|暖|调高|升温|高一点|高一度", t) and (climate or re.search(r"冷|暖", t)):
            f.action, f.kind, f.domain = "up", "temperature", "climate"
            f.indirect = bool(re.search(r"^(好|有点|太)?冷", t))
            return
        if re.search(r"热|凉快|调低|降温|低一点|低一度|降一点", t) and (
            climate or re.search(r"热|凉", t)
        ):
            if "风扇" in t:
                pass
            else:
                f.action, f.kind, f.domain = "down", "temperature", "climate"
                f.indirect = bool(re.search(r"好热|太热|有点热|热死|闷热|热啊|热了", t))
                return
        # fan
        if d == "fan":
            level = {"高档": 100, "最大": 100, "中档": 66, "低档": 33}
            word = next((w for w in level if w in t), None)
            if num is not None or word:
                f.action, f.kind = "set", "percentage"
                f.value = num if num is not None else level[word or "高档"]
                return
        # covers
        if d == "cover":
            if "一半" in t or num is not None:
                f.action, f.kind = "set", "position"
                f.value = 50 if "一半" in t else num
                return
            if re.search(r"拉开|打开|开|升", t):
                f.action = "on"
            elif re.search(r"拉上|关|合上|降", t):
                f.action = "off"
            if f.action:
                return
        if "阳光" in t and re.search(r"进来", t):
            f.action, f.domain = "on", "cover"
            return
        # lights
        color = next((c for k, c in nlu_data(True)["colors"].items() if k + "色" in t), None)
        if color:
            f.action, f.kind, f.value = "set", "color", color
            return
        if d in (None, "light"):
            if re.search(r"最亮|最大", t):
                f.action, f.kind, f.value = "set", "brightness", 100
                return
            if re.search(r"最暗|最低", t):
                f.action, f.kind, f.value = "set", "brightness", 1
                return
            if num is not None and (d == "light" or f.names or percent or "调到" in t):
                f.action, f.kind, f.value = "set", "brightness", num
                return
            if "一半" in t:
                f.action, f.kind, f.value = "set", "brightness", 50
                return
            if re.search(r"暗一|暗点|暗些|调暗|太亮|刺眼|柔和|再暗", t):
                f.action, f.kind = "down", "brightness"
                f.indirect = bool(re.search(r"太亮|刺眼", t))
                return
            if re.search(r"亮一|亮点|亮些|调亮|开亮|再亮", t):
                f.action, f.kind = "up", "brightness"
                return
            if re.search(r"太黑|好暗|太暗|有点暗|看不见|黑了", t):
                f.action, f.domain = "on", "light"
                f.indirect = True
                return
        # locks
        if re.search(r"解锁|开锁|打开.*门锁|门锁打开|开一下门锁|打开大门锁|让我进去|放我进去", t):
            f.action, f.domain = "off", "lock"
            return
        if re.search(r"锁", t):
            f.action, f.domain = "on", "lock"
            return
        # on / off
        if re.search(r"关|停", t):
            f.action = "off"
        elif re.search(r"开|启动|转起来|动起来|煮|烧", t):
            f.action = "on"
