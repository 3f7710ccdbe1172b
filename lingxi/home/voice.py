"""Voice: audio in -> text (then the same path as typed text); text -> speech.

One adapter, two recognisers behind :class:`SpeechRecognizer`:

* :class:`GrammarRecognizer`: PocketSphinx (optional extra ``[voice]``, English) with a JSGF
  grammar generated from the home's own names, areas and command phrasings; offline and fast;
* :class:`ServerRecognizer`: any OpenAI-compatible ``/v1/audio/transcriptions`` server
  (``LINGXI_HOME__STT_URL``), for Chinese and free speech.

Spoken replies use ``espeak-ng`` as a separate process (Debian package ``espeak-ng``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import numpy as np

from lingxi.errors import InvalidInputError, UnavailableError
from lingxi.home.model import Home

__all__ = [
    "GrammarRecognizer",
    "ServerRecognizer",
    "SpeechRecognizer",
    "Transcript",
    "home_grammar",
    "read_wav",
    "speak",
]

SAMPLE_RATE = 16000
MAX_AUDIO_S = 30.0


@dataclass(frozen=True)
class Transcript:
    """What was heard."""

    text: str
    confidence: float
    engine: str
    duration_s: float


class SpeechRecognizer(Protocol):
    """Audio (16 kHz mono 16-bit PCM) -> text."""

    def transcribe(self, pcm: bytes, *, language: str) -> Transcript:
        """Recognise one utterance."""
        ...


def read_wav(data: bytes) -> tuple[bytes, float]:
    """A WAV file -> (16 kHz mono 16-bit PCM, duration in seconds); refuses anything else."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, frames = (
                w.getnchannels(),
                w.getsampwidth(),
                w.getframerate(),
                w.getnframes(),
            )
            raw = w.readframes(frames)
    except (wave.Error, EOFError) as err:
        raise InvalidInputError.for_field("audio", "a PCM WAV file", f"{len(data)} bytes") from err
    if width != 2 or channels not in (1, 2) or not 8000 <= rate <= 48000:
        raise InvalidInputError.for_field(
            "audio",
            "16-bit PCM, mono or stereo, 8-48 kHz",
            f"{channels} ch, {8 * width} bit, {rate} Hz",
        )
    samples = np.frombuffer(raw, dtype=np.int16).astype(np.float64)
    if channels == 2:
        samples = samples.reshape(-1, 2).mean(1)
    duration = len(samples) / rate
    if duration > MAX_AUDIO_S or duration < 0.1:
        raise InvalidInputError.for_field(
            "audio", f"0.1 to {MAX_AUDIO_S:g} seconds long", f"{duration:.1f} s"
        )
    if rate != SAMPLE_RATE:
        n = int(len(samples) * SAMPLE_RATE / rate)
        samples = np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples)
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes(), duration


_NUMBERS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
]


def _words(text: str) -> str:
    cleaned = "".join(ch if ch.isalpha() or ch == " " else " " for ch in text.casefold())
    return " ".join(cleaned.split())


def home_grammar(home: Home) -> str:
    """A JSGF grammar of English commands over the home's names, aliases and areas."""
    things = set()
    for e in home.entities:
        for name in (e.name, *e.aliases):
            if name.isascii() and _words(name):
                things.add(_words(name))
    areas = {
        _words(n) for a in home.areas for n in (a.name, *a.aliases) if n.isascii() and _words(n)
    }
    kinds = [
        "lights",
        "light",
        "lamp",
        "fan",
        "blinds",
        "curtains",
        "music",
        "speaker",
        "vacuum",
        "ac",
        "heating",
    ]

    def alt(items: Any) -> str:
        return " | ".join(sorted(items))

    tens = "twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety"
    units = "one | two | three | four | five | six | seven | eight | nine"
    teens = "ten | eleven | twelve | thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen"
    return f"""#JSGF V1.0;
grammar home;
public <command> = <switch> | <set> | <relative> | <media> | <lock> | <vacuum>;
<switch> = (turn | switch) (on | off) <target> | (open | close) <target>;
<set> = set <target> to <number> [percent | degrees];
<relative> = (make | turn) <target> (brighter | dimmer | warmer | cooler | up | down) | dim <target>;
<media> = (pause | resume | stop) the (music | speaker) | (next | previous) (song | track);
<lock> = (lock | unlock) the front door;
<vacuum> = (start | stop) the vacuum | send the vacuum home;
<target> = the (<thing> | <area> <kind> | <kind> in the <area> | <kind>);
<thing> = {alt(things)};
<area> = {alt(areas)};
<kind> = {alt(kinds)};
<number> = {units} | {teens} | ({tens}) [{units}] | one hundred;
"""


