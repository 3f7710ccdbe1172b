"""Returns through the assistant: what goes back, the refund and the pickup, then a yes."""

from __future__ import annotations

from lingxi.assistant import Assistant
from lingxi.data import utcnow
from lingxi.data.repos import catalog, conversation as conv_repo, events, orders
from lingxi.data.repos.identity import Member
from tests.assistant.conftest import World, offline_assistant


def _assistant(world: World) -> Assistant:
    return offline_assistant(world.db)


def _deliver(world: World) -> None:
    """Mei's cleanser (out for delivery in the world) reaches her door."""
    with world.db.session() as s:
        orders.add_tracking_event(
            s, shipment_id=world.chen_shipment_id, status="delivered", place="front door"
        )


def _lei_order(world: World) -> int:
    """Lei's delivered order: a Kiehl's cleanser and a moisturiser."""
    with world.db.session() as s:
        kiehls = catalog.find_product(s, brand="KIEHL'S SINCE 1851", name_contains="Cleanser")
        cream = catalog.find_product(s, brand="FIRST AID BEAUTY", name_contains="Repair")
        assert kiehls and cream
        order = orders.create_order(
            s,
            household_id=world.lei.household_id,
            customer_id=world.lei.customer_id,
            lines=[orders.LineRequest(kiehls.id), orders.LineRequest(cream.id)],
        )
        order = orders.confirm_order(s, household_id=world.lei.household_id, order_id=order.id)
        orders.add_tracking_event(s, shipment_id=order.shipments[0].id, status="delivered")
    return order.id


def _return_events(world: World) -> list[events.Event]:
    with world.db.session() as s:
        return [
            e for e in events.pending(s, consumer="t", limit=1000) if e.topic == "return.requested"
        ]


def _returns(world: World, member: Member) -> list[orders.ShipmentView]:
    with world.db.session() as s:
        return [
            r for o in orders.list_orders(s, household_id=member.household_id) for r in o.returns
        ]


def test_return_in_english_asks_then_books_then_tracks(world: World) -> None:
    """ "I want to return the cleanser": items, refund, pickup address, a yes, then its status."""
    _deliver(world)
    a = _assistant(world)
    r = a.handle("I want to return the cleanser", world.mei)
    assert r.skill == "orders" and r.needs_confirmation
    assert "Liquid Facial Soap" in r.reply and "$19.00" in r.reply
    assert "25 Avenue Albert II" in r.reply and f"#{world.chen_order_id}" in r.reply
    assert _returns(world, world.mei) == [] and _return_events(world) == []
    r = a.handle("yes", world.mei, r.conversation_id)
    assert r.skill == "orders" and not r.needs_confirmation
    (ret,) = _returns(world, world.mei)
    assert ret.tracking_number in r.reply and "$19.00" in r.reply
    assert ret.kind == "return" and ret.refund_minor == 1900 and ret.status == "created"
    (event,) = _return_events(world)
    assert event.payload["shipment_id"] == ret.id and event.payload["kind"] == "return"
    with world.db.session() as s:
        calls = conv_repo.list_tool_calls(
            s, customer_id=world.mei.customer_id, tool="orders.request_return"
        )
        status = orders.get_order(
            s, household_id=world.mei.household_id, order_id=world.chen_order_id
        ).status
    assert [c.confirmation for c in calls] == ["confirmed"]
    assert calls[0].result["tracking_number"] == ret.tracking_number
    assert status == "return_requested"
    r = a.handle("where is my return?", world.mei, r.conversation_id)
    assert r.skill == "orders" and ret.tracking_number in r.reply
    assert "waiting for the courier" in r.reply
    # Asking again for the same item: nothing is left to return, nothing is booked twice.
    r = a.handle("I want to return the cleanser", world.mei, r.conversation_id)
    assert not r.needs_confirmation
    assert len(_return_events(world)) == 1


