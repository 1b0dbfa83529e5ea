"""Digest output formats: what ``outputs.formats`` in a topic file can name.

A format is a class with a file ``extension`` and ``render(digest) -> str``,
registered in the ``newsdesk.formats`` entry-point group. The built-ins below
register in newsdesk's own ``pyproject.toml`` as a plugin would in its own::

    [project.entry-points."newsdesk.formats"]
    csv = "my_package.formats:CSVDigest"
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar, Protocol

from newsdesk import feed, render
from newsdesk.model import Digest
from newsdesk.plugins import Registry

__all__ = ["FORMATS", "DigestFormat", "get_format"]


class DigestFormat(Protocol):
    """One way to write a digest to a file."""

    extension: ClassVar[str]  # the file name's ending, without the dot

    def render(self, digest: Digest) -> str:
        """The whole file."""
        ...


FORMATS: Registry[Callable[[], DigestFormat]] = Registry("formats")


def get_format(name: str) -> DigestFormat:
    """The output format registered under ``name`` (a ConfigError naming the known ones)."""
    return FORMATS.get(name)()


class TextDigest:
    """The seed page's layout as plain text."""

    extension: ClassVar[str] = "txt"

    def render(self, digest: Digest) -> str:
        return render.digest_text(digest)


class MarkdownDigest:
    """Markdown, with each citation linked to its paragraph."""

    extension: ClassVar[str] = "md"

    def render(self, digest: Digest) -> str:
        return render.digest_markdown(digest)


class HtmlDigest:
    """One self-contained HTML page, the cited articles below their briefs."""

    extension: ClassVar[str] = "html"

    def render(self, digest: Digest) -> str:
        return render.digest_html(digest)


class JsonDigest:
    """The digest's ``to_dict``, as the API returns it."""

    extension: ClassVar[str] = "json"

    def render(self, digest: Digest) -> str:
        return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2)


class AtomDigest:
    """An Atom feed, one entry per story."""

    extension: ClassVar[str] = "atom"

    def render(self, digest: Digest) -> str:
        return feed.digest_atom(digest)
