"""The lexical side: a query's concepts, their weights and their BM25 candidates.

jieba's search mode emits a compound and its parts, so a query's words are
grouped into concepts (``group_concepts``); each concept gets its own BM25 list,
scaled to [0, 1], and the concepts are summed with weights (``combine_concepts``).
An English query is translated first (``search.translation``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from newsdesk import config
from newsdesk.search.translation import (
    cached_model_translation,
    cached_translation,
    glossed,
    news_words,
)
from newsdesk.store.base import DocumentFilter, Store
from newsdesk.text.lang import detect_language
from newsdesk.text.segment import Segmenter, search_tokens
from newsdesk.text.translate import (
    Concept,
    model_available,
    org_aliases,
    plain_org_names,
    sense_words,
    short_forms_of,
)

# A short topic query (at most SHORT_HAN Han characters and SHORT_WORDS Latin
# words: the analyst topics of issue 16) says little for BM25 to go on
# (高性能稀土永磁体 is two concepts), and the vectors rank its topic well: it gets
# SHORT_DENSE_WEIGHT (tuned with IDF_POWER, below); the limits are the
# topic shape of eval/topics.json, not tuned.
SHORT_HAN = 10


SHORT_WORDS = 6


# Query words in more than this share of documents are left out of the BM25
# query when rarer words remain: their IDF is near zero, so they barely change
# the ranking, but scoring their long posting lists dominated query time
# (中国 occurs in 45% of the corpora: 47 ms of a 55 ms query).
COMMON_WORD_SHARE = 0.2


# A concept's weight is IDF**IDF_POWER times its agreement with the query
# vector (the mean cosine of its AGREEMENT_DOCS best BM25 documents) to
# AGREEMENT_POWER. These and SHORT_DENSE_WEIGHT, TRANSLATED_TRUST and
# MODEL_TRUST were chosen together by bench/tune_fusion.py's grid on tuning
# data only (dev topics, first halves of cmrc2018, FinNA and XQuAD en->zh):
# the best mean of Chinese and English dev precision@20 and XQuAD nDCG@10 among
# the settings that keep cmrc2018 and FinNA within 0.003 of the old ranking.
# Agreement 0 gave Chinese dev precision 0.74-0.83, 2 gave 0.93 (README).
IDF_POWER = 1.0


AGREEMENT_POWER = 2.0


AGREEMENT_DOCS = 10  # the first page of a concept's BM25 list; not tuned


# Chinese words kept per translated English concept: the ones the index holds
# most often among the dictionary's headwords ("price" -> 价格, 价钱, 物价).
TRANSLATIONS_PER_CONCEPT = 3


# An English topic's named organization (Huawei, Gree: a capitalized run that
# CC-CEDICT names as a company or brand) is what the analyst follows: its
# concept's weight is multiplied by NAME_WEIGHT, so "Huawei smartphone market
# share" ranks Huawei stories above smartphone stories. Chosen on the English
# dev topics (README).
NAME_WEIGHT = 3.0


@dataclass(frozen=True, slots=True)
class QueryConcept:
    """One concept of a query: index words, any of which expresses it, and its weight."""

    words: tuple[str, ...]
    weight: float  # IDF of the concept's own word (the compound, or the most common translation)
    present: bool  # whether any of its words is indexed
    translated: str = ""  # "dictionary" or "model" when its words are a translation
    name: bool = False  # an organization the English query names (see NAME_WEIGHT)


@dataclass(frozen=True, slots=True)
class LexicalEvidence:
    """The query's concepts and each one's BM25 candidates (empty when skipped)."""

    concepts: tuple[QueryConcept, ...]
    lists: tuple[tuple[tuple[str, float], ...], ...]
    coverage: float
    # A question's or a summary's one BM25 list over all its words (see lexical_evidence).
    plain: tuple[tuple[str, float], ...] | None = None
    translation: str = ""  # the model's Chinese for an English topic, searched in its place

    @property
    def translated(self) -> str:
        """How the query's words were translated: "dictionary", "model" or "" (not at all)."""
        return next((c.translated for c in self.concepts if c.translated), "")


