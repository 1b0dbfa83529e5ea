"""Evaluations over whole sets, the figures of the README: ``newsdesk eval ...``."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from newsdesk import config
from newsdesk.cli import common
from newsdesk.cli.common import err, out
from newsdesk.eval import citations, crosslingual, wmt_briefs
from newsdesk.eval import wmt as wmt_docs
from newsdesk.eval.dedup import DEFAULT_PREFIXES, load_audit
from newsdesk.eval.dedup import evaluate as evaluate_dedup
from newsdesk.eval.retrieval import evaluate as evaluate_retrieval
from newsdesk.eval.topics import evaluate as evaluate_topics
from newsdesk.eval.topics import load_topics
from newsdesk.search import Mode
from newsdesk.summarize.backends import get_llm
from newsdesk.summarize.verify import LLMJudge


def retrieval_cmd(
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, a qrels .tsv.")
    ],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Keep the evaluation store here (default: a temp file)."),
    ] = None,
    queries: Annotated[
        int | None, typer.Option(min=1, help="Only the first N judged queries.")
    ] = None,
    half: Annotated[
        str | None,
        typer.Option(help="first (the tuning half) or second (held out) of the judged queries."),
    ] = None,
    as_json: common.JsonOption = False,
) -> None:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 for lexical, dense and hybrid search."""
    with common.stage("queries") as update:
        results = evaluate_retrieval(folder, db=db, max_queries=queries, half=half, progress=update)
    if as_json:
        common.print_json(results)
        return
    table = Table(title=f"retrieval: {folder.name}")
    table.add_column("method")
    metrics = list(next(iter(results.values())))
    for m in metrics:
        table.add_column(m, justify="right")
    for method, figures in results.items():
        table.add_row(method, *(f"{figures[m]:.4f}" for m in metrics))
    out.print(table)


def topics_cmd(
    file: Annotated[Path, typer.Argument(help="Topic file (eval/topics.json).")],
    db: common.DbOption = None,
    split: Annotated[
        list[str] | None,
        typer.Option(help="Splits to run: dev (to tune on), heldout (run at the end)."),
    ] = None,
    mode: common.ModeOption = "hybrid",
    as_json: common.JsonOption = False,
) -> None:
    """precision@20 and nDCG@20 per language of topic queries, judged by the file's rule."""
    common.check_mode(mode)
    topic_set = load_topics(file)
    target = common.store(db)
    with common.stage("topics") as update:
        results = evaluate_topics(
            target,
            topic_set,
            splits=split or ["dev"],
            mode=cast(Mode, mode),
            progress=update,
        )
    target.close()
    if as_json:
        common.print_json(results)
        return
    for lang, row in results["summary"].items():
        out.print(
            f"{lang}: precision@20 {row['precision@20']:.3f} · nDCG@20 {row['ndcg@20']:.3f}"
            f" · {row['topics']} topics",
            markup=False,
        )
    for t in results["topics"]:
        out.print(f"  {t['id']} {t['query']}: P@20 {t['precision@20']:.2f}", markup=False)


def dedup_cmd(
    pairs: Annotated[Path, typer.Argument(help="Labelled pairs (near_dup_pairs.jsonl).")],
    db: common.DbOption = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option(
            help="PREFIX=FILE: ids PREFIX:X are origin FILE#X (default eb=..., finqa=...)."
        ),
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            help="Verdicts read by eye that replace wrong labels (JSONL: doc_a, doc_b, verdict)."
        ),
    ] = None,
    as_json: common.JsonOption = False,
) -> None:
    """Recall, false-merge rate and precision of the clusters on labelled pairs."""
    prefixes = dict(DEFAULT_PREFIXES)
    for item in prefix or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter("expected PREFIX=FILE", param_hint="--prefix")
        prefixes[key] = value
    target = common.store(db)
    results = evaluate_dedup(target, pairs, prefixes, load_audit(audit) if audit else None)
    target.close()
    if as_json:
        common.print_json(results)
        return
    out.print(
        f"recall {results['recall']:.4f} · false-merge rate {results['false_merge_rate']:.4f} · "
        f"precision {results['precision']:.4f} · {results['pairs']} pairs"
        f" ({results['missing']} with a document not in the store,"
        f" {results['relabelled']} relabelled by the audit)"
    )
    for kind, row in results["by_kind"].items():
        out.print(f"  {kind}: {row['merged']}/{row['pairs']} merged", markup=False)


SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"  # beside a checkout


