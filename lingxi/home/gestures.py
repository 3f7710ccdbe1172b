"""Hand gestures: a small numpy MLP over MediaPipe hand landmarks and fingertip trajectories.

Two classifiers share one estimator class: hand *poses* from 21 landmarks (open, close,
pointer, ok) and *motions* from 16 fingertip positions (stop, clockwise, counter_clockwise,
move). Inputs are normalised as in the training data (kinivi/hand-gesture-recognition-
mediapipe, Apache-2.0): landmarks relative to the wrist and scaled by the largest absolute
coordinate; trajectories relative to the first point and divided by the image size. The
trained weights ship in ``lingxi/home/models/gestures.npz``; camera frames become landmarks in
``lingxi.home.vision`` (optional extra ``[vision]``, MediaPipe); the classifier needs neither.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lingxi.errors import InvalidInputError, NotFoundError, UnavailableError

__all__ = [
    "MOTION_LABELS",
    "POSE_LABELS",
    "GestureClassifier",
    "GestureModels",
    "load_gesture_csv",
    "normalise_history",
    "normalise_landmarks",
    "split_train_test",
    "train_gesture_models",
]

POSE_LABELS = ("open", "close", "pointer", "ok")
MOTION_LABELS = ("stop", "clockwise", "counter_clockwise", "move")
_MODEL_FILE = "models/gestures.npz"

Array = NDArray[np.float64]


def _points(points: Any, field: str) -> Array:
    try:
        return np.asarray(points, dtype=np.float64)
    except (ValueError, TypeError):  # ragged rows ([[1, 2], [3]]) or non-numbers
        raise InvalidInputError.for_field(field, "a list of (x, y) points", points) from None


def normalise_landmarks(points: Any) -> Array:
    """21 (x, y[, z]) hand landmarks in pixels -> 42 features as in the training data."""
    arr = _points(points, "landmarks")
    if arr.ndim != 2 or arr.shape[0] != 21 or arr.shape[1] < 2 or not np.isfinite(arr).all():
        raise InvalidInputError.for_field("landmarks", "21 finite (x, y) points", arr.shape)
    rel = arr[:, :2] - arr[0, :2]
    flat: Array = rel.reshape(-1)
    scale = float(np.abs(flat).max())
    return flat / scale if scale > 0 else flat


def normalise_history(points: Any, *, width: float, height: float) -> Array:
    """16 fingertip (x, y) positions in pixels -> 32 features as in the training data."""
    arr = _points(points, "history")
    if arr.shape != (16, 2) or not np.isfinite(arr).all():
        raise InvalidInputError.for_field("history", "16 finite (x, y) points", arr.shape)
    if width <= 0 or height <= 0:
        raise InvalidInputError.for_field("width/height", "positive", (width, height))
    rel: Array = (arr - arr[0]) / np.array([width, height])
    return rel.reshape(-1)


def load_gesture_csv(path: Path) -> tuple[Array, NDArray[np.int64]]:
    """``label, f1, f2, ...`` rows -> (features, labels)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    y = np.array([int(r[0]) for r in rows], dtype=np.int64)
    x = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float64)
    return x, y


