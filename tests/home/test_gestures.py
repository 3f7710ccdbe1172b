"""Gesture classifiers: normalisation, the shipped model, training, and gesture events."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lingxi.data.repos.identity import Member
from lingxi.errors import InvalidInputError
from lingxi.home import HomeController
from lingxi.home.gestures import (
    GestureClassifier,
    GestureModels,
    load_gesture_csv,
    normalise_landmarks,
    split_train_test,
)
from tests.conftest import SHARED_DATA

GESTURES = SHARED_DATA / "home" / "gestures"


def _open_hand() -> np.ndarray:
    """An open palm in pixels: fingers spread upwards from the wrist."""
    wrist = np.array([300.0, 400.0])
    points = [wrist]
    for finger, angle in enumerate((-60, -25, -5, 15, 35)):
        for joint in range(1, 5):
            r = 35.0 * joint + (10 if finger == 0 else 30)
            a = math.radians(angle - 90)
            points.append(wrist + r * np.array([math.cos(a), math.sin(a)]))
    return np.array(points)


def test_normalisation_matches_the_training_data() -> None:
    """Wrist-relative, scaled by the largest coordinate: the first point is 0, max |v| is 1."""
    features = normalise_landmarks(_open_hand())
    assert features.shape == (42,)
    assert features[0] == features[1] == 0
    assert np.abs(features).max() == pytest.approx(1.0)


def test_bad_landmarks_are_refused() -> None:
    """Wrong shapes or NaN name the field."""
    with pytest.raises(InvalidInputError, match="landmarks"):
        normalise_landmarks(np.zeros((5, 2)))
    with pytest.raises(InvalidInputError, match="landmarks"):
        normalise_landmarks(np.full((21, 2), np.nan))


def test_shipped_model_recognises_held_out_rows() -> None:
    """The shipped weights classify rows of the held-out split well."""
    models = GestureModels.from_package()
    for model, file in ((models.pose, "keypoint.csv"), (models.motion, "point_history.csv")):
        x, y = load_gesture_csv(GESTURES / file)
        _, _, x_test, y_test = split_train_test(x, y, seed=0)
        assert model.score(x_test, y_test) > 0.9


def test_classifier_learns_a_small_problem() -> None:
    """Fit/predict on two separable blobs; unfitted use is a clear error."""
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(-2, 0.3, (50, 4)), rng.normal(2, 0.3, (50, 4))])
    y = np.array([0] * 50 + [1] * 50)
    model = GestureClassifier(hidden=8, epochs=100).fit(x, y)
    assert model.score(x, y) == 1.0
    with pytest.raises(LookupError):
        GestureClassifier().predict(x)
    with pytest.raises(InvalidInputError, match="features"):
        model.predict(np.zeros((1, 3)))


def test_landmarks_gesture_acts_through_bindings(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """A clockwise fingertip trajectory after naming the bedroom light brightens it."""
    owner = members["owner"]
    controller.handle("set the bedroom light to 40%", owner)
    x, y = load_gesture_csv(GESTURES / "point_history.csv")
    clockwise = x[y == 1][0].reshape(16, 2) * np.array([960.0, 540.0])
    result = controller.gesture_from_landmarks(owner, history=clockwise, width=960, height=540)
    assert result.commands[0]["gesture"] == "clockwise"
    assert result.ok
    [row] = controller.state(owner.household_id, "light.bedroom")
    assert row["attributes"]["brightness"] > 102


def test_camera_frames_without_the_extra_name_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without MediaPipe, building the hand landmarker says which extra to install."""
    import sys

    from lingxi.errors import UnavailableError
    from lingxi.home.vision import HandLandmarker

    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(UnavailableError, match=r"lingxi\[vision\]"):
        HandLandmarker()