def group_concepts(tokens: Sequence[str]) -> list[list[str]]:
    """Search-mode words grouped by the longest word each is part of.

    jieba's search mode emits a compound and its parts (高性能 -> 高性, 性能,
    高性能); counting each part as a query word counts one concept several
    times. Each word no other Han query word contains names a concept; the
    words inside it are its alternatives. Latin words are concepts of their own.
    """
    words = list(dict.fromkeys(tokens))
    han = [w for w in words if not w.isascii()]
    groups = []
    for w in words:
        if w.isascii():
            groups.append([w])
        elif not any(w != o and w in o for o in han):
            groups.append([o for o in han if o in w])
    return groups


def _idf(total: int, n: int) -> float:
    return math.log(1 + (total - n + 0.5) / (n + 0.5))


def query_concepts(
    store: Store, query: str, segmenter: Segmenter | None = None
) -> tuple[list[QueryConcept], int, dict[str, int], str]:
    """The concepts of ``query`` with their weights, the index size, the words' frequencies
    and the model's Chinese translation ("" when none).

    An English query is translated (text/translate.py, cached in the store): a
    topic-short one by the bundled model when it is installed, whose Chinese is
    then segmented like a Chinese query; any other by the dictionary, whose
    concepts carry their English words and their Chinese headwords.
    """
    text, by_model = query, False
    names: tuple[str, ...] = ()
    translated: list[tuple[list[str], Concept]] = []
    translator = config.get("query_translator")
    if translator != "off" and detect_language(query) == "en":
        model = None
        if translator == "auto" and is_topic_query(query) and model_available():
            model = cached_model_translation(store, query)
        if model:
            text, by_model = _english_left(store, model.chinese), True
            names = model.names
        else:
            for c in cached_translation(store, query):
                english = [t for w in c.english for t in search_tokens(w, segmenter)]
                translated.append((english, c))
    tokens = [] if translated else search_tokens(text, segmenter)
    groups = group_concepts(tokens)
    topic = is_topic_query(query)
    named: set[str] = set()
    if topic and not translated:
        groups, named = _name_concepts(text, tokens, groups, names, store)
        spans = _spans(text, groups)
        groups = [
            g if named.intersection(g) else g + _abbreviations(g, s)  # a name has its aliases
            for g, s in zip(groups, spans, strict=True)
        ]
    if topic and not translated:
        groups = _single_characters(text, tokens, groups, store)
    candidates = {w for g in groups for w in g}
    candidates |= {w for e, c in translated for w in (*e, *c.chinese, *c.head)}
    total, df = store.document_frequencies(sorted(candidates)) if candidates else (0, {})
    concepts = []
    for g in groups:
        present = [w for w in g if df.get(w, 0) > 0]
        n = df.get(max(g, key=len), 0) or max((df[w] for w in present), default=0)
        kind = "model" if by_model else ""
        name = any(w in named for w in g)
        concepts.append(QueryConcept(tuple(present), _idf(total, n), bool(present), kind, name))
    for english, c in translated:
        chosen = _most_indexed([*c.chinese, *c.head], df)
        present = [w for w in english if df.get(w, 0) > 0] + chosen
        # Over Chinese news an English word's frequency says little: weigh by the Chinese.
        n = max((df[w] for w in chosen or present), default=0)
        kind = "dictionary" if chosen else ""
        name = c.org and topic and bool(chosen)
        concepts.append(QueryConcept(tuple(present), _idf(total, n), bool(present), kind, name))
    if by_model and topic:
        concepts, df = _with_news_words(store, query, concepts, df, segmenter)
    return concepts, total, df, text if by_model else ""


