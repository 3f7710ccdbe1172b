"""Gesture classifiers: held-out accuracy and landmark-to-action latency.

Trains both MLPs (``lingxi.home.gestures``) on a stratified 80 % of
``../shared/data/home/gestures`` (seed 0) and scores the other 20 %. Baseline in the same
run: nearest class centroid on the same split. Latency: one classification of a landmark set
with the shipped model (camera frames need the ``[gesture]`` extra and are not timed here).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._common import SHARED_DATA, write_result
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


def main() -> None:
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
        },
    )


if __name__ == "__main__":
    main()
