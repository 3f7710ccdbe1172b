"""Gesture classifiers: held-out accuracy and landmark-to-action latency.

Trains both MLPs (``lingxi.home.gestures``) on a stratified 80 % of
``../shared/data/home/gestures`` (seed 0) and scores the other 20 %. Baseline in the same
run: nearest class centroid on the same split. Latency: one classification of a landmark set
with the shipped model; and a camera frame to an action (``HomeController.gesture_from_frame``:
JPEG decode, MediaPipe hand landmarks, the pose classifier, the binding, the in-memory device and
the recorded history) on ``benchmarks/data/home_hand_open.jpg``, a 640x480 JPEG of a drawn open
hand (no photograph of a hand is available offline), with MediaPipe's graph already built. Needs
the ``[vision]`` extra for the frame part. The load average is recorded.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import ROOT, SHARED_DATA, write_result
from lingxi.home.gestures import (
    GestureModels,
    load_gesture_csv,
    split_train_test,
    train_gesture_models,
)


def _centroid_accuracy(file: str) -> float:
    x, y = load_gesture_csv(SHARED_DATA / "home" / "gestures" / file)
    x_tr, y_tr, x_te, y_te = split_train_test(x, y, seed=0)
    centroids = np.stack([x_tr[y_tr == k].mean(0) for k in np.unique(y_tr)])
    pred = ((x_te[:, None, :] - centroids[None]) ** 2).sum(-1).argmin(1)
    return round(float((pred == y_te).mean()), 4)


def _frame_to_action(runs: int = 50) -> dict[str, Any]:
    try:
        import mediapipe  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        return {"skipped": "pip install 'lingxi[vision]'"}
    from lingxi.data import Database, upgrade
    from lingxi.data.repos.identity import Member
    from lingxi.home import HomeController
    from lingxi.home.evaluation import demo_home, store_home

    frame = (ROOT / "benchmarks" / "data" / "home_hand_open.jpg").read_bytes()
    target = "media_player.living_room_speaker"
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{Path(tmp) / 'frames.db'}")
        upgrade(db.engine)
        hid = store_home(db, demo_home(), name="frames")
        member = Member(0, hid, "owner", "bench", "")
        controller = HomeController(db)
        t = time.perf_counter()
        first = controller.gesture_from_frame(frame, member, target=target)
        first_ms = (time.perf_counter() - t) * 1000
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            result = controller.gesture_from_frame(frame, member, target=target)
            times.append(time.perf_counter() - t)
        controller.close()
        db.dispose()
    times.sort()
    return {
        "frame": "640x480 JPEG, drawn open hand",
        "first_call_ms_with_graph_build": round(first_ms, 1),
        "recognised": first.commands[1].get("gesture") if len(first.commands) > 1 else None,
        "acted": result.ok,
        "runs": runs,
        "p50_ms": round(times[len(times) // 2] * 1000, 1),
        "p95_ms": round(times[int(len(times) * 0.95)] * 1000, 1),
    }


def main() -> None:
    load_before = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    _, report = train_gesture_models(SHARED_DATA / "home" / "gestures")
    train_s = time.perf_counter() - t0
    shipped = GestureModels.from_package()
    x, _ = load_gesture_csv(SHARED_DATA / "home" / "gestures" / "keypoint.csv")
    sample = x[0].reshape(21, 2) * 300 + 200
    times = []
    for _ in range(500):
        t = time.perf_counter()
        shipped.classify_pose(sample)
        times.append(time.perf_counter() - t)
    times.sort()
    write_result(
        "bench_home_gestures",
        {
            **report,
            "baseline_nearest_centroid": {
                "pose_heldout_accuracy": _centroid_accuracy("keypoint.csv"),
                "motion_heldout_accuracy": _centroid_accuracy("point_history.csv"),
            },
            "train_seconds": round(train_s, 1),
            "classify_p50_ms": round(times[len(times) // 2] * 1000, 3),
            "classify_p95_ms": round(times[int(len(times) * 0.95)] * 1000, 3),
            "frame_to_action": _frame_to_action(),
            "load_average": {
                "before": load_before,
                "after": [round(x, 2) for x in os.getloadavg()],
            },
        },
    )


if __name__ == "__main__":
    main()
