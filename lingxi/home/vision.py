"""Camera frames -> hand landmarks: the only module that imports MediaPipe (and its OpenCV).

Needs the optional extra ``[vision]`` (``mediapipe==0.10.21``, the last release whose wheel
ships the palm-detection and hand-landmark models; later releases download them, which an
offline home cannot). The landmarks go to :class:`lingxi.home.gestures.GestureModels`, the same
classifier the ``landmarks`` API takes, so a frame and a client-side landmark set act alike.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lingxi.errors import InvalidInputError, UnavailableError

__all__ = ["MAX_FRAME_BYTES", "MAX_FRAME_SIDE", "HandLandmarker", "HandPose", "decode_frame"]

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 8 * 1024 * 1024
"""A frame larger than this (8 MiB) is refused before decoding."""
MAX_FRAME_SIDE = 4096
"""A decoded frame wider or taller than this is refused (decoding bombs)."""
_NEEDS_VISION = "Camera gestures need the optional extra: pip install 'lingxi[vision]'."


@dataclass(frozen=True)
class HandPose:
    """One hand seen in a frame."""

    landmarks: NDArray[np.float64]
    """21 (x, y) points in pixels, MediaPipe's order (wrist first, then thumb to little finger)."""
    width: int
    """Frame width in pixels."""
    height: int
    """Frame height in pixels."""
    handedness: str
    """"Left" or "Right" as MediaPipe labels it (for a mirrored selfie frame)."""
    score: float
    """MediaPipe's handedness confidence, 0-1."""


def decode_frame(image: bytes) -> NDArray[np.uint8]:
    """A JPEG/PNG/WebP/BMP frame -> an RGB array; anything else is bad input naming ``image``.

    Needs only OpenCV (installed with the ``[vision]`` extra), so a bad frame is refused before
    MediaPipe is loaded (its import and graph take seconds on a busy machine).
    """
    if not image:
        raise InvalidInputError.for_field("image", "a JPEG or PNG image", "0 bytes")
    if len(image) > MAX_FRAME_BYTES:
        raise InvalidInputError.for_field(
            "image", f"at most {MAX_FRAME_BYTES} bytes", f"{len(image)} bytes"
        )
    try:
        import cv2  # type: ignore[import-not-found, unused-ignore]
    except ImportError as err:
        raise UnavailableError(_NEEDS_VISION, field="image") from err
    try:
        frame = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as err:
        raise InvalidInputError.for_field(
            "image", "a JPEG or PNG image", f"{len(image)} bytes"
        ) from err
    if frame is None or frame.ndim != 3 or min(frame.shape[:2]) < 16:
        raise InvalidInputError.for_field(
            "image", "a JPEG or PNG image of at least 16x16 pixels", f"{len(image)} bytes"
        )
    if max(frame.shape[:2]) > MAX_FRAME_SIDE:
        raise InvalidInputError.for_field(
            "image",
            f"at most {MAX_FRAME_SIDE} pixels a side",
            f"{frame.shape[1]}x{frame.shape[0]}",
        )
    return np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))


class HandLandmarker:
    """MediaPipe Hands on still frames, one graph kept warm per instance (thread-safe).

    Parameters
    ----------
    min_detection_confidence
        Palm-detection score under which no hand is reported.
    """

    def __init__(self, *, min_detection_confidence: float = 0.5) -> None:
        if not 0 < min_detection_confidence <= 1:
            raise InvalidInputError.for_field(
                "min_detection_confidence", "a probability in (0, 1]", min_detection_confidence
            )
        try:
            import mediapipe as mp  # type: ignore[import-not-found, unused-ignore]
        except ImportError as err:
            raise UnavailableError(_NEEDS_VISION, field="image") from err
        # Building the graph costs 0.1-0.3 s; one graph serves every frame (static mode:
        # each frame is detected on its own, no tracking between unrelated frames).
        self._hands: Any = mp.solutions.hands.Hands(
            static_image_mode=True,
            max_num_hands=1,
            model_complexity=1,
            min_detection_confidence=min_detection_confidence,
        )
        self._lock = threading.Lock()

    def find_hand(self, image: bytes) -> HandPose | None:
        """The most confident hand in an encoded frame, or None when no hand is seen."""
        return self.find_hand_rgb(decode_frame(image))

    def find_hand_rgb(self, rgb: NDArray[np.uint8]) -> HandPose | None:
        """The most confident hand in a decoded RGB frame (:func:`decode_frame`), or None."""
        height, width = rgb.shape[:2]
        with self._lock:
            result = self._hands.process(rgb)
        if not result.multi_hand_landmarks:
            return None
        points = result.multi_hand_landmarks[0].landmark
        label = result.multi_handedness[0].classification[0]
        landmarks = np.array([[p.x * width, p.y * height] for p in points], dtype=np.float64)
        return HandPose(landmarks, width, height, str(label.label), float(label.score))

    def close(self) -> None:
        """Release the MediaPipe graph."""
        with self._lock:
            self._hands.close()
