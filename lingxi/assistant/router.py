"""Offline message routing: which skill (and which of its intents) a message is for.

Deterministic first: weighted patterns per skill and language, a learned naive Bayes posterior
(:mod:`lingxi.assistant.classifier`, trained on the dev split only) and the engines' own parsers
when they are wired in (a home command the home engine recognises is strong evidence for
``home``). The highest total wins; ties go to the skill listed first in :data:`PRIORITY`.
Nothing here does I/O after the classifier is loaded (once), so a message is routed in well
under a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lingxi.assistant.classifier import default_classifier

__all__ = [
    "PRIORITY",
    "SKILLS",
    "Route",
    "Router",
    "Skill",
    "detect_language",
    "is_no",
    "is_yes",
]

Skill = Literal["guide", "orders", "home", "account", "smalltalk"]
SKILLS: tuple[Skill, ...] = ("guide", "orders", "home", "account", "smalltalk")
PRIORITY: tuple[Skill, ...] = ("account", "orders", "home", "guide", "smalltalk")
"""Tie-break order: the more specific and the riskier to miss come first."""

_CJK = re.compile(r"[\u3400-\u9fff]")
_MIN_SCORE = 1.5
"""Below this total the message is small talk (or not understood)."""
LEARNED_WEIGHT = 3.0
"""How much the learned classifier's posterior adds: at full confidence, as much as one
mid-weight rule (a product category word). Fixed before measuring, not tuned."""


def detect_language(text: str) -> Literal["en", "zh"]:
    """``zh`` when the text contains Chinese characters, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


@dataclass(frozen=True, slots=True)
class Route:
    """Where a message goes."""

    skill: Skill
    """One of guide, orders, home, account, smalltalk."""
    intent: str
    """The skill's intent, e.g. ``track``, ``buy``, ``recommend``, ``forget``, ``command``."""
    language: Literal["en", "zh"]
    confidence: float
    """The winning score's share of all evidence, in [0, 1]."""
    scores: dict[str, float] = field(default_factory=dict)
    """Total evidence per skill (for logs and debugging)."""
    slots: dict[str, Any] = field(default_factory=dict)
    """Arguments an LLM tool call gave (``item``, ``order_id``, ``items``); empty offline."""


@dataclass(frozen=True, slots=True)
class _Rule:
    skill: Skill
    intent: str
    weight: float
    pattern: re.Pattern[str]


def _rules(table: list[tuple[Skill, str, float, str]]) -> tuple[_Rule, ...]:
    return tuple(_Rule(s, i, w, re.compile(p, re.IGNORECASE)) for s, i, w, p in table)


# Shared vocabulary, English.
_CATEGORY_EN = (
    r"cleansers?|clenser|face ?wash|moisturi[sz]ers?|moisturi[sz]ing|creams?|lotions?|serums?|toners?|"
    r"(face |sheet |clay )?masks?|sun ?screens?|spf ?\d*|sunblock|eye ?creams?|treatments?|retinol|"
    r"vitamin c|essences?|exfoliants?|peels?|makeup remover|skin ?care|night cream|gel"
)
_CONCERN_EN = (
    r"oily|dry|sensitive|combination|combo|normal skin|acne|break(ing)? ?outs?|redness|pores|"
    r"dark circles|puffiness|wrinkles|fine lines|flaky|flaking|shiny|dull|hydrat\w*|moisture|"
    r"aging|ageing|blackheads|spots|teenage skin"
)
_BRAND_EN = (
    r"clinique|kiehl'?s|first aid beauty|la roche[- ]posay|tatcha|drunk elephant|cerave|"
    r"estee lauder|est[ée]e lauder|lancome|lanc[ôo]me|origins|fresh|sk-?ii|shiseido|ordinary|"
    r"glow recipe|sunday riley|belif|dr\. ?jart|laneige|olay"
)
_DEVICE_EN = (
    r"lights?(?!\s*(moisturi|cream|lotion|gel|serum|formula|texture|weight|sunscreen|spf|"
    r"cleanser|toner|foundation|for))|lamps?|a/?c\b|air ?con(ditioner|ditioning)?|heating|heater|"
    r"thermostat|(?<=the )fans?|(?<=bedroom )fans?|(?<=ceiling )fans?|blinds|curtains|shades|front door|door|locks?(?! in)|speaker|music|"
    r"volume|vacuum|kettle|coffee maker|tv|television|porch light|radiator"
)
_ORDINAL_EN = r"(first|second|third|fourth|last|cheapest|1st|2nd|3rd|top)( one| option| item)?"