def _with_news_words(
    store: Store,
    query: str,
    concepts: list[QueryConcept],
    df: dict[str, int],
    segmenter: Segmenter | None,
) -> tuple[list[QueryConcept], dict[str, int]]:
    """A model-translated topic's concepts with the news's words for two of its English words.

    Each word (``translation.news_words``) sharpens the concepts whose words'
    senses use one of its English words, and only when it is no more common than
    any of their words (not 商务 "business, commerce" for 电商). Where it spans
    two concepts, it and they are one concept (石油, 天然气 and 油气 for "oil and
    gas": the English says one thing); where one, it is a concept of its own,
    beside it (证监会 beside 证券监管).
    """
    words = [w for c in concepts for w in c.words]
    found = news_words(store, query, words, segmenter)
    if not found:
        return concepts, df
    total, more = store.document_frequencies(sorted({*words, *(n.word for n in found)}))
    df = {**df, **more}
    out = list(concepts)
    for news in found:
        related = [c for c in out if any(glossed(w, news.english) for w in c.words)]
        n = df.get(news.word, 0)
        if not related or not n or any(n > df.get(w, 0) > 0 for c in related for w in c.words):
            continue
        weight = _idf(total, n)
        if len(related) >= 2:
            out = [c for c in out if c not in related]
            merged = (news.word, *(w for c in related for w in c.words))
            weight = max(weight, *(c.weight for c in related))
            out.append(QueryConcept(merged, weight, True, "model", any(c.name for c in related)))
        else:
            out.append(QueryConcept((news.word,), weight, True, "model"))
    return out, df


# An English run the model left in its Chinese ("Greater Bay Area 发展", "农村
# revitalization战略"); not an all-capitals acronym the news writes too (CPI, PC),
# nor a domain ending (京东.com).
_LEFT_ENGLISH = re.compile(r"(?<![.A-Za-z0-9_])[A-Za-z][a-z]+(?:[\s-]+[A-Za-z][a-z]+)*")


def _english_left(store: Store, chinese: str) -> str:
    """The model's Chinese with the English it left untranslated in the dictionary's Chinese.

    Each concept of the run takes the dictionary headword the index holds most
    often (revitalization -> 振兴), or its first headword when the index holds
    none as one word (Greater Bay Area -> 大湾区, segmented later like the rest);
    a word the dictionary does not know stays as it is.
    """

    def fill(m: re.Match[str]) -> str:
        concepts = cached_translation(store, m.group(0))
        _, df = store.document_frequencies(sorted({w for c in concepts for w in c.chinese}))
        if not any(c.chinese for c in concepts):
            return m.group(0)
        chosen = []
        for c in concepts:
            best = _most_indexed(c.chinese, df)
            # A word the dictionary does not know stays in English beside the rest.
            chosen.append(best[0] if best else c.chinese[0] if c.chinese else " ".join(c.english))
        return "".join(chosen)

    return _LEFT_ENGLISH.sub(fill, chinese)


def _name_concepts(
    text: str, tokens: Sequence[str], groups: list[list[str]], names: Sequence[str], store: Store
) -> tuple[list[list[str]], set[str]]:
    """The query's organizations as concepts of their own: the name and its aliases.

    Segmentation splits a name the segmenter does not know (香港交易所 -> 香港,
    交易所; 中国移动通信 -> 中国, 移动, 通信), and searching its parts finds
    every Hong Kong or mobile story. An organization (one CC-CEDICT names and
    that is no common word, or one the English query named) is searched by
    itself, CC-CEDICT's other names for it (港交所) and its indexed leading part
    of three or more characters (中国移动); the groups inside it go, unless no
    story uses any of these forms.
    """
    orgs, given = plain_org_names(), set(names)
    longest = max([_longest_org(), *map(len, given)])
    starts, ends = _boundaries(text, tokens)
    found: list[str] = []
    i = 0
    while i < len(text):
        n = next(
            (
                n
                for n in range(min(longest, len(text) - i), 1, -1)
                if i in starts
                and i + n in ends
                and (text[i : i + n] in orgs or text[i : i + n] in given)
            ),
            0,
        )
        if n:
            found.append(text[i : i + n])
        i += n or 1
    out, named = groups, set()
    for name in dict.fromkeys(found):
        leading = [name[:k] for k in range(3, len(name))]
        words = [name, *sorted(org_aliases(name)), *leading]
        _, df = store.document_frequencies(words)
        words = [w for w in words if df.get(w, 0)]
        if not words:  # no story spells it so (新浪微博: 新浪 + 微博): its parts stay
            continue
        out = [g for g in out if not all(w in name for w in g)] + [words]
        named.update(words)
    return out, named


