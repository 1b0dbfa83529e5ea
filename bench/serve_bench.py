"""Served search under load: `newsdesk serve` over all the shared corpora, an open-loop client.

    .venv/bin/python bench/serve_bench.py --db /path/all.db [--rates 10,25,40]
        [--duration 60] [--workers 2] [--ingest-docs 3000] [--ingest-rate 10]

--db is a filled store (all of ../shared/data/corpora, with vectors); it is
copied first (the server migrates and the load writes). Without --db the
corpora are ingested into a fresh store (about 10 minutes on 2 cores).

Each rate is searches per second; document pages, story pages, list pages and
writes come on top in the mix below, so the request rate is rate / 0.70.
Arrivals are Poisson at that rate whatever the answers do (open loop), and
latency counts from each request's scheduled time, so a slow server cannot
hide its backlog. Searches: 60% Chinese (title words of stored articles), 40%
English (newsroom phrases: cross-lingual over Chinese news), a third with a
filter (language, source or date), limit 10 or 20, some through the HTML
results page. Writes: a topic file saved through the API (PUT /api/topics/...),
the write a team makes most often (a brief, POST /api/summaries, embeds every
sentence of its article: seconds of CPU, a job rather than part of a search load).

Then the same client at --ingest-rate while `newsdesk ingest` adds
--ingest-docs new documents (reposts of stored ones, marked as such) to the
served store. Before all that, the same searches run in-process (the
``search`` function on the same store) for the served / in-process ratio.

Everything is bounded: rate x duration requests per phase, a 10 s timeout per
request, the server on 127.0.0.1 only, stopped (SIGTERM) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find bench/
from bench.queries import ENGLISH, MORE_ENGLISH

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
TOKEN = "serve-bench"
TIMEOUT = 10.0  # seconds a request may take before it counts as an error
TARGET_P99_MS = 250.0


@dataclass
class Sample:
    """One request's outcome."""

    kind: str
    status: int  # 0: no answer (timeout, connection error)
    seconds: float