_EN = _rules(
    [
        # account: what is stored, forgetting, export, consent, stated preferences
        (
            "account",
            "show",
            5,
            r"\bwhat (do|did|have) you (know|remember|store|stored|keep|saved?|got)\b.*\bme\b",
        ),
        ("account", "show", 5, r"\bwhat do you remember\b|\bwhat (data|info)\b.*\b(on|about) me\b"),
        ("account", "show", 5, r"\bwhat (preferences|consents)\b|\bmy skin type on file\b"),
        ("account", "show", 5, r"\bwhat'?s my skin type\b|\bwhat is my skin type\b"),
        ("account", "show", 5, r"\b(show|see|view)( me)? my (profile|preferences|data)\b"),
        ("account", "show", 4, r"\bdo you (still )?(keep|store|remember|save)\b"),
        (
            "account",
            "remember",
            4,
            r"\bi'?m (\w+ )?(oily|dry|combo|combination|sensitive|normal)( skin(ned)?)?\b|"
            r"\bi can'?t (use|have|tolerate)\b",
        ),
        ("account", "remember", 5, r"\bnote (that|it)\b|\bkeep in mind\b|\bremember (it|that)\b"),
        ("account", "show", 5, r"\bdo you know my\b|\b(have|got|know) on me\b"),
        ("account", "consent_revoke", 8, r"\bno more personali[sz]\w*"),
        (
            "account",
            "forget",
            5,
            r"\b(forget|erase|wipe|clear|remove|delete)\b.*\b(skin|preferences?|profile|"
            r"avoid list|budget|that i)\b",
        ),
        (
            "account",
            "delete_all",
            6,
            r"\b(forget|erase|wipe|delete|remove)\b.*\b(everything about me|all (of )?my data|my account)\b",
        ),
        (
            "account",
            "export",
            5,
            r"\b(export|download)\b.*\b(data|everything|profile)\b|\bcopy of my data\b",
        ),
        (
            "account",
            "consent_grant",
            6,
            r"\byou can (remember|store|keep|save)\b|\bi agree\b|\bi consent\b",
        ),
        (
            "account",
            "consent_revoke",
            6,
            r"\b(stop|don'?t|do not) (storing|remember\w*|keep\w*|sav\w*|track\w*)\b|\brevoke\b|"
            r"\bdon'?t want you to (track|store|remember|keep)\b",
        ),
        (
            "account",
            "consent_revoke",
            8,
            r"\b(turn off|disable|switch off) personali[sz]\w*",
        ),
        ("account", "show", 2, r"\bconsents?\b|\bpersonali[sz]ation\b"),
        ("account", "remember", 5, r"\bremember (that )?i\b|\bplease remember\b"),
        ("account", "remember", 3, r"\b(update|change|set) my (skin|budget)|\bupdate that\b"),
        ("account", "remember", 4, r"\bmy budget is\b"),
        ("account", "remember", 2.5, r"\bi (have|'ve got|got) (\w+ )*?skin\b"),
        ("account", "remember", 2.5, r"\bmy skin (is|got|gets|has|feels|'s|reacts|breaks|burns)\b"),
        ("account", "remember", 3, r"\bi'?m allergic to\b|\bi am allergic to\b"),
        (
            "account",
            "remember",
            4,
            r"\bi (really |just |totally )?(avoid|hate|don'?t like|can'?t stand|never use)\b.*\b(fragrance|alcohol|parabens?|"
            r"sulfates?|silicones?|oils?)\b",
        ),
        # orders: tracking, listing, cancelling, returning, buying a specific item
        (
            "orders",
            "track",
            5,
            r"\bwhere('?s| is| are)?( is)? (my|the|order)\b.*\b(order|package|parcel|delivery|stuff|"
            r"things|shipment|#?\d+)\b|\bwhere'?s order\b",
        ),
        (
            "orders",
            "track",
            5,
            r"\border status\b|\bstatus of my order\b|\bdelivery status\b|\btrack(ing)?\b",
        ),
        (
            "orders",
            "track",
            2.5,
            r"\b(parcel|package|delivery|deliveries|courier|shipment|delivery van|delivery guy|driver)\b",
        ),
        ("orders", "track", 2, r"\b(arrive[ds]?|arriving|delivered|ship(ped)? yet|eta)\b"),
        (
            "orders",
            "track",
            2,
            r"\bwhen (will|do|does|is)\b.*\b(arrive|get|coming|come|delivered|here)\b",
        ),
        ("orders", "track", 2, r"\bmy (stuff|things|order)\b"),
        (
            "orders",
            "list",
            5,
            r"\b(show|list|see)( me)? my (recent |last )?orders\b|\bwhat did i (order|buy)\b|"
            r"\bmy last order\b",
        ),
        ("orders", "track", 3, r"\border #?\d+\b"),
        ("orders", "cancel", 5, r"\bcancel\b|\b(scrap|drop|undo)\b.*\border\b"),
        (
            "orders",
            "track",
            4,
            r"\b(i|we) (ordered|bought)\b|\b(isn'?t|hasn'?t|not) (here|arrived|come)\b",
        ),
        ("orders", "track", 2.5, r"\b(yesterday'?s|last|that|the) order\b"),
        ("orders", "buy", 6, r"\b(one|two|three|four|\d+) of the\b"),
        (
            "orders",
            "return",
            5,
            r"\breturn (the|my|it|this|that)\b|\bcan i return\b|\bsend (it|this) back\b",
        ),
        (
            "orders",
            "buy",
            6,
            r"\b(buy|purchase|order|get me|grab|i'?ll take|add|reorder)\b.*\b(the )?"
            + _ORDINAL_EN
            + r"\b",
        ),
        (
            "orders",
            "buy",
            6,
            r"\b(buy|order|purchase|i'?ll take) (it|this|that|this one|that one|them)\b|\bi'?ll take it\b",
        ),
        ("orders", "buy", 5, r"\bcheckout\b|\bcheck out\b|\b(to|in) my cart\b"),
        (
            "orders",
            "buy",
            5,
            r"\b(buy|order|purchase|reorder)( me)? (the|my|two|2|three|3)\b",
        ),
        ("orders", "buy", 3, r"\breorder\b|\bbought before\b"),
        (
            "orders",
            "buy",
            6,
            r"\b(have|get|take)( me)? (the )?(that|this|" + _ORDINAL_EN + r")\b",
        ),
        ("orders", "return", 6, r"\bsend\b(?!.*\b(vacuum|dock)\b).*\bback\b|\brefund\b"),
        ("guide", "more", 4, r"\bcheaper\b"),
        ("orders", "track", 3, r"\bmy (package|parcel|order|delivery|stuff)\b"),
        # home: devices, commands, states, indirect requests
        ("home", "command", 3, r"\b(" + _DEVICE_EN + r")"),
        (
            "home",
            "command",
            3,
            r"\b(turn|switch|put|shut|kill|dim|brighten|set|open|close(?=\s+\w)|lock(?! in)|unlock|play|pause|"
            r"stop|start|send)\b(?! back)|\b(heat|cool|warm) (it|the|things|down|up)\b",
        ),
        (
            "home",
            "command",
            4,
            r"\b(turn|switch|put)\b.*\b(on|off)\b|\b(lights?|everything|all) (on|off)\b",
        ),
        (
            "home",
            "command",
            4,
            r"\btoo (dark|bright|hot|cold|warm|loud|quiet|stuffy)\b|\bi'?m (freezing|cold|hot|boiling)\b|"
            r"\bcan'?t see\b|\bpitch (black|dark)\b",
        ),
        (
            "home",
            "command",
            3.5,
            r"\b(brighter|dimmer|warmer|cooler|louder|quieter)\b",
        ),
        ("home", "state", 2, r"\b(is|are) (the |any )?\w*\s?(lights?|door|vacuum|fan|ac|tv)\b"),
        ("home", "state", 3, r"\btemperature in\b|\bwhat'?s the temperature\b|\bset to\b"),
        ("home", "command", 2, r"\b(degrees|percent|%|brightness|halfway|high|low)\b"),
        ("home", "command", 4, r"\b(freezing|boiling|roasting|chilly|stuffy)\b"),
        # guide: categories, skin, budget, recommendation verbs, comparisons, details
        ("guide", "recommend", 3, r"\b(" + _CATEGORY_EN + r")\b"),
        ("guide", "recommend", 1.5, r"\b(" + _CONCERN_EN + r")\b"),
        ("guide", "recommend", 1, r"\b(" + _BRAND_EN + r")\b"),
        (
            "guide",
            "recommend",
            2,
            r"\b(recommend|recomend|reccomend|suggest|looking for|find me|show me|any|best|top rated|"
            r"good for|ideas|what should i use|what can i use|what do you have|do you have|"
            r"i want|i need|need a|anything for|something for|products?)\b",
        ),
        (
            "guide",
            "recommend",
            2,
            r"(under|below|less than|around|max|within)\s*\$?\d+|\$\d+|\d+\s*(dollars|bucks|usd)|\bbudget\b",
        ),
        (
            "guide",
            "recommend",
            1,
            r"\b(fragrance|alcohol|parabens?|niacinamide|hyaluronic|retinol|vitamin|fragrance.free|"
            r"oil.free|paraben.free|natural|gentle|gentlest|harsh|lightweight|hydrating)\b",
        ),
        (
            "guide",
            "compare",
            5,
            r"\bcompare\b|\bdifference\b|\bwhich (one )?is (better|cheaper|best)\b|\bvs\.?\b|"
            r"\bwhich\b.*\b(better|gentlest|cheaper)\b",
        ),
        (
            "guide",
            "details",
            4,
            r"\bwhat'?s in\b|\bingredients\b|\btell me more\b|\bwhat skin types?\b|"
            r"\bdoes (the|it|this)\b.*\bhave\b|\bis (the|it|this)\b.*\bgood\b",
        ),
        (
            "guide",
            "more",
            4,
            r"\banything cheaper\b|\bmore like\b|\bshow me more\b|\bsomething else\b|\bother options\b",
        ),
        # returns: the verb anywhere (not a robot going back to its dock), refunds, bad parcels
        (
            "orders",
            "return",
            6,
            r"\breturn(s|ing)?\b(?!.*\b(dock|base|charg\w*|station)\b)|\bmoney back\b|"
            r"\brefunds?\b",
        ),
        (
            "orders",
            "return",
            4,
            r"\b(wrong (item|product|one|size|thing)|damaged|broken|defective|faulty|leak(ed|ing)|"
            r"smashed)\b",
        ),
        ("home", "command", 6, r"\b(vacuum|robot|roomba|mop)\b.*\b(dock|base|charg\w*)\b"),
        # account: the profile as a thing, and stopping the use of history
        ("account", "show", 4, r"\b(in|on) my (profile|file|account)\b|\bon file\b"),
        ("account", "show", 5, r"\bskin type\b.*\b(for|on|about) me\b"),
        (
            "account",
            "consent_revoke",
            8,
            r"\b(stop|quit|don'?t keep|no longer) using my\b",
        ),
        # guide: what a product is made of, routines, lips
        ("guide", "details", 4, r"\bmade (of|from|with)\b"),
        (
            "guide",
            "recommend",
            4,
            r"\b(put on|apply|use) (after|before)\b|\b(chapped|cracked) (lips|skin)\b|\blips?\b",
        ),
        # home: a room that is too dark or cold is a request to act
        (
            "home",
            "command",
            4,
            r"\b(really |so |very |too )?(dark|dim|gloomy|cold|chilly|hot|stuffy) in (the|here|my)\b",
        ),
        # small talk
        (
            "smalltalk",
            "chitchat",
            4,
            r"\b(joke|something funny|how are you|how'?s it going|what'?s up|what time is it|"
            r"weather|are you (a )?(real|human|person|bot|robot)|(talking|chatting) (to|with) a "
            r"(bot|robot|human|person)|system prompt)\b",
        ),
        (
            "smalltalk",
            "thanks",
            3,
            r"^\s*(ok(ay)?|alright|nice( one)?|perfect|lol|haha\w*|hmm+|great|cool)\b[\s!.,:)]*"
            r"(then|thanks|ta|so)?[\s!.:)]*$",
        ),
        (
            "smalltalk",
            "greet",
            2,
            r"^\s*(hi|hey|hello|hiya|yo|good (morning|afternoon|evening))\b",
        ),
        ("smalltalk", "thanks", 2, r"\b(thanks|thank you|thx|cheers|awesome|great|cool)\b"),
        (
            "smalltalk",
            "help",
            2,
            r"\b(help|what can you do|who are you|your name|are you a robot|languages|speak)\b",
        ),
        ("smalltalk", "bye", 2, r"^\s*(bye|goodbye|good ?night|see you|that'?s all)\b"),
    ]
)