def test_return_in_chinese_declined_then_confirmed(world: World) -> None:
    """ "我要退货" then "不要": nothing happens; "退掉上一个订单" then "确认": booked once."""
    order_id = _lei_order(world)
    a = _assistant(world)
    r = a.handle("我要退货", world.lei)
    assert r.skill == "orders" and r.needs_confirmation and r.language == "zh"
    assert "Ultra Facial Cleanser" in r.reply and "Ultra Repair Cream" in r.reply
    assert "$58.00" in r.reply and "上门" in r.reply
    r = a.handle("不要", world.lei, r.conversation_id)
    assert not r.needs_confirmation
    assert _returns(world, world.lei) == [] and _return_events(world) == []
    with world.db.session() as s:
        calls = conv_repo.list_tool_calls(
            s, customer_id=world.lei.customer_id, tool="orders.request_return"
        )
    assert [c.confirmation for c in calls] == ["declined"]
    r = a.handle("退掉上一个订单", world.lei, r.conversation_id)
    assert r.needs_confirmation and f"#{order_id}" in r.reply
    r = a.handle("确认", world.lei, r.conversation_id)
    assert "已受理" in r.reply
    (ret,) = _returns(world, world.lei)
    assert ret.order_id == order_id and ret.refund_minor == 5800
    assert len(_return_events(world)) == 1
    r = a.handle("我的退货到哪了", world.lei, r.conversation_id)
    assert ret.tracking_number in r.reply and "等待快递员上门取件" in r.reply


def test_return_one_named_item_of_an_order(world: World) -> None:
    """Naming the product returns only its line, with only its refund."""
    order_id = _lei_order(world)
    a = _assistant(world)
    r = a.handle("can i send the moisturizer back? it broke me out", world.lei)
    assert r.needs_confirmation and "Ultra Repair Cream" in r.reply
    assert "Ultra Facial Cleanser" not in r.reply and "$34.00" in r.reply
    a.handle("yes", world.lei, r.conversation_id)
    (ret,) = _returns(world, world.lei)
    assert ret.order_id == order_id and [li["name"] for li in ret.return_lines] == [
        "FIRST AID BEAUTY Ultra Repair Cream"
    ]
    assert "broke me out" in ret.reason


def test_return_refusals(world: World) -> None:
    """A child, an undelivered order and another household's order get no confirmation."""
    a = _assistant(world)
    r = a.handle("我要退货", world.child)
    assert not r.needs_confirmation and "儿童" in r.reply
    r = a.handle(f"return order {world.chen_order_id}", world.mei)  # still out for delivery
    assert not r.needs_confirmation and "only a delivered order" in r.reply
    r = a.handle(f"return order {world.smith_order_id}", world.mei)
    assert not r.needs_confirmation and f"No order with id {world.smith_order_id}" in r.reply
    assert "Moisture Surge" not in r.reply
    r = a.handle("where is my return?", world.mei)
    assert r.skill == "orders" and "no returns" in r.reply
    assert _return_events(world) == [] and _returns(world, world.mei) == []
    with world.db.session() as s:
        assert (
            orders.get_order(
                s, household_id=world.alex.household_id, order_id=world.smith_order_id
            ).returns
            == ()
        )
    assert utcnow()  # the clock the window is measured against is the data layer's


def test_return_part_of_a_line(world: World) -> None:
    """ "Return one of the cleansers" sends back one unit of two, refunding one."""
    with world.db.session() as s:
        kiehls = catalog.find_product(s, brand="KIEHL'S SINCE 1851", name_contains="Cleanser")
        assert kiehls
        order = orders.create_order(
            s,
            household_id=world.lei.household_id,
            customer_id=world.lei.customer_id,
            lines=[orders.LineRequest(kiehls.id, 2)],
        )
        order = orders.confirm_order(s, household_id=world.lei.household_id, order_id=order.id)
        orders.add_tracking_event(s, shipment_id=order.shipments[0].id, status="delivered")
    a = _assistant(world)
    r = a.handle("I'd like to return one of the cleansers", world.lei)
    assert r.needs_confirmation and "1 × KIEHL'S" in r.reply and "$24.00" in r.reply
    assert r.actions[-1]["tool"] == "orders.request_return"  # a return, not a purchase
    r = a.handle("洗面奶我想退一瓶", world.lei)
    assert r.needs_confirmation and "1 × KIEHL'S" in r.reply
    r = a.handle("确认", world.lei, r.conversation_id)
    (ret,) = _returns(world, world.lei)
    assert ret.return_lines[0]["quantity"] == 1 and ret.refund_minor == 2400


def test_a_chinese_return_refusal_is_said_in_chinese(world: World) -> None:
    """The domain's rule (only a delivered order) in the reply's own language, not English."""
    a = _assistant(world)
    r = a.handle(f"退掉订单 {world.chen_order_id}", world.mei)  # still out for delivery
    assert not r.needs_confirmation and r.language == "zh", r.reply
    assert f"订单 #{world.chen_order_id} 还没送达，只有已送达的订单可以退货" in r.reply
    assert "only a delivered" not in r.reply
    assert _return_events(world) == []
