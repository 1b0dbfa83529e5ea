"""Every setting in one table: name, default, environment variable, help.

Command-line options override environment variables, which override defaults.
A test checks that each setting is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from newsdesk.errors import ConfigError

__version__ = "0.1.0"


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name, default (as text), environment variable and help."""

    name: str
    default: str
    env: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "home", "~/.newsdesk", "NEWSDESK_HOME", "Data folder: default database, source-name table."
    ),
    Setting(
        "db",
        "",
        "NEWSDESK_DB",
        "Database file; empty means <home>/newsdesk.db. The --db option overrides it.",
    ),
    Setting(
        "user_agent",
        f"newsdesk/{__version__} (+https://pypi.org/project/newsdesk/)",
        "NEWSDESK_USER_AGENT",
        "User-Agent header sent with every HTTP request.",
    ),
    Setting(
        "http_timeout", "20", "NEWSDESK_HTTP_TIMEOUT", "Seconds before an HTTP request gives up."
    ),
    Setting(
        "http_retries",
        "3",
        "NEWSDESK_HTTP_RETRIES",
        "Retries after a timeout, connection error, 429 or 5xx, with exponential backoff.",
    ),
    Setting(
        "http_backoff",
        "0.5",
        "NEWSDESK_HTTP_BACKOFF",
        "First backoff in seconds; doubles on each retry (a Retry-After header wins).",
    ),
    Setting(
        "http_per_host", "2", "NEWSDESK_HTTP_PER_HOST", "Concurrent requests to one host at most."
    ),
    Setting(
        "http_concurrency", "8", "NEWSDESK_HTTP_CONCURRENCY", "Concurrent HTTP requests in all."
    ),
    Setting(
        "chinese_timezone",
        "Asia/Shanghai",
        "NEWSDESK_CHINESE_TZ",
        "Zone given to times from Chinese sources that state none (others get UTC).",
    ),
    Setting(
        "user_dict",
        "",
        "NEWSDESK_USER_DICT",
        "Extra words for Chinese segmentation, one 'word [frequency]' per line; "
        "empty means <home>/userdict.txt if it exists.",
    ),
    Setting(
        "embedder",
        "use-multilingual",
        "NEWSDESK_EMBEDDER",
        "Embedding backend for dense search (by name; plugins register more).",
    ),
    Setting(
        "summary_backend",
        "local",
        "NEWSDESK_BACKEND",
        "Summary backend: local (bundled model), openai (any compatible server) or extractive.",
    ),
    Setting("summary_language", "en", "NEWSDESK_LANGUAGE", "Language of summaries (en, zh)."),
    Setting(
        "model_path",
        "",
        "NEWSDESK_MODEL",
        "GGUF file for the local backend; empty means the bundled Qwen2.5-Coder-1.5B.",
    ),
    Setting("llm_threads", "0", "NEWSDESK_LLM_THREADS", "CPU threads of the local model (0: all)."),
    Setting("llm_ctx", "4096", "NEWSDESK_LLM_CTX", "Context size of the local model in tokens."),
    Setting(
        "openai_base_url",
        "",
        "NEWSDESK_OPENAI_BASE_URL",
        "Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.",
    ),
    Setting("openai_model", "default", "NEWSDESK_OPENAI_MODEL", "Model name sent to that server."),
    Setting(
        "openai_api_key_env",
        "OPENAI_API_KEY",
        "NEWSDESK_OPENAI_KEY_ENV",
        "Name of the environment variable that holds the API key (never the key itself).",
    ),
    Setting(
        "llm_timeout", "120", "NEWSDESK_LLM_TIMEOUT", "Seconds before one model call gives up."
    ),
    Setting("llm_concurrency", "4", "NEWSDESK_LLM_CONCURRENCY", "Model calls in flight at most."),
    Setting(
        "query_translator",
        "auto",
        "NEWSDESK_QUERY_TRANSLATOR",
        "How English queries reach Chinese news: auto (the local model for topic-short queries"
        " when installed, else CC-CEDICT), dictionary (CC-CEDICT only) or off.",
    ),
    Setting(
        "glossary",
        "",
        "NEWSDESK_GLOSSARY",
        "Extra glossary (Chinese<TAB>English lines); empty means <home>/glossary.tsv if it exists.",
    ),
    Setting(
        "source_names",
        "",
        "NEWSDESK_SOURCE_NAMES",
        'TOML table of source-name overrides (source = "Display Name"); '
        "empty means <home>/sources.toml if it exists.",
    ),
    Setting(
        "judge_threshold",
        "0.7",
        "NEWSDESK_JUDGE_THRESHOLD",
        "P(YES) at which the support judge accepts a claim (where the model reports it); "
        "0.7 is chosen on held-out BBC pairs by bench/tune_judge.py.",
    ),
    Setting(
        "topics",
        "",
        "NEWSDESK_TOPICS",
        "Folder of topic files the web app lists and edits; empty means <home>/topics.",
    ),
    Setting(
        "token",
        "",
        "NEWSDESK_TOKEN",
        "Token every write to the web API needs (and binding to an address other than "
        "127.0.0.1); empty: `newsdesk serve` makes one per start and prints it.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The value of a setting: its environment variable if set, else its default."""
    s = _BY_NAME[name]
    return os.environ.get(s.env, s.default)


def get_float(name: str) -> float:
    """A numeric setting, with an error that names the variable when it is not a number."""
    raw = get(name)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{_BY_NAME[name].env}={raw!r} is not a number") from None


def get_int(name: str) -> int:
    """An integer setting, with an error that names the variable when it is not one."""
    raw = get(name)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{_BY_NAME[name].env}={raw!r} is not an integer") from None


def home() -> Path:
    """The data folder (created on first use)."""
    return Path(get("home")).expanduser()


def topics_folder() -> Path:
    """The folder of topic files the web app serves."""
    return Path(get("topics") or home() / "topics").expanduser()


def default_db() -> str:
    """The database used when no --db is given."""
    return get("db") or str(home() / "newsdesk.db")
