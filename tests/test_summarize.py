from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsdesk import Document, IngestOptions, ingest
from newsdesk.errors import ModelError
from newsdesk.model import Claim, Group, Summary, Verdict
from newsdesk.render import summary_markdown, summary_text
from newsdesk.store import Store
from newsdesk.summarize import SummaryOptions, prompts, summarize, summarize_document
from newsdesk.summarize.backends import Messages, OpenAILLM, compact_grammar
from tests.conftest import FakeEmbedder, ScriptedLLM, make_document

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPHS = (
    "商务部新闻发言人12月25日表示，中方对稀土永磁体相关物项实施出口管制，是依照出口管制法采取的正常措施。",
    "发言人介绍，商务部已依法审批了一批符合规定的出口申请，涉及钕铁硼永磁体和钐钴磁体等产品。",
    "据海关数据，今年前11个月中国稀土永磁体出口量为5.2万吨，同比下降约4%。",
    "分析人士认为，含镝、铽的高矫顽力磁体仍是审批重点，这类磁体主要用于高温工况和军工装备。",
    "业内人士指出，高性能钕铁硼磁体广泛用于新能源汽车驱动电机、风力发电机和工业机器人。",
)


def article() -> Document:
    return make_document("商务部回应稀土磁体出口管制", PARAGRAPHS)


OPTS = SummaryOptions(backend="scripted", language="en")


def brief(llm: ScriptedLLM, **kw: Any) -> Summary:
    opts = SummaryOptions(backend="scripted", language="en", **kw)
    return summarize_document(article(), opts, llm=llm, embedder=FakeEmbedder())


def test_structure_within_the_contract_and_every_citation_resolves() -> None:
    s = brief(ScriptedLLM())
    assert 2 <= len(s.groups) <= 5
    assert all(1 <= len(g.points) <= 3 for g in s.groups)
    assert 1 <= len(s.core_viewpoint.citations) <= 3
    for claim in s.claims():
        assert claim.verdict is Verdict.SUPPORTED
        assert all(1 <= n <= len(PARAGRAPHS) for n in claim.citations)


def test_unsupported_claims_are_dropped_or_kept_flagged() -> None:
    dropped = brief(ScriptedLLM(wrong=True, stubborn=True))
    assert not any("WRONG" in c.text for c in dropped.claims())
    assert any("unsupported (dropped)" in n for n in dropped.notes)
    kept = brief(ScriptedLLM(wrong=True, stubborn=True), keep_unverified=True)
    wrong = [c for c in kept.claims() if "WRONG" in c.text]
    assert wrong
    assert wrong[0].verdict is Verdict.UNSUPPORTED
    assert "(unverified)" in summary_text(kept)


def test_a_rejected_point_gets_one_closer_rewrite_judged_again() -> None:
    from newsdesk.summarize import RETRIED

    llm = ScriptedLLM(wrong=True)
    s = brief(llm)
    assert not any("WRONG" in c.text for c in s.claims())
    retried = [c for c in s.claims() if c.note == RETRIED]
    assert len(retried) == 1
    assert retried[0].verdict is Verdict.SUPPORTED
    assert f"1 claims {RETRIED}" in s.notes
    assert not any("unsupported" in n for n in s.notes)
    # The wrong first text never reached the judge: its 50 is in no source (the
    # exact check); the closer rewrite was judged like every other claim.
    assert llm.calls.count("answer") == len(s.claims())


def test_the_judge_reads_the_source_sentence_inside_the_cited_paragraph() -> None:
    from newsdesk.summarize.verify import passage

    sentence = "据海关数据，今年前11个月中国稀土永磁体出口量为5.2万吨，同比下降约4%。"
    claim = Claim("Exports fell 4 percent.", (3,), evidence=(sentence,))
    assert passage(article(), claim) == f"[3] {sentence}"
    # evidence that is not inside a cited paragraph is ignored: the paragraph is read
    elsewhere = Claim("Exports fell 4 percent.", (2,), evidence=(sentence,))
    assert passage(article(), elsewhere) == f"[2] {PARAGRAPHS[1]}"
    # every claim of a brief carries its source sentences, each inside a cited paragraph
    s = brief(ScriptedLLM())
    for c in s.claims():
        assert c.evidence
        assert all(any(e in PARAGRAPHS[n - 1] for n in c.citations) for e in c.evidence)
    assert Summary.from_dict(s.to_dict()).claims() == s.claims()


def test_leftover_chinese_is_repaired() -> None:
    s = brief(ScriptedLLM(chinese_first=True))
    assert not any("稀土" in c.text for c in s.claims())