def split_train_test(
    x: Array, y: NDArray[np.int64], *, test_share: float = 0.2, seed: int = 0
) -> tuple[Array, NDArray[np.int64], Array, NDArray[np.int64]]:
    """A stratified random split: the same share of each class is held out."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test[idx[: int(round(len(idx) * test_share))]] = True
    return x[~test], y[~test], x[test], y[test]


class GestureClassifier:
    """A one-hidden-layer MLP (ReLU, softmax) trained with Adam on full batches.

    Parameters
    ----------
    hidden
        Hidden units.
    epochs
        Passes over the training data.
    learning_rate
        Adam step size.
    l2
        Weight decay.
    seed
        Initialisation seed.
    """

    def __init__(
        self,
        *,
        hidden: int = 64,
        epochs: int = 400,
        learning_rate: float = 0.01,
        l2: float = 1e-4,
        seed: int = 0,
    ) -> None:
        if hidden < 1:
            raise InvalidInputError.for_field("hidden", "an int in [1, inf)", hidden)
        if epochs < 1:
            raise InvalidInputError.for_field("epochs", "an int in [1, inf)", epochs)
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.l2 = l2
        self.seed = seed

    def fit(self, x: Array, y: NDArray[np.int64]) -> GestureClassifier:
        """Learn the weights (``w1_``, ``b1_``, ``w2_``, ``b2_``)."""
        rng = np.random.default_rng(self.seed)
        n, d = x.shape
        k = int(y.max()) + 1
        self.n_classes_ = k
        params = {
            "w1": rng.normal(0, np.sqrt(2 / d), (d, self.hidden)),
            "b1": np.zeros(self.hidden),
            "w2": rng.normal(0, np.sqrt(2 / self.hidden), (self.hidden, k)),
            "b2": np.zeros(k),
        }
        m = {key: np.zeros_like(v) for key, v in params.items()}
        v = {key: np.zeros_like(val) for key, val in params.items()}
        onehot = np.eye(k)[y]
        for step in range(1, self.epochs + 1):
            h = np.maximum(0, x @ params["w1"] + params["b1"])
            p = _softmax(h @ params["w2"] + params["b2"])
            g_logits = (p - onehot) / n
            grads = {
                "w2": h.T @ g_logits + self.l2 * params["w2"],
                "b2": g_logits.sum(0),
            }
            g_h = (g_logits @ params["w2"].T) * (h > 0)
            grads["w1"] = x.T @ g_h + self.l2 * params["w1"]
            grads["b1"] = g_h.sum(0)
            for key in params:
                m[key] = 0.9 * m[key] + 0.1 * grads[key]
                v[key] = 0.999 * v[key] + 0.001 * grads[key] ** 2
                m_hat = m[key] / (1 - 0.9**step)
                v_hat = v[key] / (1 - 0.999**step)
                params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
        self.w1_, self.b1_, self.w2_, self.b2_ = (
            params["w1"],
            params["b1"],
            params["w2"],
            params["b2"],
        )
        return self

    def predict_proba(self, x: Array) -> Array:
        """Class probabilities, one row per sample."""
        if not hasattr(self, "w1_"):
            raise NotFoundError("The gesture classifier is not fitted.", field="model")
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != self.w1_.shape[0]:
            raise InvalidInputError.for_field(
                "features", f"{self.w1_.shape[0]} values per sample", x.shape[1]
            )
        h = np.maximum(0, x @ self.w1_ + self.b1_)
        return _softmax(h @ self.w2_ + self.b2_)

    def predict(self, x: Array) -> NDArray[np.int64]:
        """The most likely class of each sample."""
        return np.asarray(self.predict_proba(x).argmax(1), dtype=np.int64)

    def score(self, x: Array, y: NDArray[np.int64]) -> float:
        """Accuracy on ``(x, y)``."""
        return float((self.predict(x) == y).mean())

    def weights(self, prefix: str) -> dict[str, Array]:
        """The learnt arrays, keyed ``<prefix>_w1`` and so on."""
        return {
            f"{prefix}_w1": self.w1_,
            f"{prefix}_b1": self.b1_,
            f"{prefix}_w2": self.w2_,
            f"{prefix}_b2": self.b2_,
        }

    @classmethod
    def from_weights(cls, arrays: Any, prefix: str) -> GestureClassifier:
        """A fitted classifier from saved arrays."""
        model = cls(hidden=int(arrays[f"{prefix}_w1"].shape[1]))
        model.w1_ = np.asarray(arrays[f"{prefix}_w1"])
        model.b1_ = np.asarray(arrays[f"{prefix}_b1"])
        model.w2_ = np.asarray(arrays[f"{prefix}_w2"])
        model.b2_ = np.asarray(arrays[f"{prefix}_b2"])
        model.n_classes_ = int(model.w2_.shape[1])
        return model


def _softmax(z: Array) -> Array:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(1, keepdims=True), dtype=np.float64)


@dataclass
class GestureModels:
    """The pose and motion classifiers, with a confidence threshold."""

    pose: GestureClassifier
    motion: GestureClassifier
    min_confidence: float = 0.6

    @classmethod
    def from_package(cls) -> GestureModels:
        """The shipped weights (trained by :func:`train_gesture_models`)."""
        ref = resources.files("lingxi.home").joinpath(_MODEL_FILE)
        with resources.as_file(ref) as path:
            if not path.exists():
                raise UnavailableError(
                    "The gesture model is not installed; train it with "
                    "`lingxi home train-gestures`.",
                    field="model",
                )
            with np.load(path) as arrays:
                return cls(
                    GestureClassifier.from_weights(arrays, "pose"),
                    GestureClassifier.from_weights(arrays, "motion"),
                )

    def save(self, path: Path) -> None:
        """Write both classifiers' weights to one ``.npz``."""
        arrays: dict[str, Any] = {**self.pose.weights("pose"), **self.motion.weights("motion")}
        np.savez_compressed(path, **arrays)

    def _label(
        self, model: GestureClassifier, features: Array, labels: tuple[str, ...]
    ) -> tuple[str | None, float]:
        proba = model.predict_proba(features)[0]
        best = int(proba.argmax())
        confidence = float(proba[best])
        return (labels[best] if confidence >= self.min_confidence else None), confidence

    def classify_pose(self, landmarks: Any) -> tuple[str | None, float]:
        """A hand pose from 21 landmarks: (label or None if unsure, confidence)."""
        return self._label(self.pose, normalise_landmarks(landmarks), POSE_LABELS)

    def classify_motion(
        self, history: Any, *, width: float, height: float
    ) -> tuple[str | None, float]:
        """A fingertip motion from 16 positions: (label or None if unsure, confidence)."""
        features = normalise_history(history, width=width, height=height)
        return self._label(self.motion, features, MOTION_LABELS)


def train_gesture_models(
    data_dir: Path, *, seed: int = 0, test_share: float = 0.2
) -> tuple[GestureModels, dict[str, float]]:
    """Train both classifiers on ``keypoint.csv`` and ``point_history.csv`` in ``data_dir``.

    Returns the models (fitted on the training split only) and their held-out accuracies.
    """
    report: dict[str, float] = {}
    models: list[GestureClassifier] = []
    for name, file in (("pose", "keypoint.csv"), ("motion", "point_history.csv")):
        x, y = load_gesture_csv(data_dir / file)
        x_train, y_train, x_test, y_test = split_train_test(x, y, test_share=test_share, seed=seed)
        model = GestureClassifier(seed=seed).fit(x_train, y_train)
        report[f"{name}_train_accuracy"] = round(model.score(x_train, y_train), 4)
        report[f"{name}_heldout_accuracy"] = round(model.score(x_test, y_test), 4)
        report[f"{name}_heldout_n"] = len(y_test)
        models.append(model)
    return GestureModels(models[0], models[1]), report
