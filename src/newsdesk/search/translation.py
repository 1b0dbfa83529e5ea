"""English queries in Chinese: the dictionary's and the bundled model's translations, cached.

Both are cached in the store (``query_translations``), so a repeated or saved
query never pays twice; text/translate.py does the translating.
"""

from __future__ import annotations

import contextlib
import json
import re
from contextvars import ContextVar
from dataclasses import dataclass

from newsdesk.errors import ConfigError, ModelError, StoreError
from newsdesk.store.base import Store
from newsdesk.text.translate import MODEL_NAME as MODEL_TRANSLATOR
from newsdesk.text.translate import NAME as TRANSLATOR
from newsdesk.text.translate import (
    Concept,
    find_names,
    model_translate,
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
    # A model that still drops a named organization: the name leads the translation.
    missing = [zh for _, zh, org in names if org and zh not in chinese]
    chinese = "".join(missing) + chinese if chinese else ""
    orgs = [zh for _, zh, org in names if org]
    with contextlib.suppress(StoreError):
        value = json.dumps({"chinese": chinese, "names": orgs}, ensure_ascii=False)
        store.save_translation(MODEL_TRANSLATOR, key, value)
    return ModelTranslation(chinese, tuple(orgs)) if chinese else None
