"""The learned tier inside the controller: on by default, off by setting; its costs stay out
of requests (template caches that do not evict each other, entities embedded at load)."""

from __future__ import annotations

import pytest

from lingxi.config import HomeSettings
from lingxi.data import Database
from lingxi.data.repos.identity import Member
from lingxi.home import HomeController, Parser
from lingxi.home.drivers.memory import MemoryDriver
from lingxi.home.evaluation import demo_home
from lingxi.home.learned import model_available

pytestmark = pytest.mark.skipif(not model_available(), reason="the NLU model is not shipped")


def test_learned_tier_is_a_setting(db: Database, members: dict[str, Member]) -> None:
    """'quiet' needs the learned tier: it acts with it and not without it."""
    owner = members["owner"]
    texts = "quiet"
    on = HomeController(db, driver=MemoryDriver())
    off = HomeController(db, settings=HomeSettings(learned_tier=False), driver=MemoryDriver())
    parsed = on.parse(texts, owner.household_id, context_area="living_room")
    assert [(c.intent, c.targets, c.tier) for c in parsed.commands] == [
        ("HassMediaPlayerMute", ("media_player.living_room_speaker",), 3)
    ]
    assert not off.parse(texts, owner.household_id, context_area="living_room").commands
    done = on.handle(texts, owner, context_area="living_room")
    assert done.ok
    speaker = on.state(owner.household_id, "media_player.living_room_speaker")[0]
    assert speaker["attributes"]["is_volume_muted"] is True


def test_template_families_stay_cached_in_both_languages() -> None:
    """Once each kind of request has been seen in both languages, none rebuilds templates."""
    from lingxi.home.intents import _intents

    parser = Parser(demo_home(), context_area="living_room")
    texts = [
        "turn on the kitchen light",
        "dim the kitchen light to 20 percent",
        "make the kitchen light red",
        "set the temperature to 22",
        "volume up",
        "pause the music",
        "open the bedroom blinds halfway",
        "bedroom fan at forty percent",
        "start the vacuum",
        "is the front door locked",
        "打开厨房的灯",
        "把厨房的灯调到百分之二十",
        "把厨房的灯调成红色",
        "空调调到二十二度",
        "音量调大",
        "暂停音乐",
        "卧室窗帘开一半",
        "卧室风扇调到百分之四十",
        "开始扫地",
        "前门锁了吗",
    ]
    for text in texts:
        parser.parse(text, tiers=(1, 2))
    misses = _intents.cache_info().misses
    for text in texts:
        parser.parse(text, tiers=(1, 2))
    assert _intents.cache_info().misses == misses
