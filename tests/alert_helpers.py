"""A small topic over a tiny corpus, rewritten between runs (change sets, alerts, feeds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

P = "稀土永磁体出口管制"

ARTICLES: list[dict[str, Any]] = [
    {
        "id": "a",
        "url": "https://example.invalid/a",
        "title": "稀土永磁体出口管制新规发布",
        "date": "2025-12-20 09:00",
        "source": "新华社",
        "paragraphs": [
            f"{P}新规今日发布，商务部表示将依法审批合规申请。",
            "钕铁硼磁体企业表示，审批流程需要约四十五个工作日。",
            "分析人士认为，稀土永磁体出口管制将影响全球供应链。",
        ],
    },
    {
        "id": "b",
        "url": "https://example.invalid/b",
        "title": "稀土价格上涨，永磁体企业订单饱满",
        "date": "2025-12-21 10:00",
        "source": "财新网",
        "paragraphs": [
            "受出口管制影响，稀土价格本周上涨，永磁体企业订单饱满。",
            "钕铁硼磁体价格保持高位，稀土永磁行业景气度提升。",
            "业内人士称，出口管制下稀土永磁体需求仍在增长。",
        ],
    },
    {
        "id": "c",
        "url": "https://example.invalid/c",
        "title": "稀土永磁体回收技术取得进展",
        "date": "2025-12-22 11:00",
        "source": "人民日报",
        "paragraphs": [
            "稀土永磁体回收技术取得进展，出口管制背景下回收受到重视。",
            "研究团队称，钕铁硼磁体回收率可达百分之九十。",
        ],
    },
]

UPDATED_A = {
    **ARTICLES[0],
    "paragraphs": [
        ARTICLES[0]["paragraphs"][0],
        "钕铁硼磁体企业表示，审批流程已缩短至三十个工作日。",  # changed: paragraph 2
        ARTICLES[0]["paragraphs"][2],
        "商务部补充说明，两用物项出口需提交最终用户证明。",  # added: paragraph 4
    ],
}

REPOST_B = {
    **ARTICLES[1],
    "id": "b-repost",
    "url": "https://example.invalid/b-repost",
    "source": "搜狐财经",
    "date": "2025-12-21 15:00",
}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )


def write_topic(
    tmp: Path, alerts: str = "", formats: str = '"text", "md", "html", "json", "atom"'
) -> Path:
    """A topic over ``tmp/corpus/`` (extractive briefs), with optional ``[[alerts]]`` TOML."""
    (tmp / "corpus").mkdir(exist_ok=True)
    path = tmp / "topic.toml"
    path.write_text(
        f"""name = "magnets"
queries = ["稀土 永磁体 出口管制"]
sources = ["corpus"]
min_relevance = 0.5
backend = "extractive"
{alerts}
[outputs]
folder = "out"
formats = [{formats}]
""",
        encoding="utf-8",
    )
    return path