def test_garbage_from_the_model_falls_back_to_extractive() -> None:
    s = brief(ScriptedLLM(garbage=True))
    assert s.backend == "extractive (fallback from scripted)"
    assert "fell back to extractive" in s.notes[0]
    assert all(c.text in "".join(PARAGRAPHS) for c in s.claims())  # quotes, cited exactly


def test_extractive_backend_quotes_its_cited_paragraphs() -> None:
    s = summarize_document(article(), SummaryOptions(backend="extractive"), embedder=FakeEmbedder())
    for claim in s.claims():
        assert any(claim.text in PARAGRAPHS[n - 1] for n in claim.citations)


def test_seed_layout() -> None:
    s = Summary(
        doc_id="x",
        core_viewpoint=Claim("The article discusses rare earths.", (1, 19)),
        groups=(
            Group(
                "Rare Earth Elements",
                (Claim("Rare earths are scarce", (3, 5)), Claim("Magnets need them.", (7,))),
            ),
            Group("Impact", (Claim("Defense relies on magnets", (9,)),)),
        ),
        language="en",
        backend="local",
        model="m",
        prompt_version="v",
        created_at=datetime(2025, 12, 27, tzinfo=UTC),
    )
    assert summary_text(s) == (
        "Core Viewpoint - The article discusses rare earths [1][19]. "
        "Group 1: Rare Earth Elements - Rare earths are scarce [3][5]. - Magnets need them [7]. "
        "Group 2: Impact - Defense relies on magnets [9]."
    )
    assert "**Group 2: Impact**" in summary_markdown(s)
    assert Summary.from_dict(s.to_dict()).claims() == s.claims()


def test_cache_by_document_backend_model_prompt_and_language(store: Store) -> None:
    ingest([str(ROOT / "examples/demo/articles.jsonl")], store, IngestOptions(embed=False))
    doc_id = store.list_documents(__import__("newsdesk").DocumentFilter(limit=1))[0].id
    llm = ScriptedLLM()
    first = summarize(store, [doc_id], OPTS, llm=llm)[0]
    n = len(llm.calls)
    again = summarize(store, [doc_id], OPTS, llm=llm)[0]
    assert len(llm.calls) == n  # served from the cache
    assert again.to_dict() == first.to_dict()
    summarize(
        store, [doc_id], SummaryOptions(backend="scripted", language="en", refresh=True), llm=llm
    )
    assert len(llm.calls) > n


def test_openai_backend_falls_back_when_json_schema_is_refused() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if body.get("response_format", {}).get("type") == "json_schema":
            return httpx.Response(400, json={"error": "response_format json_schema not supported"})
        return httpx.Response(
            200, json={"choices": [{"message": {"content": '{"answer": "YES"}'}}]}
        )

    llm = OpenAILLM(
        base_url="http://127.0.0.1:9/v1", model="m", transport=httpx.MockTransport(handler)
    )
    answer = llm.complete_json(
        [{"role": "user", "content": "?"}], {"type": "object", "required": ["answer"]}, 8
    )
    assert answer == {"answer": "YES"}
    assert seen[1]["response_format"] == {"type": "json_object"}
    assert "Answer with JSON only" in seen[1]["messages"][-1]["content"]


