"""A model whose answers are kept on disk, for repeated WMT21 evaluations.

Every call of the bundled model is deterministic (temperature 0), so an
answer is a function of its messages, schema and token limit. Re-running an
evaluation after a change to the checks then asks the model only what it was
never asked before (a new prompt, a claim that now goes to the closer
rewrite), which is what makes tuning on 2 cores possible. The figures are the
model's own answers either way; only the seconds differ, so a run that reads
from the cache reports no speed (``hits`` says how many answers came from it).
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from newsdesk.summarize.backends import LLM, Messages


class CachedLLM:
    """Wraps an LLM: ``complete_json`` and ``yes_probability`` answers kept in a JSONL file."""

    def __init__(self, llm: LLM, path: Path) -> None:
        self.llm = llm
        self.name = llm.name
        self.model = llm.model
        self.path = path
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._answers: dict[str, Any] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self._answers[row["key"]] = row["answer"]

    @staticmethod
    def _key(kind: str, messages: Messages, extra: object) -> str:
        blob = json.dumps([kind, messages, extra], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _keep(self, key: str, answer: object) -> None:
        with self._lock:
            self._answers[key] = answer
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"key": key, "answer": answer}, ensure_ascii=False) + "\n")

    def complete_json(
        self, messages: Messages, schema: dict[str, object], max_tokens: int
    ) -> dict[str, Any]:
        """The kept answer, or the model's (kept); errors are not kept."""
        key = self._key("json", messages, [schema, max_tokens])
        if key in self._answers:
            self.hits += 1
            return dict(self._answers[key])
        self.misses += 1
        answer = self.llm.complete_json(messages, schema, max_tokens)
        self._keep(key, answer)
        return answer

    def yes_probability(self, messages: Messages) -> float | None:
        """The kept P(YES), or the model's (kept)."""
        key = self._key("yes", messages, None)
        if key in self._answers:
            self.hits += 1
            value = self._answers[key]
            return None if value is None else float(value)
        ask = getattr(self.llm, "yes_probability", None)
        if ask is None:
            return None
        self.misses += 1
        p = ask(messages)
        self._keep(key, p)
        return None if p is None else float(p)
