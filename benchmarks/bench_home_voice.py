"""Spoken commands end to end: espeak-ng audio -> PocketSphinx with the home grammar -> action.

Needs ``espeak-ng`` (Debian) and the ``[voice]`` extra; skipped (and said so) without them.
Phrases are commands for the demo home written before tuning; each is synthesised at 130
words per minute (about 1.5-3 s), transcribed, and carried out on the in-memory devices.
Reports exact-transcript rate, word error rate, the share carried out as intended, and the
real-time factor. The same phrases typed are the baseline (always carried out as intended).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks._common import write_result
from lingxi.data import Database, upgrade
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import Member, create_household
from lingxi.errors import LingxiError
from lingxi.home import HomeController
from lingxi.home.evaluation import demo_home
from lingxi.home.voice import GrammarRecognizer, read_wav

PHRASES = [
    ("turn on the kitchen light", "light.kitchen"),
    ("set the bedroom light to fifty percent", "light.bedroom"),
    ("turn off the floor lamp", "light.floor_lamp"),
    ("lock the front door", "lock.front_door"),
    ("pause the music", "media_player.living_room_speaker"),
    ("turn off the lights in the bedroom", "light.bedroom"),
    ("open the blinds", "cover.bedroom_blinds"),
    ("start the vacuum", "vacuum.robot"),
    ("switch on the porch light", "light.porch"),
    ("set the ac to twenty two degrees", "climate.living_room"),
    ("turn on the fan", "fan.bedroom"),
    ("turn off the coffee maker", "switch.coffee_maker"),
]


def _wer(ref: str, hyp: str) -> float:
    r, h = ref.split(), hyp.split()
    d = [[i + j if i * j == 0 else 0 for j in range(len(h) + 1)] for i in range(len(r) + 1)]
    for i in range(1, len(r) + 1):
        for j in range(1, len(h) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (r[i - 1] != h[j - 1])
            )
    return d[len(r)][len(h)] / max(1, len(r))


def main() -> None:
    if shutil.which("espeak-ng") is None:
        write_result("bench_home_voice", {"skipped": "espeak-ng is not installed"})
        return
    try:
        import pocketsphinx  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        write_result("bench_home_voice", {"skipped": "pip install 'lingxi[voice]'"})
        return
    home = demo_home()
    recognizer = GrammarRecognizer(home)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{Path(tmp) / 'voice.db'}")
        upgrade(db.engine)
        with db.session() as s:
            hid = create_household(s, name="voice")
            for a in home.areas:
                repo.create_area(
                    s,
                    household_id=hid,
                    area_id=a.area_id,
                    name=a.name,
                    aliases=a.aliases,
                    floor=a.floor,
                )
            for e in home.entities:
                repo.create_entity(
                    s,
                    household_id=hid,
                    entity_id=e.entity_id,
                    name=e.name,
                    area_id=e.area_id,
                    aliases=e.aliases,
                    device_class=e.device_class,
                    capabilities=e.capabilities,
                )
        controller = HomeController(db)
        member = Member(0, hid, "owner", "bench", "")
        rows = []
        audio_s = decode_s = 0.0
        for text, expected in PHRASES:
            wav = subprocess.run(
                ["espeak-ng", "-s", "130", "--stdout", text], capture_output=True, check=True
            ).stdout
            pcm, duration = read_wav(wav)
            t = time.perf_counter()
            heard = recognizer.transcribe(pcm, language="en").text
            decode_s += time.perf_counter() - t
            audio_s += duration
            acted = False
            if heard:
                try:
                    result = controller.handle(
                        heard, member, context_area="living_room", confirmed=True
                    )
                except LingxiError:  # e.g. "two degrees" misheard: refused, nothing done
                    result = None
                acted = (
                    result is not None
                    and result.ok
                    and any(expected in c.get("targets", []) for c in result.commands)
                )
            rows.append(
                {
                    "said": text,
                    "heard": heard,
                    "wer": round(_wer(text, heard), 3),
                    "acted_as_intended": acted,
                }
            )
        db.dispose()
    write_result(
        "bench_home_voice",
        {
            "phrases": len(rows),
            "exact_transcripts": sum(r["heard"] == r["said"] for r in rows),
            "mean_wer": round(sum(r["wer"] for r in rows) / len(rows), 3),
            "acted_as_intended": sum(r["acted_as_intended"] for r in rows),
            "typed_baseline_acted": len(rows),
            "audio_seconds": round(audio_s, 1),
            "real_time_factor": round(decode_s / audio_s, 3),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