def test_openai_backend_reports_garbage_clearly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"choices": [{"message": {"content": "no json here"}}]})

    llm = OpenAILLM(
        base_url="http://127.0.0.1:9/v1", model="m", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(ModelError, match="not JSON"):
        llm.complete_json(
            [{"role": "user", "content": "?"}], {"type": "object", "required": ["a"]}, 8
        )


def test_unknown_backend_is_a_clear_error(store: Store) -> None:
    from newsdesk.errors import ConfigError
    from newsdesk.summarize.backends import get_llm

    with pytest.raises(ConfigError, match="extractive"):
        get_llm("gpt-nonexistent")


@pytest.mark.slow
def test_local_model_and_openai_backend_against_a_real_llama_cpp_server(
    bundled_model: Path,
) -> None:
    """The bundled model in-process, and the same model over HTTP on 127.0.0.1."""
    from newsdesk.summarize.backends import LocalLLM

    local = LocalLLM(model=str(bundled_model))
    s = summarize_document(article(), SummaryOptions(backend="local", language="en"), llm=local)
    assert s.backend == "local", s.notes
    assert 2 <= len(s.groups) <= 5
    for claim in s.claims():
        assert all(1 <= n <= len(PARAGRAPHS) for n in claim.citations)
        assert (
            not any("\u4e00" <= ch <= "\u9fff" for ch in claim.text)
            or claim.verdict is Verdict.FLAGGED
        )
    local.server()
    remote = OpenAILLM(base_url=local.url, model=local.model)
    answer = remote.complete_json(
        [{"role": "user", "content": 'Reply with {"answer": "YES"}'}],
        {
            "type": "object",
            "properties": {"answer": {"type": "string", "enum": ["YES", "NO"]}},
            "required": ["answer"],
        },
        8,
    )
    assert answer["answer"] in ("YES", "NO")
    # the judge reads P(YES) from log-probabilities, in-process and over HTTP alike
    from newsdesk.summarize.verify import LLMJudge

    passage = "[3] 据海关数据，今年前11个月中国稀土永磁体出口量为5.2万吨，同比下降约4%。"
    for llm in (local, remote):
        judge = LLMJudge(llm)
        yes = judge.score(passage, "China's rare-earth magnet exports fell about 4 percent.")
        no = judge.score(passage, "China's rare-earth magnet exports rose 50 percent.")
        assert yes is not None
        assert no is not None
        assert yes > judge.threshold > no


def test_judge_threshold_on_log_probabilities() -> None:
    from newsdesk.summarize.backends import yes_share
    from newsdesk.summarize.verify import LLMJudge

    assert yes_share([{"token": "NO", "logprob": -0.1}, {"token": " YES", "logprob": -2.4}]) == (
        pytest.approx(0.0911, abs=1e-3)
    )
    assert yes_share([{"token": "Maybe", "logprob": -0.1}]) is None

    class Sure(ScriptedLLM):
        def __init__(self, p: float) -> None:
            super().__init__()
            self.p = p

        def yes_probability(self, messages: Any) -> float | None:
            return self.p

    assert LLMJudge(Sure(0.69), threshold=0.7).supports("p", "c") is False
    assert LLMJudge(Sure(0.71), threshold=0.7).supports("p", "c") is True
    # without log-probabilities the schema-constrained YES/NO decides
    assert LLMJudge(ScriptedLLM()).supports("p", "WRONG claim") is False


def test_cli_summarize_extractive_prints_the_seed_layout(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from newsdesk.cli import app

    db = str(tmp_path / "s.db")
    runner = CliRunner()
    runner.invoke(app, ["ingest", str(ROOT / "examples/demo/articles.jsonl"), "--db", db])
    doc_id = json.loads(runner.invoke(app, ["list", "--db", db, "--json"]).stdout)[0]["id"]
    result = runner.invoke(app, ["summarize", doc_id, "--db", db, "--backend", "extractive"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[1] == "Sou Hu Cai Jing· 2025-12-26 09:30"
    assert lines[2].startswith("Core Viewpoint - ")
    assert " Group 1: " in lines[2]
    as_json = runner.invoke(
        app, ["summarize", doc_id, "--db", db, "--backend", "extractive", "--format", "json"]
    )
    data = json.loads(as_json.stdout)
    assert all(c["verdict"] == "supported" for g in data["groups"] for c in g["points"])


def test_myriad_units_are_written_out_for_the_model_and_the_judge() -> None:
    from newsdesk.summarize.prompts import judge_request, plain_numbers, point_request

    assert (
        plain_numbers("出口量为5.2万吨，总投资约62亿元")
        == "出口量为52,000吨，总投资约6.2 billion元"
    )
    assert plain_numbers("9.38万吨，5000万元，3万亿") == "93,800吨，50 million元，3 trillion"
    assert "52,000吨" in point_request("出口量为5.2万吨。", "en")
    assert "52,000吨" in judge_request("[3] 出口量为5.2万吨。", "Exports were 52,000 tonnes.")


def test_attributions_and_quote_tails_are_not_points() -> None:
    from newsdesk.summarize.plan import sentences

    para = (
        "“原矿价格太高，我们现在已经停止采购原矿了，生产中重稀土的企业普遍如此。”"
        "江西赣州一家大型稀土冶炼公司高层昨天向《第一财经日报》透露。"
        "据海关数据，今年前11个月出口量为5.2万吨。"
    )
    doc = make_document("t", (para,), source="s", source_display="S", published_at=None)
    texts = [s.text for s in sentences(doc)]
    assert texts[0].endswith("普遍如此。”")  # the closing quote stays with its sentence
    assert not any("透露" in t for t in texts)  # who said it is not a point
    assert texts[-1] == "据海关数据，今年前11个月出口量为5.2万吨。"


def _letters(n: int) -> str:
    """A number spelled in letters (a claim's digits must be in its source)."""
    return "".join("abcdefghij"[int(d)] for d in str(n))


def test_each_point_is_written_from_its_own_sentence() -> None:
    """One call per sentence: a point cannot drift to a neighbour's content."""

    class Echo(ScriptedLLM):
        def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
            props = schema["properties"]
            assert isinstance(props, dict)
            if "point" in props:
                sentence = messages[-1]["content"].split("\n", 1)[0].removeprefix("Sentence: ")
                point = f"Point {_letters(sum(map(ord, sentence)) % 9973)}."
                return json.dumps({"point": point, "heading": "Exports"})
            return super()._chat(messages, schema, max_tokens)

    from newsdesk.summarize.prompts import plain_numbers

    s = brief(Echo())
    points = [p for g in s.groups for p in g.points]
    assert len(points) >= 2
    for p in points:
        (sentence,) = p.evidence
        assert p.text == f"Point {_letters(sum(map(ord, plain_numbers(sentence))) % 9973)}."


def test_a_heading_cut_by_the_schema_ends_at_a_whole_word() -> None:
    """The schema stops a long heading mid-word; the brief shows whole words only."""
    long = "Project Uses Crystal Diffusion Technology to Reduce Heavy Rare Earths and Dysprosium"

    class Wordy(ScriptedLLM):
        def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
            props = schema["properties"]
            assert isinstance(props, dict)
            if "heading" in props:
                limit = props["heading"]["maxLength"]
                return json.dumps({"point": "Exports rose.", "heading": long[:limit]})
            return super()._chat(messages, schema, max_tokens)

    s = brief(Wordy(), judge=False)
    assert s.groups
    for g in s.groups:
        assert g.title == "Project Uses Crystal Diffusion Technology to Reduce Heavy Rare Earths"


def test_the_request_lists_the_glossary_terms_of_its_sentence() -> None:
    from newsdesk.summarize.prompts import point_request, terms

    line = terms("含镝、铽的重稀土磁体由江西铜业生产", "en")
    assert line.startswith("Terms: ")
    assert "镝 = dysprosium" in line
    assert "铽 = terbium" in line
    assert "江西铜业 = Jiangxi Copper" in line
    assert "重稀土 = heavy rare earths" in line
    entries = line.removeprefix("Terms: ").rstrip(".\n").split("; ")
    assert "稀土 = rare earth" not in entries  # inside 重稀土, not listed again
    assert "赣州" not in line  # only what occurs
    assert terms("稀土价格上涨", "zh") == ""
    assert terms("The price rose.", "en") == ""
    assert "镝 = dysprosium" in point_request("镝价上涨。", "en")


def test_a_brief_written_without_the_judge_never_answers_a_judged_ask(store: Store) -> None:
    from newsdesk.summarize import UNJUDGED

    ingest([str(ROOT / "examples/demo/articles.jsonl")], store, IngestOptions(embed=False))
    doc_id = store.list_documents(__import__("newsdesk").DocumentFilter(limit=1))[0].id
    llm = ScriptedLLM()
    unjudged = summarize(store, [doc_id], replace(OPTS, judge=False), llm=llm)[0]
    assert "answer" not in llm.calls
    assert UNJUDGED in unjudged.notes  # marked as such
    judged = summarize(store, [doc_id], OPTS, llm=llm)[0]
    assert "answer" in llm.calls  # the judge ran: the cached unjudged brief did not answer
    assert UNJUDGED not in judged.notes
    assert all(c.verdict is not Verdict.UNCHECKED for c in judged.claims())
    n = len(llm.calls)
    summarize(store, [doc_id], OPTS, llm=llm)
    assert len(llm.calls) == n  # and the judged brief is cached as usual


def test_the_cached_brief_shows_no_internal_field(store: Store, monkeypatch: Any) -> None:
    from newsdesk.summarize import cached_summary

    ingest([str(ROOT / "examples/demo/articles.jsonl")], store, IngestOptions(embed=False))
    doc_id = store.list_documents(__import__("newsdesk").DocumentFilter(limit=1))[0].id
    opts = SummaryOptions(backend="extractive", language="zh")
    summarize(store, [doc_id], opts)
    cached = cached_summary(store, doc_id, opts)
    assert cached is not None
    assert "cache_language" not in cached.to_dict()


def test_a_broken_model_file_is_a_setup_error_that_names_it(tmp_path: Path) -> None:
    from newsdesk.errors import ConfigError
    from newsdesk.summarize.backends import LocalLLM

    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ConfigError, match=rf"{junk}.* is not a GGUF file"):
        LocalLLM(str(junk))
    pytest.importorskip("xllamacpp")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 64)  # a GGUF header, then nothing
    llm = LocalLLM(str(cut), threads=1, ctx=256)
    with pytest.raises(ConfigError, match=rf"{cut}: llama.cpp cannot load it"):
        llm.complete_json([{"role": "user", "content": "?"}], {"type": "object"}, 4)


def test_summary_types_round_trip_through_their_dicts() -> None:
    claim = Claim("A fact.", (2, 3), Verdict.SUPPORTED, "quoted", ("源句。",))
    assert Claim.from_dict(claim.to_dict()) == claim
    group = Group("Heading", (claim,))
    assert Group.from_dict(group.to_dict()) == group
    # a claim stored before verdicts and evidence existed reads as unchecked
    old = Claim.from_dict({"text": "Old.", "citations": [1]})
    assert old == Claim("Old.", (1,))
    with pytest.raises(TypeError):
        Claim.from_dict({"text": "Bad.", "citations": 1})


def test_backends_come_from_one_registry_one_instance_per_backend_and_model() -> None:
    from newsdesk.summarize.backends import LLMS, LocalLLM, get_llm
    from newsdesk.summarize.extractive import Extractive

    assert {"extractive", "local", "openai"} <= set(LLMS.names())  # the built-in entry points
    assert LLMS.get("local") is LocalLLM
    assert isinstance(get_llm("extractive"), Extractive)
    made: list[str | None] = []

    def factory(*, model: str | None = None) -> ScriptedLLM:
        made.append(model)
        llm = ScriptedLLM()
        llm.model = model or "default-model"
        return llm

    LLMS.register("fake-registry", factory)
    try:
        one, two = get_llm("fake-registry", "m-1"), get_llm("fake-registry", "m-2")
        assert (one.model, two.model) == ("m-1", "m-2")
        assert get_llm("fake-registry", "m-1") is one  # kept, not made again
        assert get_llm("fake-registry").model == "default-model"
        assert made == ["m-1", "m-2", None]
    finally:
        LLMS.unregister("fake-registry")


def test_the_model_of_the_options_writes_the_brief(store: Store) -> None:
    from newsdesk.summarize.backends import LLMS

    def factory(*, model: str | None = None) -> ScriptedLLM:
        llm = ScriptedLLM()
        llm.model = model or "default-model"
        return llm

    ingest([str(ROOT / "examples/demo/articles.jsonl")], store, IngestOptions(embed=False))
    doc_id = store.list_documents(__import__("newsdesk").DocumentFilter(limit=1))[0].id
    LLMS.register("fake-options", factory)
    try:
        briefs = [
            summarize(store, [doc_id], SummaryOptions(backend="fake-options", model=m))[0]
            for m in ("", "m-1", "m-2")
        ]
    finally:
        LLMS.unregister("fake-options")
    assert [b.model for b in briefs] == ["default-model", "m-1", "m-2"]  # each cached apart


def test_the_local_model_writes_its_json_without_whitespace() -> None:
    # llama.cpp's schema converter lets the model spend tokens on a newline and an
    # indent before each key; the compact grammar allows none and keeps the limits.
    grammar = compact_grammar(prompts.HEADED_POINT_SCHEMA)
    # One space may follow a colon or a comma, as the prompts' examples write them.
    assert grammar.splitlines()[:3] == [
        'root ::= "{" "\\"point\\":" " "? f0 "," " "? "\\"heading\\":" " "? f1 "}"',
        'f0 ::= "\\"" c{0,600} "\\""',
        f'f1 ::= "\\"" c{{0,{prompts.HEADING_CHARS}}} "\\""',
    ]
    judge = 'root ::= "{" "\\"answer\\":" " "? ("\\"YES\\"" | "\\"NO\\"") "}"'
    assert compact_grammar(prompts.JUDGE_SCHEMA) == judge
    nested: dict[str, object] = {"type": "object", "properties": {"a": {"type": "object"}}}
    nested["required"] = ["a"]
    assert compact_grammar(nested) == ""  # another shape: the schema itself is sent
    optional: dict[str, object] = {"type": "object", "properties": {"a": {"type": "string"}}}
    optional["required"] = []
    assert compact_grammar(optional) == ""
    assert compact_grammar({**optional, "required": ["a"]}).startswith('root ::= "{" "\\"a\\":"')
    quoted: dict[str, object] = {"type": "object", "properties": {'a"b': {"type": "string"}}}
    quoted["required"] = ['a"b']
    assert '\\\\\\"' in compact_grammar(quoted)  # the key's quote escaped in JSON and in GBNF
    for unsupported in ({"type": "string", "minLength": 1}, {"type": "string", "enum": []}):
        schema: dict[str, object] = {"type": "object", "properties": {"a": unsupported}}
        schema["required"] = ["a"]
        assert compact_grammar(schema) == ""
