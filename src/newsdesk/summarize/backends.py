"""LLM backends behind one Protocol: the bundled local model and any OpenAI-compatible server.

A backend writes one method, ``complete_json`` (chat messages in, a JSON object
out, constrained by a JSON schema); the base class does retries, parsing and
validation once. Backends are chosen by name (``--backend``) from ``LLMS``,
the ``newsdesk.llms`` entry-point group, where the built-ins (local, openai,
and extractive in ``summarize.extractive``) register like any third party::

    [project.entry-points."newsdesk.llms"]
    my-backend = "my_package.llm:MyLLM"

A factory is called with ``model=NAME`` when a topic or ``--model`` names a
model, and with no argument for the backend's own setting; ``get_llm`` keeps
one instance per (backend, model) in a process.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from functools import lru_cache
from typing import ClassVar, Protocol, runtime_checkable

import httpx

from newsdesk import config
from newsdesk.errors import ConfigError, ModelError
from newsdesk.plugins import Registry

Messages = list[dict[str, str]]
JSONObject = dict[str, object]  # a model's parsed answer


@runtime_checkable
class LLM(Protocol):
    """A chat model that answers with JSON matching a schema."""

    name: str
    model: str

    def complete_json(
        self, messages: Messages, schema: dict[str, object], max_tokens: int
    ) -> JSONObject:
        """The model's answer as a JSON object (raises ModelError on garbage)."""
        ...


class BaseLLM:
    """Retries and JSON parsing; a backend writes ``_chat`` (one raw completion)."""

    name = "base"
    model = "unknown"
    retries = 2
    model_setting: ClassVar[str] = ""  # the setting that names the model when none is given

    def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
        raise NotImplementedError

    def yes_probability(self, messages: Messages) -> float | None:
        """P(YES) against NO as the first answer token, or None where the backend cannot tell."""
        return None

    def complete_json(
        self, messages: Messages, schema: dict[str, object], max_tokens: int
    ) -> JSONObject:
        """Call the model, parse its JSON, check the required keys; retry garbage."""
        problem = ""
        for _attempt in range(self.retries + 1):
            raw = self._chat(messages, schema, max_tokens)
            try:
                data = json.loads(_strip_fences(raw))
            except json.JSONDecodeError as e:
                problem = f"not JSON ({e.msg}): {raw[:120]!r}"
                continue
            required = schema.get("required", [])
            keys = [str(k) for k in required] if isinstance(required, list) else []
            if isinstance(data, dict) and all(k in data for k in keys):
                return data
            problem = f"JSON without the fields {required}: {raw[:120]!r}"
        raise ModelError(f"{self.name} model {self.model} returned {problem}")


def yes_share(top_logprobs: list[dict[str, object]]) -> float | None:
    """P(YES) / (P(YES) + P(NO)) from a token's top log-probabilities (any case, spaces)."""
    mass = {"YES": 0.0, "NO": 0.0}
    for alt in top_logprobs:
        word = str(alt.get("token", "")).strip().upper()
        if word in mass:
            logprob = alt.get("logprob", -100.0)
            mass[word] += math.exp(float(logprob) if isinstance(logprob, int | float) else -100.0)
    total = mass["YES"] + mass["NO"]
    return mass["YES"] / total if total > 0 else None


def _strip_fences(raw: str) -> str:
    text = raw.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


# --- the OpenAI-compatible backend ------------------------------------------------