def citations_cmd(
    parts: Annotated[
        str, typer.Option(help="Which parts: a (judge), b (briefs), c (ROUGE).")
    ] = "abc",
    backend: Annotated[
        str, typer.Option(help="local, openai or extractive (b, c only: no model).")
    ] = "local",
    pairs: Annotated[int, typer.Option(min=1, help="Judge pairs of each kind (a).")] = 200,
    articles: Annotated[int, typer.Option(min=1, help="Rare-earth articles to brief (b).")] = 20,
    rouge_items: Annotated[int, typer.Option(min=1, help="Articles for ROUGE (c).")] = 200,
    bbc: Annotated[Path, typer.Option(help="summaries_bbc_cited.jsonl")] = SHARED
    / "eval/summaries_bbc_cited.jsonl",
    corpus: Annotated[Path, typer.Option(help="zh_business_2011.jsonl")] = SHARED
    / "corpora/zh_business_2011.jsonl",
    finna: Annotated[Path, typer.Option(help="summaries_finna.jsonl")] = SHARED
    / "eval/summaries_finna.jsonl",
    as_json: common.JsonOption = False,
) -> None:
    """Judge accuracy, brief quality and speed, and ROUGE of Chinese one-line summaries."""
    if backend == "extractive" and "a" in parts:
        raise typer.BadParameter("part a checks the model's judge: use --backend local or openai")
    llm = get_llm(backend)
    results: dict[str, float] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:

        def tick(task: TaskID) -> Callable[[int, int], None]:
            return lambda done, total: bar.update(task, completed=done, total=total)

        if "a" in parts:
            results |= citations.evaluate_judge(
                LLMJudge(get_llm(backend)), bbc, pairs, tick(bar.add_task("judge"))
            )
        if "b" in parts:
            with tempfile.TemporaryDirectory() as tmp:
                results |= citations.evaluate_briefs(
                    corpus, articles, llm, backend, Path(tmp), tick(bar.add_task("briefs"))
                )
        if "c" in parts:
            results |= citations.evaluate_rouge(
                finna, rouge_items, llm, backend, tick(bar.add_task("rouge"))
            )
    if as_json:
        common.print_json({k: round(v, 4) for k, v in results.items()})
        return
    for key, value in results.items():
        out.print(f"{key}: {value:.4f}", markup=False)


WMT21 = SHARED / "eval/wmt21_zh_en_news_docs.jsonl"
PartOption = Annotated[
    str, typer.Option("--part", help="WMT21 part: tune (tuning) or report (never tuned on).")
]


def judge_cmd(
    part: PartOption = "tune",
    per_kind: Annotated[
        int, typer.Option("--per-kind", min=1, help="Pairs of each kind (and supported).")
    ] = 40,
    backend: Annotated[str, typer.Option(help="local or openai.")] = "local",
    threshold: Annotated[
        float | None, typer.Option(help="P(YES) threshold (default: the setting).")
    ] = None,
    wmt: Annotated[Path, typer.Option(help="wmt21_zh_en_news_docs.jsonl")] = WMT21,
    save: Annotated[
        Path | None, typer.Option(help="Write the scores here (JSONL, no source text).")
    ] = None,
    as_json: common.JsonOption = False,
) -> None:
    """The support judge on the cross-lingual WMT21 set: balanced accuracy, recall per change."""
    judge = LLMJudge(get_llm(backend))
    pairs = crosslingual.build(wmt_docs.load(wmt, part), per_kind)
    with common.stage("pairs", len(pairs)) as update:
        scored = crosslingual.score(pairs, judge.score, lambda done, total: update(done, total))
    if save:
        crosslingual.save(scored, save)
    used = threshold if threshold is not None else config.get_float("judge_threshold")
    results: dict[str, object] = {"part": part, "at_threshold": crosslingual.figures(scored, used)}
    if part == "tune":  # the threshold is chosen here, never on the report part
        results["best_threshold"], results["at_best"] = crosslingual.best_threshold(scored)
    common.print_results(results, as_json)


def briefs_cmd(
    part: PartOption = "tune",
    docs: Annotated[
        int, typer.Option("--docs", min=1, help="The first N documents of the part.")
    ] = 8,
    skip: Annotated[int, typer.Option(min=0, help="Documents of the part skipped first.")] = 0,
    backend: Annotated[str, typer.Option(help="local, openai or extractive.")] = "local",
    wmt: Annotated[Path, typer.Option(help="wmt21_zh_en_news_docs.jsonl")] = WMT21,
    save: Annotated[
        Path | None,
        typer.Option(help="Write every displayed claim and its figures here (JSONL)."),
    ] = None,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample", help="Print each claim beside its sources and translations, to read."
        ),
    ] = False,
    as_json: common.JsonOption = False,
) -> None:
    """Briefs of unseen WMT21 news against the human translations of the cited paragraphs."""
    chosen = list(itertools.islice(wmt_docs.load(wmt, part), skip, skip + docs))
    llm = get_llm(backend)
    with common.stage("briefs", len(chosen)) as update:
        results, claims = wmt_briefs.evaluate(
            chosen, llm, backend, lambda done, total: update(done, total)
        )
    if save:
        with save.open("w", encoding="utf-8") as f:
            for c in claims:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    if sample:
        by_id = {d.doc_id: d for d in chosen}
        for c in claims:
            d = by_id[c.doc_id]
            out.print(f"\n{c.doc_id} {list(c.citations)}: {c.text}", markup=False)
            for n in c.citations:
                out.print(f"  zh[{n}] {d.zh[n - 1]}", markup=False)
                for label, ref in zip("AB", d.refs[n - 1], strict=True):
                    out.print(f"  {label}[{n}] {ref}", markup=False)
            out.print(
                f"  figures {c.figures_found}/{c.figures}, romanized {list(c.romanized)}, "
                f"note: {c.note}",
                markup=False,
            )
    common.print_results({"part": part, **{k: round(v, 4) for k, v in results.items()}}, as_json)


def register(app: typer.Typer) -> None:
    """Add ``newsdesk eval`` and its commands to ``app``."""
    group = typer.Typer(
        help="Evaluations over whole sets (figures for the README).", no_args_is_help=True
    )
    group.command("retrieval")(retrieval_cmd)
    group.command("topics")(topics_cmd)
    group.command("dedup")(dedup_cmd)
    group.command("citations")(citations_cmd)
    group.command("judge")(judge_cmd)
    group.command("briefs")(briefs_cmd)
    app.add_typer(group, name="eval")
