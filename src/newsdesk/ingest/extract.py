"""HTML pages into title, paragraphs and metadata.

Charset first: a page's bytes are decoded by the charset its HTTP header or
<meta> declares, else by its BOM, else by detection (charset-normalizer). A
declared GB2312 or GBK is decoded as GB18030, their superset: real pages that
say GB2312 routinely use GBK characters. Then trafilatura extracts the article;
readability-lxml is the fallback when trafilatura finds nothing.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from readability import Document as ReadabilityDocument

from newsdesk.errors import DecodeError, EmptyDocument

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Fewer characters than this is a navigation or error page, not an article
# (the shortest real items, Chinese news flashes, run 40+ characters).
MIN_TEXT = 15

# Chinese pages name their source in a line such as "2025年12月24日 来源：包头日报".
_SOURCE_LINE = re.compile(r"来源\s*[:：]\s*(?:<[^>]+>\s*)*([^\s<>()（）|，,]{2,20})")


@dataclass(frozen=True, slots=True)
class Extracted:
    """What extraction found in a page."""

    title: str
    paragraphs: list[str]
    date: str | None
    sitename: str | None
    url: str | None


def _codec(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# Invalid byte sequences in at most this share of a UTF-8 text are damage to
# repair (replaced, with a warning); more means another charset (detection).
# Above the second share the bytes are binary, not text.
_DAMAGED_UTF8 = 0.01
_BINARY = 0.3


def decode_bytes(data: bytes, where: str, declared: str | None = None) -> str:
    """Decode page or file bytes, trusting a declared charset only when it decodes cleanly."""
    return decode_text(data, where, declared)[0]


def decode_text(data: bytes, where: str, declared: str | None = None) -> tuple[str, str | None]:
    """Decoded text and a warning when it needed repair or detection (None when clean)."""
    candidates: list[str] = []
    for bom, enc in _BOMS:
        if data.startswith(bom):
            candidates.append(enc)
    if declared:
        candidates.append(declared)
    m = _META_CHARSET.search(data[:8192])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    for name in candidates:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            return data.decode(codec), None
        except UnicodeDecodeError:
            continue  # a wrong declaration: fall through to detection
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    repaired = data.decode("utf-8", "replace")
    bad = repaired.count("\ufffd")
    damaged = f"invalid UTF-8: {bad} bad byte sequences replaced with U+FFFD"
    if bad <= _DAMAGED_UTF8 * len(repaired):
        return repaired, damaged
    best = from_bytes(data).best()
    if best is not None and best.encoding is not None:
        codec = _codec(best.encoding) or best.encoding
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            return text, f"not UTF-8 and no charset declared: decoded as {codec} (detected)"
    if bad <= _BINARY * len(repaired):
        return repaired, damaged
    raise DecodeError(where, "cannot detect the character set; save the file as UTF-8")


def extract_html(html: str, where: str, url: str | None = None) -> Extracted:
    """Extract the article of a page: trafilatura first, readability-lxml as fallback."""
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception:  # broken markup trips asserts deep in lxml/htmldate (found by fuzzing)
        doc = None  # readability below, or a named EmptyDocument
    title = date = sitename = None
    paragraphs: list[str] = []
    if doc is not None:
        title = getattr(doc, "title", None)
        date = getattr(doc, "date", None)
        sitename = getattr(doc, "sitename", None)
        text = getattr(doc, "text", None) or ""
        paragraphs = [p for p in text.split("\n") if p.strip()]
    if not paragraphs:
        paragraphs, fallback_title = _readability(html)
        title = title or fallback_title
    chars = sum(len(p.strip()) for p in paragraphs)
    if chars < MIN_TEXT:
        raise EmptyDocument(where, f"no article text found in the page ({chars} characters)")
    if not title:
        title = _html_title(html)
    if not sitename:
        m = _SOURCE_LINE.search(html)
        sitename = m.group(1) if m else None
    return Extracted(
        title=title or "", paragraphs=paragraphs, date=date, sitename=sitename, url=url
    )


def _readability(html: str) -> tuple[list[str], str | None]:
    try:
        rd = ReadabilityDocument(html)
        tree = lxml.html.fromstring(rd.summary(html_partial=True))
        title = rd.short_title()
    except Exception:  # readability raises bare Exceptions on broken markup
        return [], None
    paragraphs = [
        " ".join(el.text_content().split())
        for el in tree.iter("p", "li", "h2", "h3", "blockquote")
        if el.text_content().strip()
    ]
    return paragraphs, title


def _html_title(html: str) -> str | None:
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    for path in ("//h1", "//title"):
        found = tree.xpath(path)
        if found:
            text = " ".join(found[0].text_content().split())
            if text:
                return text
    return None