class OpenAILLM(BaseLLM):
    """An OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, DeepSeek, OpenAI).

    Structured output is asked for as ``response_format: json_schema``; a server
    that rejects it (HTTP 400) is asked again with ``json_object`` and then with
    no format at all, and the first that works is remembered.
    """

    name = "openai"
    model_setting = "openai_model"
    _FORMATS = ("json_schema", "json_object", "none")

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        concurrency: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or config.get("openai_base_url")).rstrip("/")
        if not self.base_url:
            raise ConfigError(
                "the openai backend needs a server: set NEWSDESK_OPENAI_BASE_URL "
                "(e.g. http://127.0.0.1:8080/v1)"
            )
        self.model = model or config.get("openai_model")
        key_var = config.get("openai_api_key_env")
        self.api_key = api_key if api_key is not None else os.environ.get(key_var, "")
        self.timeout = timeout or config.get_float("llm_timeout")
        self._slots = threading.BoundedSemaphore(concurrency or config.get_int("llm_concurrency"))
        self._format = 0
        self._no_logprobs = False
        self._client = httpx.Client(timeout=self.timeout, transport=transport)

    def _payload(
        self, messages: Messages, schema: dict[str, object], max_tokens: int
    ) -> JSONObject:
        payload: JSONObject = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        fmt = self._FORMATS[self._format]
        if fmt == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": True},
            }
        elif fmt == "json_object":
            payload["response_format"] = {"type": "json_object"}
        if fmt != "json_schema":  # say it in words where the server cannot enforce it
            payload["messages"] = [
                *messages[:-1],
                {
                    "role": messages[-1]["role"],
                    "content": messages[-1]["content"]
                    + f"\nAnswer with JSON only, matching this schema: {json.dumps(schema)}",
                },
            ]
        return payload

    def yes_probability(self, messages: Messages) -> float | None:
        """From the server's log-probabilities of the first token (None if it gives none)."""
        if self._no_logprobs:
            return None
        payload = {
            "model": self.model,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": 10,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            with self._slots:
                resp = self._client.post(
                    f"{self.base_url}/chat/completions", json=payload, headers=headers
                )
            top = resp.json()["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            self._no_logprobs = True  # ask the JSON question from now on
            return None
        return yes_share(top)

    def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
        url = f"{self.base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        backoff = config.get_float("http_backoff")
        last = ""
        with self._slots:
            for attempt in range(config.get_int("http_retries") + 1):
                if attempt:
                    time.sleep(backoff * 2 ** (attempt - 1))
                try:
                    resp = self._client.post(
                        url, json=self._payload(messages, schema, max_tokens), headers=headers
                    )
                except httpx.HTTPError as e:
                    last = f"{e.__class__.__name__}: {e}"
                    continue
                if resp.status_code == 400 and self._format < len(self._FORMATS) - 1:
                    self._format += 1  # the server does not take this response_format
                    continue
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                    continue
                if resp.status_code >= 400:
                    raise ModelError(f"{url}: HTTP {resp.status_code}: {resp.text[:200]}")
                try:
                    return str(resp.json()["choices"][0]["message"]["content"] or "")
                except (ValueError, KeyError, IndexError, TypeError) as e:
                    raise ModelError(f"{url}: not a chat completion: {resp.text[:200]}") from e
        raise ModelError(f"{url}: {last} (gave up after retries)")


# --- the bundled local model -------------------------------------------------------


class _Server(Protocol):
    """What newsdesk calls of ``xllamacpp.Server`` (which ships no types)."""

    def handle_chat_completions(self, request: dict[str, object]) -> object:
        """One chat completion: the response as a JSON object, or an error."""
        ...


class LocalLLM(BaseLLM):
    """llama.cpp in-process (xllamacpp) on a GGUF file: the bundled model by default."""

    name = "local"
    model_setting = "model_path"

    def __init__(
        self, model: str | None = None, threads: int | None = None, ctx: int | None = None
    ) -> None:
        """``model``: a GGUF path (default: the ``model_path`` setting, else the bundled model)."""
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # else speed collapses under load
        from newsdesk.summarize.model_files import bundled_model

        path = model or config.get("model_path") or str(bundled_model())
        if not os.path.exists(path):
            raise ConfigError(f"model file {path} does not exist")
        check_gguf(path)
        self.model = os.path.basename(path)
        self.path = path
        self.threads = threads or config.get_int("llm_threads") or (os.cpu_count() or 2)
        self.ctx = ctx or config.get_int("llm_ctx")
        self._server: _Server | None = None
        self._lock = threading.Lock()
        # Tokens and seconds spent, for bench/summarize.py: (prompt, completion, seconds).
        self.usage = [0, 0, 0.0]

    def server(self) -> _Server:
        """The llama.cpp server, started on first use (on 127.0.0.1 only)."""
        if self._server is None:
            import xllamacpp as xlc

            params = xlc.CommonParams()
            params.model.path = self.path
            params.n_ctx = self.ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.hostnames = ["127.0.0.1"]
            params.port = free_port()
            params.ui = False
            params.verbosity = -1
            params.warmup = False
            try:
                self._server = xlc.Server(params)
            except RuntimeError as e:  # llama.cpp says only "Failed to init server"
                raise ConfigError(
                    f"model file {self.path}: llama.cpp cannot load it ({e}); it may be "
                    "truncated or damaged: use another GGUF file (--model, NEWSDESK_MODEL)"
                ) from e
            self.url = f"http://127.0.0.1:{params.port}/v1"
        return self._server

    def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
        with self._lock:
            started = time.perf_counter()
            result = self.server().handle_chat_completions(
                {
                    "messages": messages,
                    "max_tokens": max_tokens,
                    "temperature": 0,
                    **_constraint(schema),
                    "cache_prompt": True,
                }
            )
            self.usage[2] += time.perf_counter() - started
        if not isinstance(result, dict) or "choices" not in result:
            raise ModelError(f"local model {self.model} failed: {str(result)[:200]}")
        used = result.get("usage") or {}
        self.usage[0] += int(used.get("prompt_tokens", 0))
        self.usage[1] += int(used.get("completion_tokens", 0))
        return str(result["choices"][0]["message"]["content"] or "")

    def yes_probability(self, messages: Messages) -> float | None:
        """From llama.cpp's log-probabilities of the first answer token (one token generated)."""
        with self._lock:
            started = time.perf_counter()
            result = self.server().handle_chat_completions(
                {
                    "messages": messages,
                    "max_tokens": 1,
                    "temperature": 0,
                    "logprobs": True,
                    "top_logprobs": 10,
                    "cache_prompt": True,
                }
            )
            self.usage[2] += time.perf_counter() - started
        if not isinstance(result, dict):
            return None
        try:
            top = result["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        except (KeyError, IndexError, TypeError):
            return None
        used = result.get("usage") or {}
        self.usage[0] += int(used.get("prompt_tokens", 0))
        self.usage[1] += int(used.get("completion_tokens", 0))
        return yes_share(top)


def _constraint(schema: dict[str, object]) -> dict[str, object]:
    """llama.cpp's constraint for ``schema``: a compact grammar where one can be written."""
    grammar = compact_grammar(schema)
    return {"grammar": grammar} if grammar else {"json_schema": schema}


# One JSON string character, as llama.cpp's own schema converter writes it.
_JSON_CHAR = r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'


def compact_grammar(schema: dict[str, object]) -> str:
    """A GBNF grammar for an object of required string fields, with no newline or indent.

    llama.cpp's converter of a JSON schema allows whitespace between tokens,
    and the bundled model writes a newline and an indent before each key: 8 to
    9 tokens of each rewrite's ~50, each as slow as a word (measured over ten
    rewrites of the bench articles' sentences: 16% fewer generated tokens, 14%
    less time; README has the bench's figures). The same object written
    compactly is parsed alike. Fields keep their order; a field's ``maxLength``
    and ``enum`` are kept. "" where the schema has another shape (then the
    schema itself is sent).
    """
    props = schema.get("properties")
    required = schema.get("required")
    if schema.get("type") != "object" or not isinstance(props, dict) or not props:
        return ""
    if not isinstance(required, list) or list(props) != required:
        return ""
    parts, rules = [], []
    for i, (key, spec) in enumerate(props.items()):
        if not isinstance(spec, dict) or spec.get("type") != "string":
            return ""
        if set(spec) - {"type", "maxLength", "enum"} or spec.get("enum") == []:
            return ""  # a constraint this grammar does not write (pattern, minLength ...)
        # One space may follow a colon or a comma: the model writes ``{"chinese": "..."}``
        # as its examples show it (json.dumps), in the one token a space and a quote
        # make; forbidden it, the model started its string with "}" or ",".
        lead = json.dumps("{") if i == 0 else json.dumps(",") + ' " "?'
        parts.append(lead + " " + json.dumps(json.dumps(str(key)) + ":") + ' " "?')
        enum = spec.get("enum")
        if isinstance(enum, list):
            parts.append("(" + " | ".join(json.dumps(json.dumps(str(v))) for v in enum) + ")")
            continue
        limit = spec.get("maxLength")
        count = f"{{0,{int(limit)}}}" if isinstance(limit, int) else "*"
        rules.append(f'f{i} ::= "\\"" c{count} "\\""')
        parts.append(f"f{i}")
    chars = [f"c ::= {_JSON_CHAR}"] if rules else []
    return "\n".join([f'root ::= {" ".join(parts)} "}}"', *rules, *chars])


GGUF_MAGIC = b"GGUF"  # the first four bytes of every GGUF file


def check_gguf(path: str) -> None:
    """Refuse a model file that is not a GGUF file, naming it (ConfigError)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise ConfigError(f"model file {path}: cannot read it: {e.strerror or e}") from e
    if head != GGUF_MAGIC:
        raise ConfigError(
            f"model file {path} is not a GGUF file (it starts with {head!r}, not {GGUF_MAGIC!r}): "
            "give a llama.cpp GGUF model (--model, NEWSDESK_MODEL)"
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LLMFactory(Protocol):
    """What the ``newsdesk.llms`` entry points name: a backend class or function.

    ``model`` is given only where a topic or ``--model`` names one; a factory
    that takes no argument still serves the backend's own setting.
    """

    def __call__(self, *, model: str | None = None) -> LLM:
        """A backend instance for ``model`` (None: the backend's setting)."""
        ...


LLMS: Registry[LLMFactory] = Registry("llms")


def get_llm(name: str, model: str = "") -> LLM:
    """The backend ``name`` running ``model`` ("": the backend's setting).

    One instance per (backend, model) in a process: two topics that name
    different models get one each, also when they run side by side
    (``newsdesk watch``, ``serve``); nothing is switched through the environment.
    """
    factory = LLMS.get(name)
    setting = getattr(factory, "model_setting", "")
    return _llm(name, model or (config.get(setting) if setting else ""))


@lru_cache(maxsize=4)
def _llm(name: str, model: str) -> LLM:
    factory = LLMS.get(name)
    return factory(model=model) if model else factory()
