"""English queries in Chinese: the dictionary's and the bundled model's translations, cached.

Both are cached in the store (``query_translations``), so a repeated or saved
query never pays twice; text/translate.py does the translating.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from newsdesk.errors import ConfigError, ModelError, StoreError
from newsdesk.store.base import DocumentFilter, Store
from newsdesk.text.segment import STOPWORDS, Segmenter, search_tokens
from newsdesk.text.translate import MODEL_NAME as MODEL_TRANSLATOR
from newsdesk.text.translate import NAME as TRANSLATOR
from newsdesk.text.translate import (
    Concept,
    find_names,
    model_translate,
    people_and_places,
    sense_words,
    translate,
)

# Whether this search may call the model to translate an uncached English topic
# (False inside a served search: see SearchState.model_translation).
MODEL_CALLS: ContextVar[bool] = ContextVar("model_translation", default=True)


def cached_translation(store: Store, query: str) -> list[Concept]:
    """The dictionary translation of an English query, from the store's cache when there."""
    key = " ".join(query.split())  # case kept: a capitalized word may be a name (Gree)
    cached = store.get_translation(TRANSLATOR, key)
    if cached is not None:
        return [
            Concept(tuple(c["en"]), tuple(c["zh"]), tuple(c["head"]), bool(c.get("org")))
            for c in json.loads(cached)
        ]
    concepts = translate(key)
    value = [{"en": c.english, "zh": c.chinese, "head": c.head, "org": c.org} for c in concepts]
    with contextlib.suppress(StoreError):  # a read-only store still searches
        store.save_translation(TRANSLATOR, key, json.dumps(value, ensure_ascii=False))
    return concepts


@dataclass(frozen=True, slots=True)
class ModelTranslation:
    """The model's Chinese for an English topic, and the organizations it names."""

    chinese: str
    names: tuple[str, ...]  # Chinese of the query's named organizations (格力 for Gree)


def _name_hints(store: Store, query: str) -> tuple[str, list[tuple[str, str, bool]]]:
    """The query with its proper names in Chinese, and (English, Chinese, organization) of each.

    The model translates words, not names (it wrote 绿色电力 for "Gree Electric"),
    so a name CC-CEDICT knows goes to it already in Chinese: the headword the
    index holds most often (Hong Kong -> 香港, not 港澳台).
    """
    names = find_names(query)
    if not names:
        return query, []
    _, df = store.document_frequencies(sorted({w for n in names for w in n.chinese}))
    text, found = query, []
    for n in names:
        best = max(n.chinese, key=lambda w: (df.get(w, 0), -len(w)))
        if df.get(best, 0) == 0:
            continue
        english = " ".join(n.english)
        text = re.sub(r"\b" + r"[\s-]+".join(map(re.escape, n.english)) + r"\b", best, text)
        found.append((english, best, n.org))
    return text, found


def cached_model_translation(store: Store, query: str) -> ModelTranslation | None:
    """The bundled model's Chinese for an English topic, cached; None when the model fails."""
    key = " ".join(query.split())
    cached = store.get_translation(MODEL_TRANSLATOR, key)
    if cached is not None:
        value = json.loads(cached)
        chinese = str(value["chinese"])
        return ModelTranslation(chinese, tuple(value.get("names", ()))) if chinese else None
    if not MODEL_CALLS.get():
        return None  # a served search: the dictionary answers now
    hinted, names = _name_hints(store, key)
    try:
        chinese = model_translate(hinted)
    except (ConfigError, ModelError):  # no usable model: the dictionary answers instead
        return None
    # A model that still drops or spells out a name it was given (冬季奥运会 for 冬奥会,
    # the news's word): the name leads the translation.
    missing = [zh for _, zh, _ in names if zh not in chinese]
    chinese = "".join(missing) + chinese if chinese else ""
    orgs = [zh for _, zh, org in names if org]
    with contextlib.suppress(StoreError):
        value = json.dumps({"chinese": chinese, "names": orgs}, ensure_ascii=False)
        store.save_translation(MODEL_TRANSLATOR, key, value)
    return ModelTranslation(chinese, tuple(orgs)) if chinese else None