@lru_cache(maxsize=1)
def _longest_org() -> int:
    return max(map(len, plain_org_names()), default=2)


# A word of the query's characters that the segmenter split off a single character
# (粗钢 in 粗钢产量 = 粗 + 钢产量) is searched when this many documents hold it as a
# word (小程 "xiao cheng", in 1, is noise); set once, not tuned.
SPLIT_WORD_MIN_DOCS = 5


def _single_characters(
    text: str, tokens: Sequence[str], groups: list[list[str]], store: Store
) -> list[list[str]]:
    """A concept of one Han character, searched as its phrase with the word beside it.

    The segmenter splits a compound it does not know into a word and a single
    character (保障房 -> 保障 + 房, 小程序 -> 小 + 程序, 粗钢产量 -> 粗 + 钢产量),
    and the character alone matches every word it was split from (房: any
    house). It is searched as the two tokens side by side ("保障 房", a phrase
    in both stores), and as the word of its characters the index holds where
    the text is written so (粗钢); where none of these occurs, as itself.
    """
    longest = [max(g, key=len) for g in groups]
    forms: dict[int, tuple[list[str], list[str]]] = {}
    for i, group in enumerate(groups):
        char = longest[i]
        if len(group) != 1 or len(char) != 1 or char.isascii():
            continue
        if re.search(f"[A-Za-z0-9]{re.escape(char)}", text):
            continue  # A股, 5G: a letter's or a figure's word, not a split compound
        before = longest[i - 1] if i else ""
        after = longest[i + 1] if i + 1 < len(groups) else ""
        phrases, words = [], []
        if before and not before.isascii() and before + char in text:
            phrases.append(f"{before} {char}")
        if after and not after.isascii() and char + after in text:
            phrases.append(f"{char} {after}")
            at = text.find(char + after)
            words = [
                text[at : at + n]
                for n in range(2, min(3, 1 + len(after)) + 1)
                if text[at : at + n] not in tokens
            ]
        forms[i] = (phrases, words)
    if not forms:
        return groups
    _, df = store.document_frequencies(sorted({w for p, ws in forms.values() for w in (*p, *ws)}))
    out = []
    for i, group in enumerate(groups):
        if i not in forms:
            out.append(group)
            continue
        phrases, words = forms[i]
        kept = [p for p in phrases if df.get(p, 0)]
        kept += [w for w in words if df.get(w, 0) >= SPLIT_WORD_MIN_DOCS]
        out.append(kept or group)
    return out


def _boundaries(text: str, tokens: Sequence[str]) -> tuple[set[int], set[int]]:
    """Where the segmenter's words of ``text`` start and end: a name must do both there.

    So 新浪 is no name in 科技创新浪潮 (创新 + 浪潮), nor 格力 in 价格力度.
    """
    starts: set[int] = set()
    ends: set[int] = set()
    for t in set(tokens):
        at = text.find(t)
        while at >= 0:
            starts.add(at)
            ends.add(at + len(t))
            at = text.find(t, at + 1)
    return starts, ends


