"""Voice: WAV handling, the home grammar, and spoken commands end to end (espeak-ng audio)."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np
import pytest

from lingxi.data.repos.identity import Member
from lingxi.errors import InvalidInputError
from lingxi.home import HomeController
from lingxi.home.evaluation import demo_home
from lingxi.home.voice import home_grammar, read_wav


def _wav(samples: np.ndarray, rate: int = 22050, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())
    return buffer.getvalue()


def test_wav_is_resampled_to_16k_mono() -> None:
    """A 22.05 kHz stereo second becomes 16,000 mono samples."""
    stereo = np.zeros(22050 * 2)
    pcm, duration = read_wav(_wav(stereo, channels=2))
    assert duration == pytest.approx(1.0)
    assert len(pcm) == 16000 * 2


@pytest.mark.parametrize("data", [b"", b"RIFF\x00\x00garbage", b"\x00" * 1000])
def test_corrupt_audio_is_refused(data: bytes) -> None:
    """Not a WAV: bad input naming the field."""
    with pytest.raises(InvalidInputError, match="audio"):
        read_wav(data)


def test_grammar_names_the_homes_devices() -> None:
    """The grammar lists the home's own names and areas."""
    grammar = home_grammar(demo_home())
    assert "kitchen light" in grammar
    assert "living room" in grammar
    assert "#JSGF" in grammar


def _espeak(text: str) -> bytes:
    return subprocess.run(
        ["espeak-ng", "-s", "130", "--stdout", text], capture_output=True, check=True
    ).stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="apt-get install espeak-ng")
def test_spoken_commands_end_to_end(controller: HomeController, members: dict[str, Member]) -> None:
    """espeak-ng speech -> PocketSphinx with the home grammar -> the same path as text."""
    pytest.importorskip("pocketsphinx", reason="pip install 'lingxi[voice]'")
    owner = members["owner"]
    result = controller.handle_audio(_espeak("turn off the floor lamp"), owner)
    assert result.commands[0]["transcript"] == "turn off the floor lamp"
    assert result.ok
    result = controller.handle_audio(_espeak("set the bedroom light to fifty percent"), owner)
    assert result.ok
    [row] = controller.state(owner.household_id, "light.bedroom")
    assert row["attributes"]["brightness"] == round(0.5 * 255)
    [latest] = controller.history(owner.household_id, entity_id="light.bedroom", limit=1)
    assert latest["source"] == "voice"