# --- the news's own word for two of the topic's English words ----------------------

NEWS_WORDS = "news-2"  # cache key of news_words; bump when its output changes

# The first BM25 documents of a model-translated topic read for the news's words,
# and how many of them must use a word. Set once (a first page and a tenth of it),
# not tuned.
NEWS_WORD_DOCS = 30


NEWS_WORD_MIN_DOCS = 3


@dataclass(frozen=True, slots=True)
class NewsWord:
    """A word the news uses for two or more of an English topic's words, and those words."""

    word: str
    english: tuple[str, ...]


def akin(a: str, b: str) -> bool:
    """Whether two English words are one word's forms: the same once a plural, a "y"
    or an agent or adjective ending goes (security, securities; regulator,
    regulatory), not two words alike but for their last letters (price, prime)."""
    return a == b or _stem(a) == _stem(b)


_ENDINGS = ("ies", "ory", "ors", "ion", "ing", "es", "or", "ed", "s", "y", "e")


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def glossed(word: str, english: Sequence[str]) -> set[str]:
    """The words of ``english`` that one of ``word``'s CC-CEDICT senses uses."""
    senses = sense_words().get(word, ())
    return {e for e in english if any(akin(e, m) for m in senses)}


def news_words(
    store: Store, query: str, chinese: Sequence[str], segmenter: Segmenter | None = None
) -> list[NewsWord]:
    """Words the news writes for two of ``query``'s English words together, cached.

    The model spells a topic out word by word (石油和天然气 for "oil and gas",
    证券监管 for "securities regulator") where the news has one word for the pair
    (油气 "oil and gas", 证监会 "China Securities Regulatory Commission"). Such a
    word is found in the first NEWS_WORD_DOCS BM25 documents of the translation's
    ``chinese`` words (titles and leads, in NEWS_WORD_MIN_DOCS of them at least)
    when its CC-CEDICT senses use two or more of the query's content words and no
    one word of the translation's (or one found before it) already does (快件 for
    快递 "express delivery").
    A person or a place says who or where, not what: never one.
    """
    query = " ".join(query.split())
    # Keyed by the translation too: another model's Chinese finds other news words.
    key = query + " => " + " ".join(chinese)
    cached = store.get_translation(NEWS_WORDS, key)
    if cached is not None:
        return [NewsWord(w, tuple(e)) for w, e in json.loads(cached)]
    english = sorted(
        {w for w in re.findall(r"[a-z]+", query.lower()) if len(w) >= 3 and w not in STOPWORDS}
    )
    found: list[NewsWord] = []
    top: list[tuple[str, float]] = []
    if len(english) >= 2 and chinese:
        top = store.lexical_search(list(chinese), DocumentFilter(), NEWS_WORD_DOCS)
        counts: Counter[str] = Counter()
        for doc in store.get_many([d for d, _ in top]):
            text = doc.title + "\n" + "\n".join(doc.paragraphs[:6])
            counts.update(
                {t for t in search_tokens(text, segmenter) if len(t) >= 2 and not t.isascii()}
            )
        said = [glossed(w, english) for w in chinese]
        for word, n in counts.most_common():
            if n < NEWS_WORD_MIN_DOCS:
                break
            if word in chinese or word in people_and_places():
                continue
            matched = glossed(word, english)
            if len(matched) >= 2 and not any(matched <= s for s in said):
                found.append(NewsWord(word, tuple(sorted(matched))))
                said.append(matched)  # 中国证监会 after 证监会 says nothing more
    if len(top) < NEWS_WORD_DOCS:
        return found  # a store too small to say yet: asked again once it holds more
    with contextlib.suppress(StoreError):
        value = json.dumps([[n.word, n.english] for n in found], ensure_ascii=False)
        store.save_translation(NEWS_WORDS, key, value)
    return found
