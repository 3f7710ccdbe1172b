"""The learned tier: an intent classifier and a device-type head on multilingual e5 embeddings.

It sits between Home Assistant's exact templates (tier 1) with Lingxi's rules (tier 2) and the
optional LLM: it answers when those find no command. One model reads both languages, since
the e5 embeddings put "make a coffee" and "来杯咖啡" close together. Values (numbers, colours,
list items) and the home's own names still come from the language data; which device is
meant, when the text names none of the home's names, comes from the device-type head and then
the nearest of the home's entities of that type (its names, aliases and device class, embedded
with the same encoder).

The model file ``models/nlu.npz`` ships in the package and is rebuilt by
``lingxi home train-nlu`` (see :mod:`lingxi.home._training`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lingxi.errors import UnavailableError

__all__ = [
    "CLASSES",
    "DOMAINS",
    "FRAMES",
    "LearnedModel",
    "Prediction",
    "load_model",
    "model_available",
]

CLASSES: tuple[str, ...] = (
    "none",
    "on",
    "off",
    "light_up",
    "light_down",
    "light_set",
    "color",
    "temp_set",
    "temp_up",
    "temp_down",
    "temp_get",
    "position",
    "fan_speed",
    "volume_set",
    "volume_up",
    "volume_down",
    "mute",
    "unmute",
    "pause",
    "unpause",
    "next",
    "previous",
    "vacuum_start",
    "vacuum_dock",
    "query",
    "list_add",
)
"""The frame classes: a Home Assistant intent with the direction of a relative change."""

DOMAINS: tuple[str, ...] = (
    "light",
    "switch",
    "fan",
    "climate",
    "cover",
    "lock",
    "media_player",
    "vacuum",
)

FRAMES: dict[str, tuple[str, str | None]] = {
    "on": ("on", None),
    "off": ("off", None),
    "light_up": ("up", "brightness"),
    "light_down": ("down", "brightness"),
    "light_set": ("set", "brightness"),
    "color": ("set", "color"),
    "temp_set": ("set", "temperature"),
    "temp_up": ("up", "temperature"),
    "temp_down": ("down", "temperature"),
    "temp_get": ("query_temp", None),
    "position": ("set", "position"),
    "fan_speed": ("set", "percentage"),
    "volume_set": ("set", "volume"),
    "volume_up": ("up", "volume"),
    "volume_down": ("down", "volume"),
    "mute": ("mute", None),
    "unmute": ("unmute", None),
    "pause": ("pause", None),
    "unpause": ("unpause", None),
    "next": ("next", None),
    "previous": ("previous", None),
    "vacuum_start": ("vacuum_start", None),
    "vacuum_dock": ("vacuum_dock", None),
    "query": ("query", None),
    "list_add": ("list_add", None),
}
"""Class -> (action, kind) of the rule tier's frame, so both tiers build commands one way."""

MIN_INTENT_P = 0.5
"""Below this the learned tier says nothing (the request stays no_intent)."""
MIN_DOMAIN_P = 0.45

_FILE = "models/nlu.npz"


@dataclass(frozen=True)
class Prediction:
    """What the learned tier reads in a text."""

    label: str
    p: float
    domain: str | None
    domain_p: float


def _softmax(z: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = z - z.max()
    e = np.exp(z)
    return np.asarray(e / e.sum(), dtype=np.float32)


@dataclass(frozen=True)
class LearnedModel:
    """Two softmax heads over ``[standardised embedding, 1]``: frame class and device domain."""

    intent_w: npt.NDArray[np.float32]
    domain_w: npt.NDArray[np.float32]
    mean: npt.NDArray[np.float32]
    scale: npt.NDArray[np.float32]

    def predict(self, vector: npt.NDArray[np.float32]) -> Prediction:
        """The most likely class and domain of one embedding."""
        x = np.append((vector - self.mean) / self.scale, np.float32(1.0))
        pi = _softmax(x @ self.intent_w)
        pd = _softmax(x @ self.domain_w)
        i, d = int(pi.argmax()), int(pd.argmax())
        return Prediction(CLASSES[i], float(pi[i]), DOMAINS[d], float(pd[d]))

    def save(self, path: Path, *, encoder: str) -> None:
        """Write the weights (float16: a small file) with the class lists and the encoder."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                intent_w=self.intent_w.astype(np.float16),
                domain_w=self.domain_w.astype(np.float16),
                mean=self.mean,
                scale=self.scale,
                classes=np.array(CLASSES),
                domains=np.array(DOMAINS),
                encoder=np.array(encoder),
            )

    @classmethod
    def load(cls, path: Path) -> LearnedModel:
        """Read a model file; refuses one made for other classes or another encoder."""
        from lingxi.home._embed import EMBEDDING_MODEL

        with np.load(path, allow_pickle=False) as data:
            if (
                tuple(str(c) for c in data["classes"]) != CLASSES
                or str(data["encoder"]) != EMBEDDING_MODEL
            ):
                raise UnavailableError(
                    f"The home NLU model {path} does not fit this version; "
                    "rebuild it with 'lingxi home train-nlu'."
                )
            return cls(
                data["intent_w"].astype(np.float32),
                data["domain_w"].astype(np.float32),
                data["mean"].astype(np.float32),
                data["scale"].astype(np.float32),
            )


def model_path() -> Path:
    """Where the shipped model file is."""
    return Path(str(resources.files("lingxi.home").joinpath(_FILE)))


def model_available() -> bool:
    """True when the package ships the model file."""
    return model_path().is_file()


@cache
def load_model() -> LearnedModel:
    """The shipped model (read once per process)."""
    return LearnedModel.load(model_path())
