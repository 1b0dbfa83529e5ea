"""Headings of the extractive backend: a phrase of whole words cut from the group's sentences.

Keyword triples from search-mode segmentation read as noise ("业内 · 内人 ·
人士": overlapping parts of 业内人士; "稀土 · 明星 · 对此": 明星 is half of
the name 贾明星). A heading is instead the clause of the group's sentences
that carries most of the group's shared words, cut at a whole word (jieba's
precise mode) and without a dangling function word or a lone character.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from newsdesk.summarize.words import cut
from newsdesk.text.segment import STOPWORDS

# The longest heading, in characters: a short Chinese phrase, or about 6
# English words (the model's headings are asked for at most 5 words).
HEADING_CHARS, LATIN_HEADING_CHARS = 16, 48
_HAN = re.compile(r"[\u3400-\u9fff]")
_CLAUSE = re.compile(r"[，,。；;：:、！？!?“”\"‘’'（）()《》【】\[\]—…\s]+")
# Words that neither start nor end a heading: particles, attribution verbs,
# connectives (read off the headings of the rare-earth articles).
EDGE_WORDS = frozenset(
    re.findall(
        r"\S+",
        "的 了 着 是 在 和 与 及 或 也 都 就 而 但 并 将 已 还 又 则 对 对此 据 称 说 表示 认为 "
        "指出 介绍 透露 强调 告诉 记者 目前 此外 同时 其中 因此 所以 但是 然而 不过 以及 其 这 "
        "那 这些 那些 这一 一个 等",
    )
)


def _keywords(sentences: Sequence[str]) -> Counter[str]:
    return Counter(
        w
        for s in sentences
        for w in set(cut(s))
        if len(w) >= 2 and w.lower() not in EDGE_WORDS | STOPWORDS and not w.isdigit()
    )


def heading(sentences: Sequence[str]) -> str:
    """A phrase of whole words from the sentences naming what they share ("" if none)."""
    weights = _keywords(sentences)
    best, best_score = "", 0.0
    for s in sentences:
        for clause in _CLAUSE.split(s) if _HAN.search(s) else re.split(r"[,.;:!?()\"]+", s):
            han = _HAN.search(clause) is not None
            words = _trimmed(cut(clause), HEADING_CHARS if han else LATIN_HEADING_CHARS, han)
            score = sum(weights[w] for w in set(words))
            if words and score > best_score:
                best, best_score = ("" if han else " ").join(words), score
    return best


def _trimmed(words: list[str], limit: int, han: bool) -> list[str]:
    """The words up to ``limit`` characters; no function word or lone character at an end."""
    kept: list[str] = []
    for w in words:
        if sum(len(k) + (not han) for k in kept) + len(w) > limit:
            break
        kept.append(w)

    def edge(w: str) -> bool:
        return w.lower() in (EDGE_WORDS if han else STOPWORDS) or (han and len(w) < 2)

    while kept and edge(kept[0]):
        kept.pop(0)
    while kept and edge(kept[-1]):
        kept.pop()
    return kept