def _abbreviations(group: list[str], span: str = "") -> list[str]:
    """A compound's usual short forms, which news writes where a translation spells it out.

    Three sources (a form no story uses is dropped later by the index's
    frequencies): CC-CEDICT's "abbr. for" (中央银行 -> 央行, 个人所得税 -> 个税);
    a headword made of the compound's characters in order, from its first,
    whose senses are within the compound's (通货膨胀 "inflation" -> 通胀
    "inflation", 锂离子电池 "lithium ion battery" -> 锂电池 "lithium battery";
    not 中央银行 -> 中行 "Bank of China", nor 房地产 -> 房产 "real estate,
    property"); and for two two-character words the first character of each
    (民用航空 -> 民航, 高速铁路 -> 高铁). A first-character form that is a word of
    its own is kept only when its sense shares a word with the sense of each part (高铁
    "high speed rail": 高速 "high speed", 铁路 "railway"), so 一带一路 does not
    gain 一一 ("one by one"), nor 人民生活 人生. ``span`` is this group's word and
    the next one's where together they are a headword the segmenter split
    (锂离子 + 电池): its short forms join this group.
    """
    whole = max(group, key=len)
    senses = sense_words()
    out = _short_forms(whole, senses)
    if span in senses:
        out += _short_forms(span, senses)
    if len(whole) == 4 and whole[:2] in group and whole[2:] in group:
        a, b = whole[:2], whole[2:]
        short = a[0] + b[0]
        if short not in senses or all(_share(senses[short], senses.get(p, set())) for p in (a, b)):
            out.append(short)
    return [w for w in dict.fromkeys(out) if w not in group]


def _short_forms(word: str, senses: dict[str, set[str]]) -> list[str]:
    """CC-CEDICT's abbreviations of ``word``, and its headwords of ``word``'s characters in
    order, from its first, whose senses are within its own (see _abbreviations)."""
    out = sorted(short_forms_of().get(word, ()))
    if word in senses and len(word) <= MAX_SHORTENED:
        out += [
            short
            for short in _subsequences(word)
            if short in senses and _within(senses[short], senses[word])
        ]
    return out


def _spans(text: str, groups: Sequence[Sequence[str]]) -> list[str]:
    """Each group's longest word joined to the next group's, where the query writes them so."""
    longest = [max(g, key=len) for g in groups]
    pairs = zip(longest, [*longest[1:], ""], strict=True)
    return [a + b if b and a + b in text else "" for a, b in pairs]


# Compounds longer than this are not searched for shortened forms (2**(n-1) - 2 of them).
MAX_SHORTENED = 8


def _subsequences(word: str) -> list[str]:
    """Strings of two or more of ``word``'s characters in order, from its first, shorter than it."""
    rest = word[1:]
    out = []
    for size in range(1, len(rest)):
        for picked in itertools.combinations(rest, size):
            out.append(word[0] + "".join(picked))
    return out


def _within(words: set[str], other: set[str]) -> bool:
    """Whether every gloss word of ``words`` is one of ``other``'s (stems included), and
    ``other`` has at most one word more.

    通胀 and 通货膨胀 are both "inflation", 锂电池 is 锂离子电池 but "ion"; 房产
    "real estate, property" is more than 房地产 "real estate" (a divorce's house is
    房产, not the property market), 中银 "Bank of China" less than 中央银行.
    """
    extra = sum(1 for o in other if not _share(words, {o}))
    return bool(words) and extra <= 1 and all(_share(other, {w}) for w in words)


def _share(words: set[str], other: set[str]) -> bool:
    """Whether two sets of gloss words share one, a word's stem included (rail, railway)."""
    return any(
        w == o or (min(len(w), len(o)) >= 4 and (w.startswith(o) or o.startswith(w)))
        for w in words
        for o in other
    )


def _most_indexed(words: Sequence[str], df: dict[str, int]) -> list[str]:
    found = sorted((w for w in words if df.get(w, 0) > 0), key=lambda w: -df[w])
    return found[:TRANSLATIONS_PER_CONCEPT]


