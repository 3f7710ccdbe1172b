"""Home dashboard: toggle a light by touch and see the device's MQTT state come back; states
changed elsewhere arrive by the live stream; sliders, gestures and the action history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import (
    Server,
    demo_sign_in,
    has_route,
    keep_document,
    same_document,
    shot,
    wait_until,
)

pytestmark = pytest.mark.integration

CHEN = 1  # the Chen family's household id in the demo data
TILE_ON = "a => document.querySelector(`.tile[data-entity-id='${a[0]}']`).classList.contains('on')"


@pytest.fixture(autouse=True)
def _home_routes(server: Server) -> None:
    if not has_route(server, "/api/home/touch"):
        pytest.skip("the home routes have not landed")


def _tile(page: Any, entity_id: str) -> Any:
    return page.locator(f".tile[data-entity-id='{entity_id}'] button.tile-main")


def test_toggle_a_light_by_touch_and_see_the_state_come_back(
    page: Any, server: Server, width: str
) -> None:
    """Journey: tap a light tile; the command goes over MQTT to the device, whose reported state
    turns the tile on; the history says who did it and how."""
    if not server.hubs:
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    entity = "light.kitchen" if width == "phone" else "light.bedroom"
    hub = server.hubs[CHEN]
    demo_sign_in(page, server, "mei@demo.lingxi")
    page.click("#mainnav a[data-view=home]")
    page.wait_for_selector(".tiles")
    wait_until(page, "document.querySelector('[data-testid=live]')?.classList.contains('badge-ok')")
    tile = _tile(page, entity)
    start = hub.state(entity).state
    assert tile.get_attribute("aria-pressed") == str(start == "on").lower()
    shot(page, "home-before")

    tile.click()
    expected = "off" if start == "on" else "on"
    wait_until(page, f"a => ({TILE_ON[5:]}) === a[1]", [entity, expected == "on"])
    assert hub.state(entity).state == expected  # the simulated device itself changed
    assert any(entity.replace(".", "/") in topic for topic, _, _ in hub.received)
    # The demo's own start-up states are in the history too (by the device, same text): wait
    # for this touch's entry, not for any entry that reads the new state.
    page.wait_for_selector(f".history li:has-text('{expected}'):has-text('by touch')")
    assert "you by touch" in page.inner_text(".history li:first-child")
    shot(page, "home-after-touch")


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_a_change_made_elsewhere_arrives_by_the_stream(page: Any, server: Server) -> None:
    """A device switched by hand (its MQTT state changes) updates its tile without a reload."""
    if not server.hubs:
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    from lingxi.home.devices import DeviceState

    hub = server.hubs[CHEN]
    demo_sign_in(page, server, "mei@demo.lingxi")
    page.click("#mainnav a[data-view=home]")
    wait_until(page, "document.querySelector('[data-testid=live]')?.classList.contains('badge-ok')")
    keep_document(page)
    current = hub.state("switch.kettle").state
    flipped = "off" if current == "on" else "on"
    hub.set_state(DeviceState("switch.kettle", flipped))
    wait_until(
        page,
        "a => document.querySelector(`.tile[data-entity-id='${a[0]}'] .tile-state`)"
        ".dataset.state === a[1]",
        ["switch.kettle", flipped],
    )
    assert same_document(page)


@pytest.mark.parametrize("width", ["phone"], indirect=True)
def test_slider_and_gesture_pad(page: Any, server: Server) -> None:
    """The brightness slider sets a level; a swipe up on the pad steps the chosen light up."""
    demo_sign_in(page, server, "mei@demo.lingxi")
    page.click("#mainnav a[data-view=home]")
    page.wait_for_selector(".tiles")
    slider = page.locator("#light-study-bri")
    slider.fill("40")
    slider.dispatch_event("change")
    wait_until(page, TILE_ON, ["light.study"])
    page.select_option("#gesture-target", "light.study")
    # The slider's status toast sits over the pad on a phone: tap it away, as a person would.
    if page.locator("#toast.show").count():
        page.click("#toast")
        wait_until(
            page, "getComputedStyle(document.getElementById('toast')).visibility === 'hidden'"
        )
    pad = page.locator("[data-testid=gesture-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6
    under = (
        "([x, y]) => document.elementFromPoint(x, y)?.closest('[data-testid=gesture-pad]') !== null"
    )
    assert page.evaluate(under, [x, y]), "something covers the gesture pad"
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 80, steps=5)
    page.mouse.up()
    wait_until(
        page, "document.querySelector('[data-testid=gesture-pad]').dataset.last === 'swipe_up'"
    )
    wait_until(page, "Number(document.querySelector('#light-study-bri').value) > 40")
    shot(page, "home-gesture")
