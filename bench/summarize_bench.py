"""Summary speed on this machine: seconds per article and our tokens/s beside
the raw llama.cpp rates of the same model measured in the same process.

    .venv/bin/python bench/summarize_bench.py [N]

Briefs N (default 3) rare-earth articles of ../shared/data/corpora/
zh_business_2011.jsonl with the bundled model, judge included. "Raw" is one
plain completion (no schema, no judge) of 128 tokens: llama.cpp's own prompt
and generation rates. "Ours" divides all tokens the pipeline processed by its
wall time, so the ratio shows what planning, constrained decoding and the
judge's many short calls cost against raw generation. The seconds of each
stage are itemized: plan (sentence selection), rewrite (the model's points and
headings), checks (citations, exact checks, language repair), judge (the
support judge's calls), repair (closer rewrites of rejected claims); then the
model calls and the prompt and generated tokens per displayed claim.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from newsdesk import IngestOptions, ingest, open_store
from newsdesk.eval.citations import rare_earth_records
from newsdesk.summarize import STAGE_SECONDS, SummaryOptions, summarize_document
from newsdesk.summarize.backends import LocalLLM, Messages

CORPUS = Path(__file__).resolve().parents[2] / "shared/data/corpora/zh_business_2011.jsonl"


class Counted:
    """The local model with its calls counted: rewrites and repairs (json), judge calls (yes)."""

    def __init__(self, llm: LocalLLM) -> None:
        self.llm = llm
        self.name = llm.name
        self.model = llm.model
        self.kinds: Counter[str] = Counter()

    @property
    def calls(self) -> int:
        """All model calls so far."""
        return sum(self.kinds.values())

    def complete_json(
        self, messages: Messages, schema: dict[str, object], max_tokens: int
    ) -> dict[str, Any]:
        """A counted rewrite, heading, core or repair call."""
        self.kinds["json"] += 1
        return self.llm.complete_json(messages, schema, max_tokens)

    def yes_probability(self, messages: Messages) -> float | None:
        """A counted judge call."""
        self.kinds["yes"] += 1
        return self.llm.yes_probability(messages)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    llm = LocalLLM()
    server = llm.server()
    raw = server.handle_chat_completions(
        {
            "messages": [{"role": "user", "content": "Describe rare-earth magnets in detail."}],
            "max_tokens": 128,
            "temperature": 0,
        }
    )
    timings = raw.get("timings", {}) if isinstance(raw, dict) else {}
    print(
        f"raw llama.cpp: prompt {timings.get('prompt_per_second', 0):.1f} tokens/s, "
        f"generation {timings.get('predicted_per_second', 0):.1f} tokens/s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        sample.write_text(
            "".join(
                json.dumps(r, ensure_ascii=False) + "\n" for r in rare_earth_records(CORPUS, n)
            ),
            "utf-8",
        )
        store = open_store(str(Path(tmp) / "b.db"))
        ingest([str(sample)], store, IngestOptions(embed=False, dedup=False))
        docs = store.get_many(store.all_ids())
        llm.usage[:] = [0, 0, 0.0]
        STAGE_SECONDS.clear()
        counted = Counted(llm)
        started = time.perf_counter()
        chars = 0
        claims = 0
        for doc in docs:
            s = summarize_document(doc, SummaryOptions(backend="local", language="en"), llm=counted)
            claims += len(s.claims())
            chars += sum(len(p) for p in doc.paragraphs)
            print(
                f"  {doc.title[:30]}: {s.seconds:.1f} s, {sum(len(p) for p in doc.paragraphs)} characters"
            )
        wall = time.perf_counter() - started
    prompt, completion, in_model = llm.usage
    print(
        f"ours: {wall / len(docs):.1f} s per article, {wall / chars * 1500:.1f} s per 1,500 characters; "
        f"{prompt} prompt + {completion} generated tokens in {in_model:.1f} s of model time "
        f"({(prompt + completion) / wall:.1f} tokens/s overall, {completion / wall:.1f} generated/s)"
    )
    per = 1500 / max(1, chars)
    print(
        "seconds per 1,500 characters by stage: "
        + ", ".join(
            f"{stage} {STAGE_SECONDS[stage] * per:.1f}"
            for stage in ("plan", "rewrite", "checks", "judge", "repair")
        )
    )
    print(
        f"displayed claims {claims}; model calls {counted.calls} "
        f"({counted.calls / max(1, claims):.1f} per displayed claim: "
        f"{counted.kinds['json']} rewrites and repairs, {counted.kinds['yes']} judge calls); "
        f"{prompt / max(1, claims):.0f} prompt and {completion / max(1, claims):.0f} generated "
        "tokens per displayed claim"
    )
    gen = timings.get("predicted_per_second", 0) or 1
    print(f"ratio ours generated tokens/s / raw generation: {completion / wall / gen:.2f}")


if __name__ == "__main__":
    main()
