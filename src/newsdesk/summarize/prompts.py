"""Prompts, the glossary and the JSON schemas the model must fill.

PROMPT_VERSION is part of the summary cache key: change it with any prompt.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

from newsdesk import config
from newsdesk.summarize import words

PROMPT_VERSION = "2026-12-04.2"

LANGUAGES = {"en": "English", "zh": "Simplified Chinese"}


@lru_cache(maxsize=4)
def glossary(extra: str = "") -> tuple[tuple[str, str], ...]:
    """Domain terms and their translations: built-in, then the user's file."""
    text = files("newsdesk").joinpath("data/glossary.tsv").read_text(encoding="utf-8")
    path = Path(extra or config.get("glossary") or config.home() / "glossary.tsv").expanduser()
    if path.exists():
        text += "\n" + path.read_text(encoding="utf-8")
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if "\t" in line:
            zh, en = line.split("\t", 1)
            pairs[zh.strip()] = en.strip()
    return tuple(pairs.items())


def system_prompt(language: str) -> str:
    """The one system prompt of every rewrite call (identical, so llama.cpp caches it)."""
    target = LANGUAGES.get(language, language)
    rules = [
        f"You rewrite sentences from a news article as short, plain {target} sentences.",
        "Keep every fact, number, name and date exactly; add nothing that is not in the sentence.",
    ]
    if language == "en":
        rules.append("Never output Chinese characters: translate or transliterate every name.")
        rules.append("Where the request lists terms, use those translations.")
    return "\n".join(rules)


# Terms listed with one request at most (the longest that occur).
MAX_TERMS = 8


def terms(text: str, language: str) -> str:
    """The glossary entries that occur in ``text``, as a line for the request ("" if none).

    Measured with the bundled 1.5B model: the whole glossary in the system
    prompt was read as loose hints (镝 and 铽 came out as "Di and Te"; 赣州 =
    Ganzhou turned 江西铜业 into "Ganzhou Copper"). The few entries that occur
    in the sentence, next to it, are followed; a term inside a longer listed
    one (稀土 in 重稀土) is not listed again.
    """
    if language != "en":
        return ""
    found: list[tuple[str, str]] = []
    for zh, en in sorted(glossary(), key=lambda t: -len(t[0])):
        if zh in text and not any(zh in longer for longer, _ in found):
            found.append((zh, en))
    for zh, en in names_in(text):
        if not any(zh in longer or longer in zh for longer, _ in found):
            found.append((zh, en))
    if not found:
        return ""
    return "Terms: " + "; ".join(f"{zh} = {en}" for zh, en in found[:MAX_TERMS]) + ".\n"


# Names every rewrite writes right without help: not listed.
_KNOWN = frozenset({"中国", "美国", "中华人民共和国"})


def names_in(text: str) -> list[tuple[str, str]]:
    """Places, people and organizations of ``text`` with their usual English in CC-CEDICT.

    Measured on the WMT21 tuning part: the 1.5B model invents a nearby or
    better-known name for a place it does not know ("southern China" for
    合肥); the dictionary's English, listed beside the sentence, is followed.
    Only whole words (jieba) that CC-CEDICT lists as names and not also as
    common words; the leading capitalized words of the entry (成都 "Chengdu
    subprovincial city ..." -> Chengdu).
    """
    out: list[tuple[str, str]] = []
    for w in dict.fromkeys(words.cut(text)):
        if len(w) < 2 or w in _KNOWN or words.english(w):
            continue
        name = words.proper_english(w) or ""
        if name and not name.replace(" ", "").isupper():  # 日电 "NEC" in 26日电: no
            out.append((w, name))
    return out


_CN_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|亿|万)")
_UNITS = {"万": 1e4, "亿": 1e8, "万亿": 1e12}


def plain_numbers(text: str) -> str:
    """Chinese myriad units as plain figures: 5.2万吨 -> 52,000吨, 62亿元 -> 6.2 billion元.

    Measured: the 1.5B model renders 万 (10,000) as "million" (5.2万吨 became
    "5.2 million tonnes"). The model reads, and the judge checks against, the
    same sentence with the figure written out; the value is unchanged.
    """

    def plain(m: re.Match[str]) -> str:
        value = round(float(m.group(1)) * _UNITS[m.group(2)], 2)
        if value >= 1e12:
            return f"{value / 1e12:.4g} trillion"
        if value >= 1e9:
            return f"{value / 1e9:.4g} billion"
        if value >= 1e6:
            return f"{value / 1e6:.4g} million"
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"

    return _CN_NUMBER.sub(plain, text)


