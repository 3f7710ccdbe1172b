"""Camera frames -> hand landmarks (MediaPipe, the ``[vision]`` extra) -> gesture -> action.

No photograph of a hand is available offline, so the hand here is drawn: a shaded palm, four
fingers and a thumb on a plain background (``_drawn_open_hand``). MediaPipe's own palm
detector and landmark model find it, and the pose classifier calls it an open palm; a blank
frame, corrupt bytes and oversized frames are the other paths.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos.identity import Member, issue_token
from lingxi.errors import InvalidInputError
from lingxi.home import HomeController
from lingxi.home.gestures import GestureModels
from tests.home.conftest import load_home

cv2 = pytest.importorskip("cv2", reason="pip install 'lingxi[vision]'")
pytest.importorskip("mediapipe", reason="pip install 'lingxi[vision]'")

from lingxi.home.vision import HandLandmarker  # noqa: E402


def _png(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", image)
    assert ok
    return bytes(buffer.tobytes())


def _drawn_open_hand(*, size: int = 480, scale: float = 0.8) -> bytes:
    """An open right palm, fingers up, shaded towards its edges, on a light grey background."""
    image = np.full((size, size, 3), 230.0, np.float32)
    cx, cy, s = size // 2, int(size * 0.6), size / 480 * scale
    parts = []

    def part(draw: object) -> None:
        mask = np.zeros((size, size), np.uint8)
        draw(mask)  # type: ignore[operator]
        parts.append(mask)

    part(lambda m: cv2.ellipse(m, (cx, cy), (int(80 * s), int(90 * s)), 0, 0, 360, 255, -1))
    part(
        lambda m: cv2.rectangle(
            m, (cx - int(50 * s), cy + int(50 * s)), (cx + int(50 * s), cy + int(250 * s)), 255, -1
        )
    )
    for dx, length, width in [(-60, 130, 19), (-20, 150, 20), (20, 145, 20), (57, 115, 17)]:
        x0, y0 = cx + int(dx * s), cy - int(50 * s)
        x1, y1 = x0 + int(dx * 0.35 * s), y0 - int(length * s)
        part(
            lambda m, a=(x0, y0), b=(x1, y1), w=width: (
                cv2.line(m, a, b, 255, int(2 * w * s), cv2.LINE_AA),
                cv2.circle(m, b, int(w * s), 255, -1, cv2.LINE_AA),
            )
        )
    t0, t1 = (cx - int(70 * s), cy + int(20 * s)), (cx - int(160 * s), cy - int(60 * s))
    part(
        lambda m: (
            cv2.line(m, t0, t1, 255, int(44 * s), cv2.LINE_AA),
            cv2.circle(m, t1, int(22 * s), 255, -1, cv2.LINE_AA),
        )
    )
    skin = np.array((120, 160, 215), np.float32)  # BGR
    for mask in parts:
        alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 1.0)[..., None]
        depth = cv2.distanceTransform(mask, cv2.DIST_L2, 5)
        shade = (0.7 + 0.3 * depth / (depth.max() + 1e-6))[..., None]
        edge = (alpha[..., 0] > 0.05) & (alpha[..., 0] < 0.6)
        image[edge] = image[edge] * 0.4 + np.array((70, 90, 130)) * 0.6
        image = image * (1 - alpha) + skin * shade * alpha
    noise = np.random.default_rng(0).normal(0, 4, image.shape)
    return _png(np.clip(image + noise, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def landmarker() -> Iterator[HandLandmarker]:
    hands = HandLandmarker()
    yield hands
    hands.close()


def test_a_drawn_open_hand_gives_21_landmarks_classified_open(landmarker: HandLandmarker) -> None:
    """MediaPipe finds the hand; its landmarks lie on the hand; the classifier says open."""
    hand = landmarker.find_hand(_drawn_open_hand())
    assert hand is not None
    assert hand.landmarks.shape == (21, 2)
    assert (hand.width, hand.height) == (480, 480)
    wrist, middle_tip = hand.landmarks[0], hand.landmarks[12]
    assert middle_tip[1] < wrist[1] - 100  # fingers up: the tip is well above the wrist
    assert ((hand.landmarks > 0) & (hand.landmarks < 480)).all()
    label, confidence = GestureModels.from_package().classify_pose(hand.landmarks)
    assert label == "open", (label, confidence)


def test_a_frame_without_a_hand_is_none(landmarker: HandLandmarker) -> None:
    """A blank frame has no hand."""
    assert landmarker.find_hand(_png(np.full((240, 320, 3), 200, np.uint8))) is None


@pytest.mark.parametrize(
    "image",
    [b"", b"corrupt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, _png(np.zeros((8, 8, 3), np.uint8))],
    ids=["empty", "text", "truncated-png", "tiny"],
)
def test_bad_frames_are_refused_naming_the_image(landmarker: HandLandmarker, image: bytes) -> None:
    """Corrupt, empty or tiny frames are bad input that names the field."""
    with pytest.raises(InvalidInputError, match="image"):
        landmarker.find_hand(image)


def test_an_oversized_frame_is_refused(landmarker: HandLandmarker) -> None:
    """A frame over 4096 pixels a side is refused before the model sees it."""
    with pytest.raises(InvalidInputError, match="4096"):
        landmarker.find_hand(_png(np.zeros((16, 5000, 3), np.uint8)))


def test_a_frame_acts_through_the_households_binding(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """Open palm in a frame -> the default binding (pause) on the named speaker; no hand is a
    reply that touches nothing."""
    owner = members["owner"]
    speaker = "media_player.living_room_speaker"
    controller.handle("resume the music", owner)
    result = controller.gesture_from_frame(_drawn_open_hand(), owner, target=speaker)
    assert result.ok, result.reply
    assert result.commands[0]["frame"] == [480, 480]
    assert result.commands[1]["gesture"] == "open"
    [row] = controller.state(owner.household_id, speaker)
    assert row["state"] == "paused"
    [latest] = controller.history(owner.household_id, entity_id=speaker, limit=1)
    assert latest["source"] == "gesture"
    before = controller.state(owner.household_id)
    blank = controller.gesture_from_frame(_png(np.full((240, 320, 3), 90, np.uint8)), owner)
    assert (blank.ok, blank.reason) == (False, "no_hand")
    assert controller.state(owner.household_id) == before
    controller.close()


@pytest.fixture
def api(db: Database, settings: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    members = load_home(db)
    with db.session() as s:
        token = issue_token(s, customer_id=members["owner"].customer_id)
    with TestClient(create_app(settings, database=db)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_frame_route_acts_and_refuses_corrupt_images(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    """POST /api/home/gesture/frame: a hand acts; corrupt bytes are 422 naming ``image``."""
    client, headers = api
    r = client.post("/api/home/gesture/frame", content=b"\xff\xd8 not a jpeg", headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"]["field"] == "image"
    r = client.post(
        "/api/home/gesture/frame",
        params={"target": "media_player.living_room_speaker"},
        content=_drawn_open_hand(),
        headers={**headers, "Content-Type": "image/png"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["commands"][1]["gesture"] == "open"
    r = client.post(
        "/api/home/gesture/frame",
        content=_png(np.full((100, 100, 3), 255, np.uint8)),
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["reason"] == "no_hand"