# Shared vocabulary, Chinese.
_CATEGORY_ZH = (
    r"洗面奶|洁面|面霜|乳液|水乳|精华|面膜|防晒|眼霜|爽肤水|化妆水|晚霜|卸妆|护肤品|打底|黄油|"
    r"保湿霜|面部|护肤|修复|润肤"
)
_CONCERN_ZH = (
    r"油皮|干皮|敏感肌|混合皮|中性皮|油痘|痘|毛孔|泛红|起皮|黑眼圈|抗老|补水|保湿|锁水|清爽|"
    r"肤质|皮肤|脸|晒后|孕妇|温和|轻薄|不油腻"
)
_BRAND_ZH = r"科颜氏|倩碧|雅诗兰黛|兰蔻|理肤泉|娇韵诗|资生堂|薇诺娜|悦木之源|城野医生|契尔氏"
_ORDINAL_ZH = r"第[一二三四五六七八九十\d]+个|最便宜的|这个|那个|它"

_ZH = _rules(
    [
        ("account", "show", 5, r"你(知道|记得|存了|保存了|还记得)我|我的资料|我的肤质是什么"),
        ("account", "show", 5, r"我授权了|你保存了我|哪些信息|哪些数据"),
        ("account", "forget", 5, r"(忘掉|忘记|删除|删掉|清除|清空)我的|从我的忌口"),
        ("account", "delete_all", 6, r"忘掉关于我的一切|删除我所有|注销|所有的数据|全部数据"),
        ("account", "export", 5, r"导出|数据副本|下载我的数据"),
        ("account", "consent_grant", 6, r"可以记住|同意保存|允许保存|同意你"),
        (
            "account",
            "consent_revoke",
            6,
            r"不要再保存|别记|不要记|撤销|关闭个性化|关掉个性化|不要个性化|取消授权|别再保存|别再用|不要再用|别用我的",
        ),
        ("account", "remember", 5, r"记住我|保存我的|记下|记一下"),
        ("account", "remember", 6, r"记得我是|以后记得"),
        ("account", "remember", 5, r"我(很|非常|特别|真的)?(讨厌|受不了|不喜欢)"),
        ("account", "remember", 3, r"改成|更新一下|我一般预算|我的预算"),
        ("account", "remember", 3, r"^我是(油皮|干皮|敏感肌|混合皮|中性皮|油性|干性)"),
        ("account", "remember", 2.5, r"我的皮肤(很|比较|有点|偏)?"),
        ("account", "remember", 3, r"过敏|我不用含|我不喜欢含|我不用.*的东西"),
        ("account", "remember", 5, r"我(不能用|用不了|不用|受不了)"),
        ("account", "remember", 3, r"我(很|特别|比较)?喜欢"),
        ("orders", "track", 5, r"快递|包裹|物流|配送|发货|骑手|快递员|配送员"),
        ("orders", "track", 4, r"到哪|什么时候到|多久.*(到|送)|送到|还没到|送达|到了没"),
        ("orders", "track", 4, r"订单|我的货|东西送|单子|这单|那单|上一单|派送|送货|没送来|还没来"),
        ("orders", "track", 2.5, r"订的|买的"),
        (
            "orders",
            "list",
            5,
            r"我的订单多少钱|上次买了|最近的订单|看看我.*订单|几单|下过|几个订单",
        ),
        ("orders", "buy", 6, r"就(那|这)个"),
        ("orders", "cancel", 5, r"取消"),
        ("orders", "return", 6, r"退货|能退|退款|退掉|要退|想退|退(那|这)"),
        ("orders", "buy", 6, r"把(第.个|这个|那个|它)买"),
        (
            "orders",
            "buy",
            6,
            r"(买|要|下单|就要|来|拿)(一|两|二|三|四|五)?(瓶|个|支|盒|份)?(" + _ORDINAL_ZH + r")",
        ),
        ("orders", "buy", 6, r"下单|购物车|结账|买它|就买|再买一次|帮我买这|要这个"),
        ("orders", "buy", 7, r"我要买(" + _BRAND_ZH + r")"),
        (
            "home",
            "command",
            3,
            r"灯|空调|窗帘|门锁|风扇|音乐|音量|声音|扫地|咖啡|水壶|音箱|电视|暖气",
        ),
        (
            "home",
            "command",
            4,
            r"开灯|关灯|打开|关掉|关了|关一下|开一下|开下|锁门|开门|锁上|解锁|大门|锁了|调到|调成|"
            r"调暗|调亮|拉上|关一半|放点|暂停|开始扫|烧水|回去充电|都关",
        ),
        (
            "home",
            "command",
            4,
            r"好黑|太黑|很黑|黑漆漆|冷死|热死|好冷|好热|很冷|很热|太暗|太亮|再亮|亮一点|暗一点|太热|太冷|有点冷|有点热|调暖|调冷|暖一点|凉快|太吵|好闷|"
            r"大一点|小一点|看不见|睡觉了|最大",
        ),
        ("home", "state", 4, r"温度多少|多少度|开着吗|锁了吗|在工作吗|度$"),
        ("guide", "recommend", 3, _CATEGORY_ZH),
        ("guide", "recommend", 1.5, _CONCERN_ZH),
        ("guide", "recommend", 1, _BRAND_ZH),
        (
            "guide",
            "recommend",
            2,
            r"推荐|有没有|有什么|用什么|帮我找|帮我挑|想要|想买|适合|怎么样|怎么办|送.*(妈|女朋友|男朋友|朋友|老婆)",
        ),
        ("guide", "recommend", 2, r"\d+\s*(块|元|刀|美元)|以内|以下|平价|便宜"),
        ("guide", "recommend", 1, r"酒精|香精|防腐剂|烟酰胺|视黄醇|玻尿酸"),
        ("guide", "compare", 5, r"比较|对比|哪个好|区别|哪个.*(好|便宜)|vs"),
        (
            "guide",
            "details",
            4,
            r"成分|适合什么肤质|详细信息|第.个多少钱|(第.个|这个|它).*(什么做的|含|是什么)",
        ),
        ("guide", "more", 4, r"便宜一点|别的推荐|还有别的|那样的"),
        # returns: reasons a parcel goes back
        ("orders", "return", 4, r"退回|发错|破损|坏了|漏了|质量问题|寄回"),
        ("home", "command", 6, r"扫地机.*(充电|回去|回座)"),
        # account: forgetting or deleting a stored fact, a stated budget
        (
            "account",
            "forget",
            6,
            r"(肤质|预算|偏好|资料|忌口).*(删|忘|清)|(删|忘|清)[^，,。]*(肤质|预算|偏好|资料|忌口)|忘(掉|记)我是",
        ),
        ("account", "remember", 4, r"我预算|预算一般|我一般(用|买)"),
        # orders: a product already named or shown, by count
        ("orders", "buy", 5, r"(刚才|上次|之前)那个|来(一|两|二|三|几)(瓶|支|盒|份)"),
        # small talk: chit-chat and questions about the assistant itself
        (
            "smalltalk",
            "chitchat",
            4,
            r"^(今天|最近)(过得|心情)?怎么样|最近(忙|好)|天气|笑话|几点了|你是(真人|机器人|人)|真人|系统提示",
        ),
        ("smalltalk", "greet", 2, r"^(你好|您好|早上好|晚上好|嗨|哈喽|在吗)"),
        ("smalltalk", "thanks", 2, r"谢谢|多谢|太好了|真棒|好的"),
        ("smalltalk", "help", 2, r"你是谁|你能做什么|帮助|名字|机器人|英文|说英语"),
        ("smalltalk", "bye", 2, r"再见|晚安|拜拜"),
    ]
)

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|ok(ay)?|confirm(ed)?|go ahead|do it|please do|y|"
    r"确认|是的?|好的?|对|可以|没问题|确定|行|嗯)[\s.!。！,，]*(please|请)?[\s.!。！]*$",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(no|nope|nah|cancel|stop|don'?t|never ?mind|n|取消|不要?|不用了?|算了|别|否)"
    r"[\s.!。！,，]*(thanks|thank you|谢谢)?[\s.!。！]*$",
    re.IGNORECASE,
)


