"""Source names: romanized for display the way the seed page shows them.

搜狐财经 becomes "Sou Hu Cai Jing": pinyin without tones, one capitalized
syllable per character. Latin parts (CCTV, 21世纪's digits) stay as they are.
An override table (built-in, then the user's TOML file) gives better names.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from newsdesk import config
from newsdesk.errors import ConfigError

# Built-in overrides: only where pinyin would mislead a reader.
BUILTIN_NAMES: dict[str, str] = {}

_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def romanize(name: str) -> str:
    """Pinyin of the Chinese parts of ``name``, each syllable capitalized."""

    def one(m: re.Match[str]) -> str:
        syllables = lazy_pinyin(m.group(0), style=Style.NORMAL, errors="default")
        return " " + " ".join(s.capitalize() for s in syllables) + " "

    out = _HAN_RUN.sub(one, name)
    out = re.sub(r"\s+", " ", out).strip()
    return re.sub(r"([(（]) | ([)）])", r"\1\2", out)


@lru_cache(maxsize=8)
def _load_overrides(path: str) -> dict[str, str]:
    p = Path(path).expanduser()
    if not p.exists():
        return {}
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{p}: cannot read the source-name table: {e}") from e
    table = data.get("sources", data)
    return {str(k): str(v) for k, v in table.items() if isinstance(v, str)}


def overrides() -> dict[str, str]:
    """The override table in force: built-in names, then the user's file."""
    path = config.get("source_names") or str(config.home() / "sources.toml")
    return {**BUILTIN_NAMES, **_load_overrides(path)}


def display_name(source: str) -> str:
    """The name shown for ``source``: an override, else its romanization."""
    table = overrides()
    if source in table:
        return table[source]
    return romanize(source)
