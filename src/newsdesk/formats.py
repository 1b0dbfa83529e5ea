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
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from newsdesk import feed, render
from newsdesk.model import Digest
from newsdesk.plugins import Registry

__all__ = ["FORMATS", "DigestFormat", "get_format"]


class DigestFormat(Protocol):
    """One way to write a digest to a file."""

    @property
    def extension(self) -> str:
        """The file name's ending, without the dot."""
        ...

    def render(self, digest: Digest) -> str:
        """The whole file."""
        ...


FORMATS: Registry[Callable[[], DigestFormat]] = Registry("formats")


def get_format(name: str) -> DigestFormat:
    """The output format registered under ``name`` (a ConfigError naming the known ones)."""
    return FORMATS.get(name)()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A built-in format: a file ending and the function that writes the file."""

    extension: str
    write: Callable[[Digest], str]

    def render(self, digest: Digest) -> str:
        return self.write(digest)


def _json(digest: Digest) -> str:
    return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2)


# The built-ins, each a factory as the entry points name them.
TextDigest = partial(Rendered, "txt", render.digest_text)  # the seed page's layout
MarkdownDigest = partial(Rendered, "md", render.digest_markdown)  # citations linked
HtmlDigest = partial(Rendered, "html", render.digest_html)  # self-contained, articles below
JsonDigest = partial(Rendered, "json", _json)  # the digest's to_dict, as the API gives it
AtomDigest = partial(Rendered, "atom", feed.digest_atom)  # one entry per story
