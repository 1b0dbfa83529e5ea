"""Every setting in one table: name, default, environment variable, help.

Command-line options override environment variables, which override defaults.
A test checks that each setting is documented in the README.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from newsdesk.errors import ConfigError

__version__ = "0.1.0"

T = TypeVar("T")


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
        "http_max_redirects",
        "5",
        "NEWSDESK_HTTP_MAX_REDIRECTS",
        "Redirects followed per request at most (each hop is checked by the URL policy); "
        "browsers allow 20, news sites use 1-2.",
    ),
    Setting(
        "allow_private_hosts",
        "0",
        "NEWSDESK_ALLOW_PRIVATE_HOSTS",
        "1: links and redirects found in fetched data may reach loopback, private, link-local "
        "and reserved addresses (off: only the hosts of URLs you name may be such).",
    ),
    Setting(
        "max_bytes",
        str(8 * 1024 * 1024),
        "NEWSDESK_MAX_BYTES",
        "Bytes per response, file or JSONL line at most, counted on the wire and again after "
        "decompression (8 MiB: the largest real news pages are 1-3 MB; a gzip bomb stops here).",
    ),
    Setting(
        "item_seconds",
        "60",
        "NEWSDESK_ITEM_SECONDS",
        "Seconds one fetched item may take in all, retries and waits included (a server "
        "that dribbles bytes is cut off here; 3 tries of a normal page take under 10 s).",
    ),
    Setting(
        "max_paragraph_chars",
        "32768",
        "NEWSDESK_MAX_PARAGRAPH_CHARS",
        "Characters per paragraph at most: longer text with no sentence end is cut at a space "
        "or at this length (real paragraphs are split at 600 at sentence ends first; the "
        "longest paragraph stored from ../shared/data/corpora has 26,495, so none changes).",
    ),
    Setting(
        "max_paragraphs",
        "2000",
        "NEWSDESK_MAX_PARAGRAPHS",
        "Paragraphs per document at most; a longer one fails as over budget (the most in "
        "../shared/data/corpora is 138).",
    ),
    Setting(
        "max_depth",
        "32",
        "NEWSDESK_MAX_DEPTH",
        "Nesting depth of a JSONL record at most (an article needs 2: an object and a list).",
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
        "0.65",
        "NEWSDESK_JUDGE_THRESHOLD",
        "P(YES) at which the support judge accepts a claim (where the model reports it); "
        "0.65 is chosen on the WMT21 tuning part's cross-lingual pairs "
        "(`newsdesk eval judge --part tune`, bench/tune_judge.py --wmt).",
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
    Setting(
        "serve_workers",
        "1",
        "NEWSDESK_SERVE_WORKERS",
        "Worker processes of `newsdesk serve` (one per core); --workers overrides it.",
    ),
    Setting(
        "serve_concurrency",
        "4",
        "NEWSDESK_SERVE_CONCURRENCY",
        "Requests one worker works on at once (also its PostgreSQL pool size); more wait.",
    ),
    Setting(
        "serve_queue",
        "64",
        "NEWSDESK_SERVE_QUEUE",
        "Requests one worker lets wait for a slot; beyond it answers 503 with Retry-After.",
    ),
    Setting(
        "serve_deadline",
        "5",
        "NEWSDESK_SERVE_DEADLINE",
        "Seconds a request may take, waiting included; past it the work stops and it gets 503.",
    ),
    Setting(
        "serve_grace",
        "3",
        "NEWSDESK_SERVE_GRACE",
        "Seconds in-flight requests get to finish after SIGTERM before they are stopped.",
    ),
    Setting(
        "public_url",
        "http://127.0.0.1:8000",
        "NEWSDESK_PUBLIC_URL",
        "Address of the web app that alerts and Atom feeds link to.",
    ),
    Setting(
        "channels",
        "",
        "NEWSDESK_CHANNELS",
        "TOML file of alert channels (webhook URLs, SMTP settings); "
        "empty means <home>/channels.toml if it exists.",
    ),
    Setting(
        "alert_timeout",
        "10",
        "NEWSDESK_ALERT_TIMEOUT",
        "Seconds before one alert delivery gives up.",
    ),
    Setting(
        "alert_retries",
        "3",
        "NEWSDESK_ALERT_RETRIES",
        "Retries of a failed alert delivery within one pass, with exponential backoff.",
    ),
    Setting(
        "alert_backoff",
        "1",
        "NEWSDESK_ALERT_BACKOFF",
        "First backoff in seconds between alert delivery retries; doubles on each retry.",
    ),
    Setting(
        "alert_max_attempts",
        "6",
        "NEWSDESK_ALERT_MAX_ATTEMPTS",
        "Delivery passes (each with its retries) before an alert is marked failed.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The value of a setting: its environment variable if set, else its default."""
    s = _BY_NAME[name]
    return os.environ.get(s.env, s.default)


def _parsed(name: str, parse: Callable[[str], T], what: str) -> T:
    raw = get(name)
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{_BY_NAME[name].env}={raw!r} is not {what}") from None


def get_float(name: str) -> float:
    """A numeric setting, with an error that names the variable when it is not a number."""
    return _parsed(name, float, "a number")


def get_int(name: str) -> int:
    """An integer setting, with an error that names the variable when it is not one."""
    return _parsed(name, int, "an integer")


def home() -> Path:
    """The data folder (created on first use)."""
    return Path(get("home")).expanduser()


def topics_folder() -> Path:
    """The folder of topic files the web app serves."""
    return Path(get("topics") or home() / "topics").expanduser()


def default_db() -> str:
    """The database used when no --db is given."""
    return get("db") or str(home() / "newsdesk.db")