class GrammarRecognizer:
    """PocketSphinx with the home's grammar (English). Needs ``pip install 'lingxi[voice]'``."""

    def __init__(self, home: Home) -> None:
        try:
            from pocketsphinx import Decoder  # type: ignore[import-not-found, import-untyped, unused-ignore]
        except ImportError as err:
            raise UnavailableError(
                "Offline speech needs the optional extra: pip install 'lingxi[voice]'.",
                field="audio",
            ) from err
        self._decoder: Any = Decoder(
            samprate=SAMPLE_RATE, fsgusefiller=True, bestpath=False, loglevel="FATAL"
        )
        grammar = home_grammar(home)
        # Words the acoustic dictionary lacks would make the whole grammar fail to load.
        for word in set(grammar.split("grammar home;", 1)[1].replace("|", " ").split()):
            if word.isalpha() and self._decoder.lookup_word(word) is None:
                grammar = grammar.replace(f" {word} |", " ").replace(f"| {word};", ";")
        self._decoder.add_jsgf_string("home", grammar)
        self._decoder.activate_search("home")

    def transcribe(self, pcm: bytes, *, language: str) -> Transcript:
        """Decode one utterance against the grammar."""
        if not language.startswith("en"):
            raise UnavailableError(
                "The offline grammar recogniser speaks English; configure LINGXI_HOME__STT_URL "
                "for Chinese.",
                field="language",
            )
        d = self._decoder
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        text = hyp.hypstr if hyp is not None else ""
        confidence = float(hyp.prob) if hyp is not None else 0.0
        return Transcript(text, confidence, "pocketsphinx", len(pcm) / 2 / SAMPLE_RATE)


class ServerRecognizer:
    """An OpenAI-compatible transcription server (``POST {base}/v1/audio/transcriptions``)."""

    def __init__(self, base_url: str, *, model: str = "whisper-1", timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s

    def transcribe(self, pcm: bytes, *, language: str) -> Transcript:
        """Send the audio as a WAV file and return the server's text."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(pcm)
        url = (
            self.base_url
            + ("" if self.base_url.endswith("/v1") else "/v1")
            + "/audio/transcriptions"
        )
        try:
            r = httpx.post(
                url,
                files={"file": ("audio.wav", buffer.getvalue(), "audio/wav")},
                data={"model": self.model, "language": language.split("-")[0]},
                timeout=self.timeout_s,
            )
            r.raise_for_status()
            text = str(r.json().get("text", ""))
        except (httpx.HTTPError, ValueError) as err:
            raise UnavailableError(f"The transcription server failed: {err}") from err
        return Transcript(text.strip(), 1.0, "server", len(pcm) / 2 / SAMPLE_RATE)


def speak(text: str, *, language: str = "en") -> bytes:
    """A WAV of ``text`` spoken by espeak-ng (English; Mandarin needs pinyin input)."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise UnavailableError("Spoken replies need espeak-ng (apt-get install espeak-ng).")
    if len(text) > 1000:
        raise InvalidInputError.for_field("text", "at most 1000 characters", text[:40] + "...")
    voice = "cmn-latn-pinyin" if language.startswith("zh") else "en"
    try:
        done = subprocess.run(
            [binary, "-v", voice, "--stdout", text], capture_output=True, timeout=20, check=True
        )
    except (subprocess.SubprocessError, OSError) as err:
        raise UnavailableError(f"espeak-ng failed: {err}") from err
    return done.stdout