def _sentence(plain: str, language: str, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The sentence to rewrite and the glossary terms it contains (and ``extra`` terms)."""
    listed = terms(plain, language)
    if extra:
        more = "; ".join(f"{zh} = {en}" for zh, en in extra)
        listed = (listed.rstrip(".\n") + "; " if listed else "Terms: ") + more + ".\n"
    return f"Sentence: {plain}\n{listed}\n"


def point_request(sentence: str, language: str, *, heading: bool = False) -> str:
    """Ask for one sentence rewritten on its own (one call per point keeps each aligned)."""
    target = LANGUAGES.get(language, language)
    plain = plain_numbers(sentence)
    article = "an" if target[:1] in "AEIOU" else "a"
    named = (
        f', and "heading", {article} {target} heading of at most 5 words naming its topic'
        if heading
        else ""
    )
    return (
        _sentence(plain, language)
        + f'Return JSON: "point", a faithful {target} translation of the sentence as one '
        "plain sentence of at most 30 words (leave out a minor clause if it is longer): its "
        "numbers with their units, its names, who did what; no word it does not state"
        f"{named}."
    )


def close_request(
    sentence: str, language: str, focus: str = "", extra: tuple[tuple[str, str], ...] = ()
) -> str:
    """Ask again, more literally, for a point the judge did not find in its sentence.

    ``focus`` ("hedge 预计", "said 认为"): what the first rewrite dropped, named;
    ``extra``: terms to list besides the glossary's (words the first left in pinyin).
    """
    target = LANGUAGES.get(language, language)
    plain = plain_numbers(sentence)
    dropped = fidelity_kind(focus)
    keep = dropped[0].keep.format(word=dropped[1]) if dropped else ""
    return (
        _sentence(plain, language, extra)
        + f'Return JSON: "point", a close {target} rendering of the sentence, clause by clause: '
        "keep its subject, verbs, numbers and names as they are; do not summarize, explain or add."
        + keep
    )


# The note of a closer rewrite begins so (brief.RETRIED): what it still drops goes to the judge.
CLOSE_NOTE = "rewritten closely"


class Dropped(NamedTuple):
    """A kind of source fidelity a claim can drop (``verify.fidelity_focus``) and its words."""

    name: str  # in the exact check's note: "speaker dropped (认为)"
    keep: str  # added to the closer rewrite's request
    ask: str  # the judge's question line, for a closer rewrite that still drops it


# The 1.5B judge reads "if it worsens" and "it worsens" alike unless the question names it.
DROPPED = {
    "hedge": Dropped(
        "condition or expectation",
        " Keep its condition or expectation ({word}): write if, may, would, expected "
        "or plans; do not state it as a fact.",
        "The passage states a condition, plan or expectation ({word}), not a fact. "
        "Check that the claim keeps it (if, may, would, expected, plans) and does not say it "
        "happened.\n",
    ),
    "said": Dropped(
        "speaker",
        " Keep who says or thinks it ({word}): write says, said, believes or according to.",
        "The passage says who states or believes this ({word}). Check that the claim "
        "keeps the speaker (says, believes, according to) and does not state it as a fact.\n",
    ),
}


def fidelity_kind(focus: str) -> tuple[Dropped, str] | None:
    """The kind and the source's word of a fidelity focus ("said 认为"), or None (a negation)."""
    kind, _, word = focus.partition(" ")
    return (DROPPED[kind], word) if kind in DROPPED else None


def core_request(title: str, sentence: str, language: str) -> str:
    """Ask for the core viewpoint: one sentence saying what the article reports."""
    target = LANGUAGES.get(language, language)
    plain = plain_numbers(sentence)
    return (
        f"Title: {title}\nKey sentence: {plain}\n"
        f"{terms(title + plain, language)}\n"
        f'Return JSON: "core", one {target} sentence of at most 40 words saying what the '
        "key sentence reports, using only its facts and names (the title is context for "
        "names); add no place, person or quality it does not state."
    )


def repair_request(text: str) -> str:
    """Ask to remove leftover Chinese from an English sentence."""
    return (
        f"Sentence: {text}\n{terms(text, 'en')}\n"
        'Return JSON: "text", the same sentence entirely in English, '
        "with every Chinese word translated or transliterated."
    )


JUDGE_SYSTEM = (
    "You check news summaries. Answer YES only if the passage states the claim: the same "
    "facts, numbers, direction and actors. Answer NO if the claim adds, changes or reverses "
    "anything, or if the passage is about something else."
)


JUDGE_ONE_WORD = " Answer YES or NO."


def judge_request(passage: str, claim: str, focus: str = "") -> str:
    """Ask whether a passage supports a claim.

    ``focus`` names what to check: a negation on one side only, or a condition,
    hedge or speaker of the source the claim dropped (``verify.fidelity_focus``).
    """
    return (
        f"Passage: {plain_numbers(passage)}\n\nClaim: {claim}\n\n"
        + _focus(focus)
        + "Does the passage support the claim?"
    )


def _focus(focus: str) -> str:
    """The question's line naming what to check: a negation, a hedge or a speaker."""
    if focus in NEGATION_FOCUS:
        return NEGATION_FOCUS[focus]
    dropped = fidelity_kind(focus)
    return dropped[0].ask.format(word=dropped[1]) if dropped else ""


# Asked when the exact check finds a negation on one side only: the question
# names it, since the 1.5B judge reads past "not" (measured on the WMT21 tuning part).
NEGATION_FOCUS = {
    "claim only": "The claim says something is not so (not, no, never, un-, without). "
    "Check that the passage says the same negative thing.\n",
    "source only": "The passage contains a negation (不, 没, 未, 无, 非). "
    "Check that the claim keeps its meaning and does not turn it into the opposite.\n",
}


def _strings(**max_length: int) -> dict[str, object]:
    """JSON schema of an object whose fields, all required, are strings of bounded length."""
    return {
        "type": "object",
        "properties": {k: {"type": "string", "maxLength": n} for k, n in max_length.items()},
        "required": list(max_length),
    }


POINT_SCHEMA = _strings(point=600)
HEADING_CHARS = 80
HEADED_POINT_SCHEMA = _strings(point=600, heading=HEADING_CHARS)
CORE_SCHEMA = _strings(core=400)
REPAIR_SCHEMA = _strings(text=500)
JUDGE_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["YES", "NO"]}},
    "required": ["answer"],
}
