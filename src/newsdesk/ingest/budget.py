"""What ingest may spend on one item: one budget for everything it downloads or parses.

Bytes per response, file or JSONL line (on the wire and after decompression),
seconds per fetched item (in all, retries and waits included), characters per
paragraph, paragraphs per document, and the nesting depth of a record. Over
budget is an ``OverBudget`` error for that item, never a hang. The limits are
settings (``newsdesk settings`` lists them; README "Bad input").
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from newsdesk import config
from newsdesk.errors import OverBudget


@dataclass(frozen=True, slots=True)
class Budget:
    """The limits of one item."""

    max_bytes: int
    item_seconds: float
    max_paragraph_chars: int
    max_paragraphs: int
    max_depth: int

    @classmethod
    def from_settings(cls) -> Budget:
        """The budget as configured by environment variables or defaults."""
        return cls(
            max_bytes=max(1024, config.get_int("max_bytes")),
            item_seconds=max(0.1, config.get_float("item_seconds")),
            max_paragraph_chars=max(100, config.get_int("max_paragraph_chars")),
            max_paragraphs=max(1, config.get_int("max_paragraphs")),
            max_depth=max(2, config.get_int("max_depth")),
        )

    def check_size(self, size: int, where: str, what: str = "") -> None:
        """Refuse ``size`` bytes over the byte limit."""
        if size > self.max_bytes:
            raise OverBudget(
                where,
                f"over budget: {what or 'more than'} {_mib(self.max_bytes)} "
                f"(NEWSDESK_MAX_BYTES={self.max_bytes})",
            )

    def check_depth(self, value: Any, where: str) -> None:
        """Refuse a parsed JSON value nested deeper than the limit (no recursion)."""
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, dict | list):
                if depth > self.max_depth:
                    raise OverBudget(
                        where,
                        f"over budget: nested deeper than {self.max_depth} (NEWSDESK_MAX_DEPTH)",
                    )
                children = item.values() if isinstance(item, dict) else item
                stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


class Inflater:
    """Decodes a gzip/deflate body chunk by chunk, never past ``limit`` bytes of output."""

    def __init__(self, encoding: str, limit: int, where: str) -> None:
        self.encoding = encoding
        self.limit = limit
        self.where = where
        self.total = 0
        self._d: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._d = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            raise OverBudget(where, f"unsupported Content-Encoding {encoding!r}")
        self._first = True

    def feed(self, chunk: bytes) -> bytes:
        """The decoded bytes of ``chunk``; OverBudget once the output passes the limit."""
        if self._d is None:
            return self._count(chunk)
        out: list[bytes] = []
        data = chunk
        while data:
            try:
                piece = self._d.decompress(data, self.limit - self.total + 1)
            except zlib.error as e:
                if self._first and self.encoding == "deflate":  # raw deflate, no zlib header
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first = False
                    continue
                raise OverBudget(self.where, f"corrupt {self.encoding} body: {e}") from e
            self._first = False
            out.append(self._count(piece))
            data = self._d.unconsumed_tail
            if not data and self.encoding != "deflate" and self._d.eof and self._d.unused_data:
                data = self._d.unused_data  # a second gzip member
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            if not piece and not self._d.unconsumed_tail:
                break
        return b"".join(out)

    def _count(self, piece: bytes) -> bytes:
        self.total += len(piece)
        if self.total > self.limit:
            raise OverBudget(
                self.where,
                f"over budget: the body is more than {_mib(self.limit)} after decompression "
                f"(NEWSDESK_MAX_BYTES={self.limit})",
            )
        return piece
