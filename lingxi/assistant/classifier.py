"""A small learned router component: multinomial naive Bayes over character and word n-grams.

Trained only on the dev split of the labelled routing sets (``routing_train.json`` next to this
module is that split, written by ``benchmarks/bench_assistant_routing.py --write-train``; a test
checks that it holds no held-out message). It generalises across wording the hand rules never saw
("my lips are chapped" shares n-grams with other guide messages) and is blended with the rules in
:class:`lingxi.assistant.router.Router` as one more piece of evidence, never as the sole judge.
Pure Python, no I/O after loading: a message is scored in well under a millisecond.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from lingxi.text import detect_language

__all__ = ["NaiveBayes", "default_classifier", "features"]

TRAIN_FILE = Path(__file__).with_name("routing_train.json")
_WORD = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]")


def features(text: str) -> list[str]:
    """Word uni/bigrams and character 2-4-grams (CJK characters count as words)."""
    norm = " ".join(text.lower().split())[:500]
    words = _WORD.findall(norm)
    out = [f"w:{w}" for w in words]
    out += [f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    compact = "".join(words) if detect_language(norm) == "zh" else " ".join(words)
    padded = f"^{compact}$"
    for n in (2, 3, 4):
        out += [f"c{n}:{padded[i : i + n]}" for i in range(len(padded) - n + 1)]
    return out


class NaiveBayes:
    """Multinomial naive Bayes with additive smoothing and a softening temperature.

    Parameters
    ----------
    alpha
        Additive (Laplace) smoothing per feature.
    temperature
        Divides the log-likelihoods before the softmax; naive Bayes is overconfident because
        overlapping n-grams are not independent.
    """

    def __init__(self, *, alpha: float = 0.3, temperature: float = 8.0) -> None:
        self.alpha = alpha
        self.temperature = temperature
        self.classes: tuple[str, ...] = ()
        self._log_prior: dict[str, float] = {}
        self._log_like: dict[str, dict[str, float]] = {}
        self._log_unseen: dict[str, float] = {}

    def fit(self, rows: Iterable[tuple[str, str]]) -> NaiveBayes:
        """Train on ``(label, text)`` rows."""
        counts: dict[str, Counter[str]] = {}
        docs: Counter[str] = Counter()
        for label, text in rows:
            docs[label] += 1
            counts.setdefault(label, Counter()).update(features(text))
        vocab = {f for c in counts.values() for f in c}
        total_docs = sum(docs.values())
        self.classes = tuple(sorted(counts))
        for label in self.classes:
            total = sum(counts[label].values()) + self.alpha * (len(vocab) + 1)
            self._log_prior[label] = math.log(docs[label] / total_docs)
            self._log_like[label] = {
                f: math.log((n + self.alpha) / total) for f, n in counts[label].items()
            }
            self._log_unseen[label] = math.log(self.alpha / total)
        return self

    def proba(self, text: str) -> dict[str, float]:
        """Posterior per label (softened by the temperature); empty when untrained."""
        if not self.classes:
            return {}
        feats = [f for f in features(text) if any(f in ll for ll in self._log_like.values())]
        scores = {}
        for label in self.classes:
            like, unseen = self._log_like[label], self._log_unseen[label]
            scores[label] = (
                self._log_prior[label] + sum(like.get(f, unseen) for f in feats)
            ) / self.temperature
        top = max(scores.values())
        exp = {k: math.exp(v - top) for k, v in scores.items()}
        norm = sum(exp.values())
        return {k: v / norm for k, v in exp.items()}


PARAMS: dict[str, tuple[float, float]] = {"en": (0.1, 16.0), "zh": (0.3, 4.0)}
"""``(alpha, temperature)`` per language: the lowest 5-fold log-loss on the dev split
(``python -m benchmarks.bench_assistant_routing --cv``)."""


@cache
def default_classifier(language: str) -> NaiveBayes:
    """The classifier for ``en`` or ``zh``, trained on the shipped dev split (cached)."""
    data = json.loads(TRAIN_FILE.read_text(encoding="utf-8"))
    rows = [(str(s), str(t)) for s, t in data.get(language, [])]
    alpha, temperature = PARAMS.get(language, (0.3, 8.0))
    return NaiveBayes(alpha=alpha, temperature=temperature).fit(rows)
