"""Reply templates in English and Chinese: language as data, filled only with stored facts."""

from __future__ import annotations

from typing import Any

__all__ = ["TEMPLATES", "say"]

TEMPLATES: dict[str, dict[str, str]] = {
    "greet": {
        "en": "Hello {name}! I can find skincare, track your orders and run your home. What do you need?",
        "zh": "{name}，你好！我可以帮你挑护肤品、查快递、控制家里的设备。需要什么？",
    },
    "thanks": {"en": "You're welcome.", "zh": "不客气。"},
    "bye": {"en": "Bye for now.", "zh": "再见！"},
    "help": {
        "en": (
            'I\'m Lingxi, your assistant. Try: "a cleanser for oily skin under $30", '
            '"buy the first one", "where is my order?", "turn on the porch light", '
            '"what do you know about me?".'
        ),
        "zh": (
            "我是灵犀助手。可以试试：“推荐一款适合油皮的洗面奶”、“买第一个”、“我的快递到哪了”、"
            "“打开门廊灯”、“你知道我什么”。"
        ),
    },
    "fallback": {
        "en": (
            "I'm not sure what you mean. I can help with skincare picks, your orders and "
            "deliveries, your home's devices and what I store about you."
        ),
        "zh": "我没太明白。我可以帮你挑护肤品、查订单和快递、控制家里的设备，或者管理我保存的你的信息。",
    },
    "nothing_pending": {
        "en": "There is nothing waiting for your confirmation.",
        "zh": "目前没有需要你确认的操作。",
    },
    "declined": {"en": "OK, I won't do that.", "zh": "好的，已取消。"},
    "expired": {
        "en": "(I dropped the earlier request that was waiting for a yes.) ",
        "zh": "（之前等待确认的操作已作废。）",
    },
    "confirm_hint": {
        "en": ' Reply "yes" to go ahead or "no" to stop.',
        "zh": "回复“确认”继续，或“取消”。",
    },
    # guide
    "recommend_intro": {"en": "Here is what fits:", "zh": "为你找到这些："},
    "recommend_none": {
        "en": "I found nothing in the catalogue that fits all of that.",
        "zh": "目录里没有完全符合这些条件的产品。",
    },
    "recommend_relaxed": {
        "en": "Nothing met every condition, so I loosened: {relaxed}.",
        "zh": "没有完全符合的，我放宽了：{relaxed}。",
    },
    "recommend_item": {
        "en": "{n}. {brand} {name}, {price} ({reason})",
        "zh": "{n}. {brand} {name}，{price}（{reason}）",
    },
    "recommend_outro": {
        "en": 'Say "buy the first one" to order, or "compare the first and second".',
        "zh": "说“买第一个”下单，或“比较第一个和第二个”。",
    },
    "no_items": {
        "en": 'Ask me for a product first, e.g. "a moisturiser for dry skin".',
        "zh": "请先让我推荐产品，比如“干皮用的面霜”。",
    },
    "which_item": {
        "en": 'Which one? I showed {count} products; say e.g. "the first one".',
        "zh": "哪一个？我列了{count}个，比如说“第一个”。",
    },
    "details": {
        "en": "{brand} {name}: {category}, {price}, for {skin} skin.",
        "zh": "{brand} {name}：{category}，{price}，适合{skin}肤质。",
    },
    # orders
    "order_confirm": {
        "en": "Order {items}, total {total}, delivered to {address}?",
        "zh": "确认下单：{items}，合计 {total}，送到 {address}？",
    },
    "order_placed": {
        "en": "Order #{order_id} is confirmed (tracking {tracking}).{eta}",
        "zh": "订单 #{order_id} 已确认（运单号 {tracking}）。{eta}",
    },
    "eta_suffix": {"en": " Expected around {eta}.", "zh": "预计 {eta} 左右送达。"},
    "child_no_orders": {
        "en": "A child account can't place or change orders; ask an adult of the household.",
        "zh": "儿童账户不能下单或修改订单，请让家里的大人来操作。",
    },
    "no_address": {
        "en": "I need a delivery address first; add one in your account.",
        "zh": "需要先在账户里添加收货地址。",
    },
    "no_orders": {"en": "You have no orders yet.", "zh": "你还没有订单。"},
    "no_open_orders": {
        "en": "None of your orders is on its way right now. The last one, #{order_id}, is {status}.",
        "zh": "目前没有在途的订单。最近的订单 #{order_id} 状态：{status}。",
    },
    "track": {
        "en": "Order #{order_id} ({items}) is {status}{place}.{eta}",
        "zh": "订单 #{order_id}（{items}）{status}{place}。{eta}",
    },
    "track_eta": {
        "en": " ETA {eta} (about {minutes} min).",
        "zh": "预计 {eta} 送达（约 {minutes} 分钟）。",
    },
    "track_eta_past": {"en": " It was due at {eta}.", "zh": "原定 {eta} 送达。"},
    "track_eta_day": {"en": " ETA {day} at {eta}.", "zh": "预计{day} {eta} 送达。"},
    "list_orders": {"en": "Your recent orders: {orders}.", "zh": "你最近的订单：{orders}。"},
    "cancel_confirm": {
        "en": "Cancel order #{order_id} ({items}, {total})?",
        "zh": "取消订单 #{order_id}（{items}，{total}）？",
    },
    "cancelled": {"en": "Order #{order_id} is cancelled.", "zh": "订单 #{order_id} 已取消。"},
    "order_not_found": {
        "en": "I can't find order #{order_id} in your household.",
        "zh": "你的家庭里没有订单 #{order_id}。",
    },
    "conflict": {"en": "I can't do that: {message}", "zh": "无法操作：{message}"},
    "return_confirm": {
        "en": (
            "Return {items} from order #{order_id}? You get {refund} back once it reaches our "
            "depot; a courier picks it up at {address}."
        ),
        "zh": "确认退货：订单 #{order_id} 的 {items}，退款 {refund}（退回仓库后到账），快递员上门到 {address} 取件？",
    },
    "return_requested": {
        "en": "Return {tracking} is booked for order #{order_id}: refund {refund}.{eta}",
        "zh": "订单 #{order_id} 的退货已受理（退货单号 {tracking}），退款 {refund}。{eta}",
    },
    "return_pickup_eta": {
        "en": " Pickup expected around {eta}.",
        "zh": "预计 {eta} 左右上门取件。",
    },
    "return_pickup_later": {
        "en": " The courier will come for it on the next round; ask me \u201cwhere is my return?\u201d any time.",
        "zh": "快递员会在下一趟上门取件，随时问我“我的退货到哪了”。",
    },
    "return_status": {
        "en": "Your return {tracking} (order #{order_id}: {items}) is {status}{place}.{eta} Refund: {refund}.",
        "zh": "你的退货 {tracking}（订单 #{order_id}：{items}）{status}{place}。{eta}退款：{refund}。",
    },
    "no_returns": {
        "en": "You have no returns. To start one, say e.g. \u201creturn order 12\u201d.",
        "zh": "你没有退货记录。要退货可以说“退掉12号订单”。",
    },
    "no_returnable": {
        "en": "None of your orders can be returned right now: returns are for delivered orders, within {days} days of delivery.",
        "zh": "目前没有可以退的订单：只有已送达且在送达后 {days} 天内的订单可以退货。",
    },
    "return_no_match": {
        "en": "I can't find \u201c{what}\u201d among your delivered orders that can still be returned.",
        "zh": "在你可退货的已送达订单里没有找到“{what}”。",
    },
    # home
    "home_unavailable": {
        "en": "I can't reach the home controller right now, so I didn't change anything.",
        "zh": "暂时连不上家居控制，什么都没有改动。",
    },
    "home_confirm": {
        "en": "That would {what}. Are you sure?",
        "zh": "这会{what}。确定吗？",
    },
    "home_child": {
        "en": "A child account can't unlock doors or change the heating.",
        "zh": "儿童账户不能开锁或调节暖气。",
    },
    # account
    "profile_empty": {
        "en": "I don't have any preferences stored for you.",
        "zh": "我没有保存你的任何偏好。",
    },
    "profile": {
        "en": "Here is what I store about you: {facts}.",
        "zh": "我保存了你的这些信息：{facts}。",
    },
    "consents": {"en": "Consents: {consents}.", "zh": "授权：{consents}。"},
    "forget_confirm": {
        "en": "Delete your {fields} from your profile?",
        "zh": "从你的资料里删除{fields}？",
    },
    "nothing_to_forget": {
        "en": "I don't have your {fields} stored, so there is nothing to delete.",
        "zh": "我没有保存你的{fields}，无需删除。",
    },
    "forgot": {"en": "Done: I deleted your {fields}.", "zh": "已删除你的{fields}。"},
    "delete_all_confirm": {
        "en": (
            "Delete your whole profile, consents, sign-ins and our conversations? "
            "You'll be signed out."
        ),
        "zh": "删除你的全部偏好、授权、登录信息和聊天记录？你会被登出。",
    },
    "deleted_all": {
        "en": "Done: your profile, consents, sign-ins and conversations are deleted.",
        "zh": "已删除你的偏好、授权、登录信息和聊天记录。",
    },
    "export": {
        "en": "Here is everything stored about you ({n} orders included) as JSON in the actions.",
        "zh": "你的全部数据（含 {n} 个订单）已作为 JSON 放在结果里。",
    },
    "saved": {"en": "Noted: {facts}.", "zh": "记下了：{facts}。"},
    "not_saved_consent": {
        "en": (
            "I did not store your skin type or concerns because you haven't allowed it. "
            'Say "you can remember my skin type" if you want me to.'
        ),
        "zh": "你没有授权保存肤质信息，所以我没有记录。如果需要，请说“可以记住我的肤质”。",
    },
    "nothing_to_save": {
        "en": "I didn't find a preference to note in that.",
        "zh": "我没有从中找到可以记录的偏好。",
    },
    "consent_granted": {
        "en": "Thanks, I may now store your {purpose} data.",
        "zh": "好的，已授权保存{purpose}信息。",
    },
    "consent_revoked": {
        "en": "Done, I no longer use {purpose} data.",
        "zh": "好的，已撤销{purpose}授权。",
    },
    "llm_note": {"en": "", "zh": ""},
}


def say(key: str, language: str, /, **values: Any) -> str:
    """The template ``key`` in ``language`` (English when missing), filled with ``values``."""
    variants = TEMPLATES[key]
    return variants.get(language, variants["en"]).format(**values)