@dataclass
class Phase:
    """The outcomes of one phase of load."""

    name: str
    rate: float
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    load: str = ""
    cpu: float = 0.0  # CPU seconds the server used during the phase

    def report(self, kind: str | None = None) -> dict[str, float | int | str]:
        """Count, percentiles (ms), errors and refusals, of one kind or of all."""
        chosen = [s for s in self.samples if kind is None or s.kind == kind]
        ok = sorted(s.seconds * 1000 for s in chosen if 200 <= s.status < 400)
        errors = sum(1 for s in chosen if not (200 <= s.status < 400) and s.status != 503)
        refused = sum(1 for s in chosen if s.status == 503)

        def pct(p: float) -> float:
            return ok[min(len(ok) - 1, int(p * len(ok)))] if ok else float("nan")

        return {
            "n": len(chosen),
            "p50": statistics.median(ok) if ok else float("nan"),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "errors": errors,
            "refused_503": refused,
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uptime() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def server_cpu(pid: int) -> float:
    """CPU seconds the server and its worker processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        kids = []
    total = 0.0
    for p in [str(pid), *kids]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def copy_store(src: str, dst: Path) -> None:
    """A consistent copy of an SQLite store (the backup API, WAL included)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def workload(db: Path, seed: int) -> dict[str, list[str]]:
    """Queries, document ids, story ids and sources drawn from the store."""
    sys.path.insert(0, str(ROOT / "src"))
    from newsdesk.text.segment import search_tokens

    rng = random.Random(seed)
    c = sqlite3.connect(db)
    rows = c.execute(
        "SELECT id, title, cluster_id, source FROM documents WHERE superseded_by IS NULL"
    ).fetchall()
    c.close()
    sample = rng.sample(rows, min(600, len(rows)))
    chinese = [" ".join(search_tokens(r[1])[:3]) for r in sample[:300]]
    return {
        "zh": [q for q in chinese if q.strip()],
        "en": ENGLISH + MORE_ENGLISH,
        "docs": [r[0] for r in sample],
        "stories": [r[2] for r in sample if r[2]],
        "sources": sorted({r[3] for r in rows}),
    }


def request_for(rng: random.Random, w: dict[str, list[str]]) -> tuple[str, str, str]:
    """(kind, method, path) of the next request in the mix."""
    r = rng.random()
    if r < 0.01:
        return "write", "PUT", "/api/topics/bench-"
    if r < 0.71:
        zh = rng.random() < 0.6
        params: dict[str, str | int] = {"q": rng.choice(w["zh"] if zh else w["en"])}
        f = rng.random()
        if f < 0.12:
            params["language"] = "zh"
        elif f < 0.22:
            params["source"] = rng.choice(w["sources"])
        elif f < 0.33:
            params["since"] = rng.choice(["2019-01-01", "2022-06-01", "2024-01-01"])
        if rng.random() < 0.15:
            params["partial"] = 1
            return "search", "GET", "/search?" + urlencode(params)
        params["limit"] = rng.choice([10, 10, 20])
        return "search", "GET", "/api/search?" + urlencode(params)
    if r < 0.86:
        return "document", "GET", f"/documents/{rng.choice(w['docs'])}"
    if r < 0.93:
        return "story", "GET", f"/stories/{rng.choice(w['stories'])}"
    offset = rng.choice([0, 20, 40, 200, 1000])
    return "list", "GET", f"/api/documents?limit=20&offset={offset}"


async def drive(
    port: int, w: dict[str, list[str]], rate: float, duration: float, seed: int, name: str
) -> Phase:
    """Open-loop load: ``rate`` searches/s (rate / 0.7 requests/s) for ``duration`` seconds."""
    rng = random.Random(seed)
    total_rate = rate / 0.70
    phase = Phase(name, rate, load=uptime())
    start = time.perf_counter()
    at, tasks = 0.0, []
    while at < duration:
        at += rng.expovariate(total_rate)
        kind, method, path = request_for(rng, w)
        tasks.append(asyncio.create_task(one(port, start + at, kind, method, path, rng)))
    phase.samples = list(await asyncio.gather(*tasks))
    phase.wall = time.perf_counter() - start
    return phase


async def one(
    port: int, when: float, kind: str, method: str, path: str, rng: random.Random
) -> Sample:
    """One request at its scheduled time; its latency counts from that time."""
    await asyncio.sleep(max(0.0, when - time.perf_counter()))
    body, headers = b"", {}
    if method == "PUT":
        n = rng.randrange(10)
        path = f"{path}{n}"
        body = f'name = "bench {n}"\nqueries = ["稀土 出口"]\n'.encode()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/toml"}
    try:
        status = await asyncio.wait_for(http(port, method, path, body, headers), TIMEOUT)
    except (TimeoutError, OSError, ValueError, IndexError):
        status = 0
    return Sample(kind, status, time.perf_counter() - when)


async def http(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    """The status of one HTTP/1.1 request to 127.0.0.1 (a light client: httpx's own CPU
    time, on a loaded 2-core machine, delayed requests by seconds at 25 searches/s)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        await reader.read()  # the whole answer, until the server closes
        return status
    finally:
        writer.close()


def in_process(db: Path, w: dict[str, list[str]], n: int, seed: int) -> dict[str, float]:
    """The same searches in this process (search() on the store): p50/p95 in ms."""
    from newsdesk.search import SearchOptions, search
    from newsdesk.store import open_store

    rng = random.Random(seed)
    store = open_store(str(db))
    search(store, "稀土", SearchOptions())  # load the model and the vectors
    times = {"zh": [], "en": []}  # type: dict[str, list[float]]
    for _ in range(n):
        lang = "zh" if rng.random() < 0.6 else "en"
        q = rng.choice(w[lang])
        t = time.perf_counter()
        search(store, q, SearchOptions(limit=10))
        times[lang].append((time.perf_counter() - t) * 1000)
    store.close()
    both = sorted(times["zh"] + times["en"])
    return {
        "p50": statistics.median(both),
        "p95": both[int(0.95 * (len(both) - 1))],
        "zh_p50": statistics.median(times["zh"]),
        "en_p50": statistics.median(times["en"]),
    }


def reposts(n: int, out: Path, seed: int) -> None:
    """``n`` new documents: stored articles re-published under a marked title and closing line."""
    rng = random.Random(seed)
    records = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    with out.open("w", encoding="utf-8") as f:
        for i, rec in enumerate(rng.sample(records, min(n, len(records)))):
            rec = dict(rec)
            rec["id"] = f"bench-repost-{i}"
            rec["title"] = f"{rec.get('title', '')}（转载 {i}）"
            paragraphs = list(rec.get("paragraphs") or [])
            rec["paragraphs"] = [*paragraphs, f"（本文转载，编号 {i}。）"]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def start_server(db: Path, workdir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "NEWSDESK_TOKEN": TOKEN,
        "NEWSDESK_HOME": str(workdir / "home"),
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    cmd = [sys.executable, "-m", "newsdesk.cli", "serve", "--db", str(db), "--port", str(port)]
    cmd += ["--workers", str(workers), "--topics", str(workdir / "topics")]
    log = (workdir / "serve.log").open("wb")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, proc: subprocess.Popen[bytes], limit: float = 180.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see its log")
        try:
            if httpx.get(base + "/api/search?q=稀土", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {limit:.0f} s")


def show(phase: Phase) -> None:
    for kind in (None, "search"):
        r = phase.report(kind)
        print(
            f"{phase.name:>18} {kind or 'all':>6}  n={r['n']:<5} p50 {r['p50']:7.1f} ms"
            f"  p95 {r['p95']:7.1f}  p99 {r['p99']:7.1f}  errors {r['errors']}"
            f"  503 {r['refused_503']}  (wall {phase.wall:.0f} s, load {phase.load})"
            + (
                f"  server CPU {phase.cpu * 1000 / max(1, len(phase.samples)):.1f} ms/request"
                if kind is None
                else ""
            ),
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--db", help="a filled store to copy (default: ingest the corpora)")
    ap.add_argument("--rates", default="10,25,40", help="searches/s, comma-separated")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds per rate")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ingest-docs", type=int, default=3000, help="0 skips the ingest phase")
    ap.add_argument("--ingest-rate", type=float, default=10.0, help="searches/s during ingest")
    ap.add_argument("--ingest-limit", type=float, default=600.0, help="seconds at most")
    ap.add_argument("--in-process", type=int, default=200, help="in-process searches (0: skip)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (store, log)")
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="serve_bench_"))
    db = workdir / "store.db"
    if args.db:
        copy_store(args.db, db)
    else:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        cmd = [sys.executable, "-m", "newsdesk.cli", "ingest", str(CORPORA), "--db", str(db)]
        subprocess.run(cmd, env=env, check=True)
    w = workload(db, args.seed)
    figures: dict[str, object] = {"workers": args.workers, "rates": rates}
    if args.in_process:
        ip = in_process(db, w, args.in_process, args.seed)
        figures["in_process"] = ip
        print(
            f"in-process search (limit 10), {args.in_process} queries: p50 {ip['p50']:.1f} ms,"
            f" p95 {ip['p95']:.1f} ms (zh p50 {ip['zh_p50']:.1f}, en p50 {ip['en_p50']:.1f});"
            f" load {uptime()}",
            flush=True,
        )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db, workdir, port, args.workers)
    phases: list[Phase] = []
    children: list[subprocess.Popen[bytes]] = []
    try:
        wait_ready(base, proc)
        asyncio.run(drive(port, w, 5, 5, args.seed + 99, "warm-up"))
        for i, rate in enumerate(rates):
            cpu = server_cpu(proc.pid)
            phase = asyncio.run(drive(port, w, rate, args.duration, args.seed + i, f"{rate:g}/s"))
            phase.cpu = server_cpu(proc.pid) - cpu
            phases.append(phase)
            show(phase)
        good = [
            p.rate
            for p in phases
            if float(p.report("search")["p99"]) < TARGET_P99_MS
            and not p.report()["errors"]
            and not p.report()["refused_503"]
        ]
        best = max(good) if good else None
        figures["highest_rate_p99_under_250ms"] = best
        print(f"highest rate with search p99 < {TARGET_P99_MS:.0f} ms and no errors: {best}")
        if args.ingest_docs:
            feed = workdir / "reposts.jsonl"
            reposts(args.ingest_docs, feed, args.seed)
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_WAIT_POLICY": "PASSIVE"}
            cmd = [sys.executable, "-m", "newsdesk.cli", "ingest", str(feed), "--db", str(db)]
            t = time.perf_counter()
            ingest = subprocess.Popen(
                cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            children.append(ingest)
            during: list[Phase] = []
            cpu = server_cpu(proc.pid)
            while ingest.poll() is None and time.perf_counter() - t < args.ingest_limit:
                during.append(
                    asyncio.run(drive(port, w, args.ingest_rate, 20, args.seed + 50, "ingest"))
                )
            if ingest.poll() is None:
                ingest.terminate()
                ingest.wait(30)
            seconds = time.perf_counter() - t
            merged = Phase("during ingest", args.ingest_rate, load=during[0].load if during else "")
            for p in during:
                merged.samples += p.samples
                merged.wall += p.wall
            merged.cpu = server_cpu(proc.pid) - cpu
            phases.append(merged)
            show(merged)
            print(
                f"ingest of {args.ingest_docs} documents: {seconds:.0f} s"
                f" ({args.ingest_docs / seconds:.1f} docs/s), exit {ingest.returncode}"
            )
            figures["ingest_seconds"] = seconds
        figures["phases"] = [
            {
                "name": p.name,
                "rate": p.rate,
                "load": p.load,
                "server_cpu_ms_per_request": p.cpu * 1000 / max(1, len(p.samples)),
                "all": p.report(),
                "search": p.report("search"),
            }
            for p in phases
        ]
        if args.in_process and phases:
            served = phases[0].report("search")["p50"]
            ratio = float(served) / float(figures["in_process"]["p50"])  # type: ignore[index]
            print(f"served / in-process search p50 at {phases[0].name}: {ratio:.2f}")
            figures["served_over_in_process_p50"] = ratio
    finally:
        for child in children:  # an ingest still running when the bench stops
            if child.poll() is None:
                child.terminate()
                child.wait(30)
        t = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print(f"server stopped by SIGTERM in {time.perf_counter() - t:.1f} s")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
