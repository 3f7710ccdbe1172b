"""Smart-home latency: text command -> MQTT publish (warm), and gesture classification.

A :class:`HomeController` over the real MQTT driver and a simulated device hub on the
Mosquitto broker (``LINGXI_MQTT__URL`` or mqtt://127.0.0.1:1883), SQLite in a temporary
directory. For each request the clock starts when the text is handed to ``handle`` and stops
when the driver publishes the first command (``to_publish``); ``round_trip`` is until the
device's new state is back and recorded. Requests are the natural-phrasing sets' commands
(both languages), excluding no-match rows and the ones that need a confirmation.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, write_result
from lingxi.config import MQTTSettings, get_settings
from lingxi.data import Database, upgrade
from lingxi.data.repos.identity import Member
from lingxi.errors import LingxiError
from lingxi.home import HomeController
from lingxi.home.devices import DeviceState
from lingxi.home.drivers.mqtt import MQTTDriver, SimulatedHub
from lingxi.home.evaluation import demo_home, load_natural_set, store_home

NATURAL = ROOT / "tests" / "home" / "data"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(_percentile(values, 0.5) * 1000, 2),
        "p95_ms": round(_percentile(values, 0.95) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
    }


def main() -> None:
    url = get_settings().mqtt.url or "mqtt://127.0.0.1:1883"
    tag = uuid.uuid4().hex[:8]
    mqtt = MQTTSettings(url=url, base_topic=f"lingxibench_{tag}", discovery_prefix=f"habench_{tag}")
    home = demo_home()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db.engine)
        hid = store_home(db, home, name="bench")
        hub = SimulatedHub(
            settings=mqtt,
            household_id=hid,
            entities=home.entities,
            states={
                "climate.living_room": DeviceState(
                    "climate.living_room", "cool", {"temperature": 24}
                ),
            },
        )
        driver = MQTTDriver(settings=mqtt, timeout_s=2.0)
        controller = HomeController(db, driver=driver)
        member = Member(0, hid, "owner", "bench", "")
        marks: dict[str, float] = {}
        publish = driver._mqtt.client.publish

        def timed_publish(topic: str, *args: Any, **kwargs: Any) -> Any:
            if topic.endswith("/set") and "first" not in marks:
                marks["first"] = time.perf_counter()
            return publish(topic, *args, **kwargs)

        driver._mqtt.client.publish = timed_publish  # type: ignore[method-assign]
        texts = [
            c.text
            for lang in ("en", "zh")
            for c in load_natural_set(NATURAL / f"natural_{lang}.txt")
            if c.commands
            and not any(
                x.intent in ("HassGetState", "HassClimateGetTemperature") for x in c.commands
            )
        ]
        controller.handle("turn on the kitchen light", member)  # warm up
        to_publish: list[float] = []
        round_trip: list[float] = []
        parse_only: list[float] = []
        failures = 0
        for text in texts:
            t = time.perf_counter()
            controller.parse(text, hid, context_area="living_room")
            parse_only.append(time.perf_counter() - t)
            marks.clear()
            t0 = time.perf_counter()
            try:
                controller.handle(text, member, context_area="living_room", confirmed=True)
            except LingxiError:
                failures += 1
                continue
            t1 = time.perf_counter()
            if "first" in marks:
                to_publish.append(marks["first"] - t0)
                round_trip.append(t1 - t0)
        driver.withdraw()
        controller.close()
        hub.close(clear_retained=True)
        db.dispose()
    write_result(
        "bench_home_latency",
        {
            "requests": len(texts),
            "refused": failures,
            "text_to_publish": _summary(to_publish),
            "text_to_state_recorded": _summary(round_trip),
            "parse_only": _summary(parse_only),
            "target_p95_ms": 25,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    )


if __name__ == "__main__":
    main()
