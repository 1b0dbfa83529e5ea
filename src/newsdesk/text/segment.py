"""Chinese word segmentation and the search tokens built from it.

The same function tokenizes documents at index time and queries at query time,
so a Chinese query always meets the words it was indexed under (BM25 over
unsegmented Chinese finds nothing: a run of Han characters is one "word").
Segmentation is jieba's search mode (rjieba, the same output faster), which
emits a compound and its parts (稀土永磁体 -> 稀土, 永磁, 磁体, 永磁体), plus a
dictionary of domain terms that users can extend.

Segmenters register by name in the ``newsdesk.segmenters`` entry-point group
(``SEGMENTERS``); the built-in ``jieba`` is the default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Protocol, runtime_checkable

import rjieba

from newsdesk import config
from newsdesk.errors import ConfigError
from newsdesk.plugins import Registry


@runtime_checkable
class Segmenter(Protocol):
    """Splits text into words; the one essential method of a segmenter backend."""

    name: str

    def cut(self, text: str) -> list[str]:
        """The words of ``text`` in order, compounds and their parts included."""
        ...


def _dictionary_lines(text: str, where: str) -> list[tuple[str, int]]:
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        try:
            freq = int(parts[1]) if len(parts) > 1 else 10000
        except ValueError:
            raise ConfigError(
                f"{where}:{lineno}: expected 'word [frequency]', got {line!r}"
            ) from None
        out.append((parts[0], freq))
    return out


class JiebaSegmenter:
    """jieba's search-mode segmentation (through rjieba) with domain terms."""

    name = "jieba"

    def __init__(self, user_dict: str | None = None) -> None:
        self._jieba = rjieba.Jieba()
        builtin = files("newsdesk").joinpath("data/terms.txt").read_text(encoding="utf-8")
        terms = _dictionary_lines(builtin, "newsdesk/data/terms.txt")
        path = Path(user_dict or config.get("user_dict") or config.home() / "userdict.txt")
        path = path.expanduser()
        if path.exists():
            terms += _dictionary_lines(path.read_text(encoding="utf-8"), str(path))
        elif user_dict:
            raise ConfigError(f"user dictionary {path} does not exist")
        for word, freq in terms:
            self._jieba.add_word(word, freq, None)
        self.terms = [w for w, _ in terms]

    def cut(self, text: str) -> list[str]:
        """jieba search-mode words of ``text``."""
        return list(self._jieba.cut_for_search(text, True))


SEGMENTERS: Registry[Callable[[], Segmenter]] = Registry("segmenters")
"""Segmenter factories by name: the ``newsdesk.segmenters`` entry points."""

DEFAULT_SEGMENTER = "jieba"


@lru_cache(maxsize=4)
def get_segmenter(name: str = DEFAULT_SEGMENTER) -> Segmenter:
    """The segmenter registered under ``name``, built once per process."""
    return SEGMENTERS.get(name)()


def default_segmenter() -> Segmenter:
    """The segmenter used when none is given (built once per process)."""
    return get_segmenter(DEFAULT_SEGMENTER)


_WORD = re.compile(r"\w", re.UNICODE)
# Function words that carry no topic: dropping them keeps OR queries from
# matching every document. Kept short on purpose: BM25's IDF handles the rest.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "而",
        "但",
        "对",
        "为",
        "以",
        "于",
        "将",
        "把",
        "被",
        "从",
        "到",
        "由",
        "等",
        "这",
        "那",
        "其",
        "之",
        "个",
        "有",
        "中",
        "上",
        "下",
        "吗",
        "呢",
        "吧",
        "啊",
        "哪",
        "哪些",
        "什么",
        "怎么",
        "如何",
        "为什么",
        "谁",
        "多少",
        "几",
        "是否",
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "by",
        "with",
        "as",
        "at",
        "from",
        "that",
        "this",
        "it",
        "its",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "why",
        "when",
        "where",
        "does",
        "do",
        "did",
    ]
)


def search_tokens(text: str, segmenter: Segmenter | None = None) -> list[str]:
    """Lowercased words of ``text`` for the index and for queries (no stopwords, no punctuation)."""
    seg = segmenter or default_segmenter()
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for word in seg.cut(text):
        word = word.strip()
        if word and _WORD.search(word) and word not in STOPWORDS:
            out.append(word)
    return out