def is_yes(text: str) -> bool:
    """True for an explicit confirmation ("yes", "确认")."""
    return bool(_YES.match(text))


def is_no(text: str) -> bool:
    """True for an explicit refusal ("no", "取消")."""
    return bool(_NO.match(text))


_DEFAULT_INTENT: dict[Skill, str] = {
    "guide": "recommend",
    "orders": "track",
    "home": "command",
    "account": "show",
    "smalltalk": "chitchat",
}
"""The intent when only the learned classifier spoke for a skill: the harmless reading one."""

Classifier = Callable[[str, str], dict[str, float]]
"""``(text, language) -> posterior per skill``: a learned component blended with the rules."""


def learned(text: str, language: str) -> dict[str, float]:
    """The shipped naive Bayes classifier (trained on the dev split only)."""
    return default_classifier(language).proba(text)


EngineMatcher = Callable[[str, str, "int | None"], bool]
"""``(text, language, household_id) -> bool``: an engine's own parser recognised the message
(the home parser needs the household's own device and area names)."""


class Router:
    """Route a message to a skill, deterministically.

    Parameters
    ----------
    home_matcher
        The home engine's parser as a predicate; a match adds strong ``home`` evidence.
    guide_matcher
        The guide engine's need parser as a predicate (it found a category or constraints).
    classifier
        A learned posterior per skill, added with :data:`LEARNED_WEIGHT`; the shipped naive
        Bayes (:func:`learned`) by default, ``None`` for the hand rules alone.
    """

    def __init__(
        self,
        *,
        home_matcher: EngineMatcher | None = None,
        guide_matcher: EngineMatcher | None = None,
        classifier: Classifier | None = learned,
        learned_weight: float = LEARNED_WEIGHT,
    ) -> None:
        self.home_matcher = home_matcher
        self.guide_matcher = guide_matcher
        self.classifier = classifier
        self.learned_weight = learned_weight

    def route(self, text: str, *, household_id: int | None = None) -> Route:
        """The skill and intent for ``text`` (small talk when nothing else fits)."""
        language = detect_language(text)
        norm = " ".join(text.strip().split()).lower()
        scores: dict[Skill, float] = dict.fromkeys(SKILLS, 0.0)
        best_rule: dict[Skill, tuple[float, str]] = {}
        for rule in _ZH if language == "zh" else _EN:
            if rule.pattern.search(norm):
                scores[rule.skill] += rule.weight
                if rule.weight > best_rule.get(rule.skill, (0.0, ""))[0]:
                    best_rule[rule.skill] = (rule.weight, rule.intent)
        if _YES.match(norm) or _NO.match(norm):
            # A bare yes/no outside a confirmation turn is conversation, not a request.
            scores["smalltalk"] += 3.0
            best_rule.setdefault("smalltalk", (3.0, "chitchat"))
        if self.home_matcher is not None and self.home_matcher(text, language, household_id):
            scores["home"] += 3.0
            best_rule.setdefault("home", (3.0, "command"))
        if self.guide_matcher is not None and self.guide_matcher(text, language, household_id):
            scores["guide"] += 1.5
            best_rule.setdefault("guide", (1.5, "recommend"))
        if self.classifier is not None and norm:
            for name, p in self.classifier(norm, language).items():
                if name in scores:
                    scores[name] += self.learned_weight * p
        skill = max(PRIORITY, key=lambda s: (scores[s], -PRIORITY.index(s)))
        total = sum(scores.values())
        if scores[skill] < _MIN_SCORE:
            intent = best_rule.get("smalltalk", (0.0, "chitchat"))[1]
            return Route("smalltalk", intent, language, 0.5, {k: v for k, v in scores.items()})
        intent = best_rule.get(skill, (0.0, _DEFAULT_INTENT[skill]))[1]
        if skill == "home" and intent == "command" and _is_question(norm):
            intent = "state"
        confidence = scores[skill] / total if total else 0.0
        return Route(
            skill, intent, language, round(confidence, 3), {k: v for k, v in scores.items()}
        )


def _is_question(norm: str) -> bool:
    return bool(
        re.match(r"^(is|are|what'?s|what is|how)\b", norm)
        or re.search(r"(吗|多少|没有)[?？]?$", norm)
    )