def lexical_evidence(
    store: Store, query: str, flt: DocumentFilter, depth: int, segmenter: Segmenter | None = None
) -> LexicalEvidence:
    """Each concept's BM25 candidates, and the lexical coverage of the query.

    Coverage is the share of the query's IDF mass carried by concepts that occur
    in the index at all: 1 when every concept is indexed, 0 for an English
    query over Chinese documents that the dictionary cannot translate.
    """
    concepts, total, df, translation = query_concepts(store, query, segmenter)
    if total == 0 or not concepts:
        return LexicalEvidence(tuple(concepts), tuple(() for _ in concepts), 0.0)
    mass = sum(c.weight for c in concepts)
    coverage = sum(c.weight for c in concepts if c.present) / mass if mass else 0.0

    def common(c: QueryConcept) -> bool:
        return all(df.get(w, 0) > COMMON_WORD_SHARE * total for w in c.words)

    rare_exists = any(c.present and not common(c) for c in concepts)
    if not is_topic_query(query) and not any(c.translated for c in concepts):
        # A question or a one-line summary: plain BM25 over all its words, as tuned
        # on cmrc2018 and FinNA (grouping them into concepts cost FinNA 0.007 nDCG@10).
        words = list(dict.fromkeys(search_tokens(query, segmenter)))
        weights = {w: _idf(total, df.get(w, 0)) for w in words}
        coverage = sum(v for w, v in weights.items() if df.get(w, 0)) / sum(weights.values())
        rare = [w for w in words if 0 < df.get(w, 0) <= COMMON_WORD_SHARE * total]
        query_words = rare or [w for w in words if df.get(w, 0) > 0]
        plain = tuple(store.lexical_search(query_words, flt, depth)) if query_words else ()
        return LexicalEvidence(tuple(concepts), tuple(() for _ in concepts), coverage, plain)
    lists = tuple(
        tuple(store.lexical_search(c.words, flt, depth))
        if c.present and not (rare_exists and common(c))
        else ()
        for c in concepts
    )
    return LexicalEvidence(tuple(concepts), lists, coverage, None, translation)


def weights_by_concept(
    concepts: Sequence[QueryConcept],
    agreement: Sequence[float] | None = None,
    idf_power: float = IDF_POWER,
    agreement_power: float = AGREEMENT_POWER,
    name_weight: float | None = None,
) -> list[float]:
    """Each concept's weight: IDF, times NAME_WEIGHT for a named organization, times agreement.

    A named organization's stories cover many subjects (百度's: search, maps,
    cars, lawsuits), so their vectors agree less with the whole query than the
    stories of its generic aspect (广告, advertising) do: a name takes the best
    agreement of the query's concepts instead of its own.
    """
    if agreement is not None and max(agreement, default=0.0) <= 0.0:
        agreement = None  # nothing agrees: IDF alone, rather than every weight 0
    boost = NAME_WEIGHT if name_weight is None else name_weight
    best = max(agreement, default=0.0) if agreement is not None else 0.0
    out = []
    for i, concept in enumerate(concepts):
        w = concept.weight**idf_power * (boost if concept.name else 1.0)
        if agreement is not None:
            a = best if concept.name else agreement[i]
            w *= max(a, 0.0) ** agreement_power
        out.append(w)
    return out


def combine_concepts(
    evidence: LexicalEvidence,
    agreement: Sequence[float] | None = None,
    idf_power: float = IDF_POWER,
    agreement_power: float = AGREEMENT_POWER,
    name_weight: float | None = None,
) -> list[tuple[str, float]]:
    """One lexical score per document: concept scores (each at most 1) weighted by IDF.

    Each concept's BM25 is scaled to [0, 1] over its candidates, so repeating a
    generic concept cannot outscore covering a specific one. ``agreement`` (see
    ``concept_agreement``) scales each concept's weight by how well its best
    documents match the whole query's vector.
    """
    if evidence.plain is not None:
        return list(evidence.plain)
    weights = weights_by_concept(
        evidence.concepts, agreement, idf_power, agreement_power, name_weight
    )
    scores: dict[str, float] = {}
    for w, found in zip(weights, evidence.lists, strict=True):
        if not found:
            continue
        top = found[0][1] or 1.0
        for d, s in found:
            scores[d] = scores.get(d, 0.0) + w * s / top
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


_HAN = re.compile(r"[\u3400-\u9fff]")


_LATIN = re.compile(r"[A-Za-z0-9]+")


def is_topic_query(query: str) -> bool:
    """Whether ``query`` is topic-short (SHORT_HAN Han characters, SHORT_WORDS Latin words)."""
    return len(_HAN.findall(query)) <= SHORT_HAN and len(_LATIN.findall(query)) <= SHORT_WORDS
