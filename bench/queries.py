"""English queries the search benches share, so their figures compare.

`bench/search_bench.py` and `bench/rank_latency.py` run ``ENGLISH``;
`bench/serve_bench.py` runs ``ENGLISH + MORE_ENGLISH``.
"""

ENGLISH = [
    "rare earth export controls",
    "magnet prices",
    "central bank interest rates",
    "electric vehicle sales",
    "stock buyback",
    "semiconductor tariffs",
    "flood relief",
    "government procurement tender",
    "share pledge released",
    "5G network construction",
]

MORE_ENGLISH = [
    "poverty alleviation in rural areas",
    "real estate market regulation",
    "earthquake rescue",
    "new energy vehicles",
    "foreign trade growth",
    "Belt and Road cooperation",
    "epidemic prevention",
    "stock market crash",
    "bank loan interest",
    "auto glass manufacturer",
    "quarterly earnings report",
    "environmental protection inspection",
    "high speed railway",
    "agricultural harvest",
    "military exercise",
    "artificial intelligence industry",
    "football match",
    "housing prices in Beijing",
    "steel production capacity",
    "tourism during the holiday",
]
