"""A run's life: every way out ends it, a killed run is found at its next start, one lock."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newsdesk import workflow
from newsdesk.errors import ConfigError, OutputError, TopicBusy
from newsdesk.runs import Interrupted, Terminated, owned_run
from newsdesk.store import Store, open_store
from newsdesk.workflow import load_topic, run_topic, watch
from tests.conftest import ChatServer, Unclosed
from tests.test_workflow import topic_file

CLI = [sys.executable, "-m", "newsdesk.cli"]


@dataclass
class SlowLLM:
    """A model server that holds every request until released."""

    url: str
    asked: threading.Event
    release: threading.Event


@pytest.fixture
def slow_llm(chat_server: ChatServer) -> Iterator[SlowLLM]:
    """The chat server, holding every request until released."""
    asked, release = threading.Event(), threading.Event()

    def hold(body: dict[str, Any]) -> dict[str, object]:
        asked.set()
        release.wait(60)
        return {"answer": "YES"}

    chat_server.answer = hold
    try:
        yield SlowLLM(chat_server.url, asked, release)
    finally:
        release.set()


def slow_run(tmp_path: Path, slow_llm: SlowLLM, home: str) -> tuple[list[str], dict[str, str]]:
    """`newsdesk run` of the example topic, blocked at its first model call."""
    path = topic_file(tmp_path, backend="openai")
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(tmp_path / home),
        "NEWSDESK_OPENAI_BASE_URL": slow_llm.url,
        "NEWSDESK_HTTP_RETRIES": "0",
        "NEWSDESK_LLM_TIMEOUT": "120",
    }
    return [*CLI, "run", str(path), "--db", str(tmp_path / "runs.db")], env


def started(proc: subprocess.Popen[bytes], slow_llm: SlowLLM) -> None:
    deadline = time.monotonic() + 180
    while not slow_llm.asked.wait(0.2):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run never reached the model"


def test_a_killed_run_is_marked_failed_at_the_next_start_and_leaves_no_temp_file(
    tmp_path: Path, slow_llm: SlowLLM
) -> None:
    cmd, env = slow_run(tmp_path, slow_llm, "home-1")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        started(proc, slow_llm)
        # another home on the same store cannot run the topic meanwhile (the lock is the store's)
        other = {**env, "NEWSDESK_HOME": str(tmp_path / "home-2")}
        busy = subprocess.run(cmd, capture_output=True, text=True, env=other, check=False)
        assert busy.returncode == 2, busy.stderr
        assert "already running" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = open_store(str(tmp_path / "runs.db"))
    assert [r.status for r in store.runs()] == ["running"]  # nobody could end it
    store.close()
    listed = subprocess.run(
        [*CLI, "runs", "--db", str(tmp_path / "runs.db"), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    run = json.loads(listed.stdout)[0]
    assert run["status"] == "failed"
    assert run["message"].startswith("interrupted: process ")
    assert run["finished_at"]
    # the next run goes on (the killed one does not hold the topic) and writes every digest
    done = subprocess.run(
        [*cmd, "--backend", "extractive"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert sorted(p.suffix for p in out.iterdir()) == [".atom", ".html", ".json", ".md", ".txt"]


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGTERM, 143, "stopped by SIGTERM"), (signal.SIGINT, 130, "interrupted (Ctrl-C)")],
)
def test_sigterm_and_ctrl_c_end_the_run_as_failed_at_once(
    tmp_path: Path, slow_llm: SlowLLM, signum: int, code: int, message: str
) -> None:
    cmd, env = slow_run(tmp_path, slow_llm, "home")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        started(proc, slow_llm)
        proc.send_signal(signum)
        assert proc.wait(30) == code
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    assert b"Traceback" not in proc.stderr.read()
    store = open_store(str(tmp_path / "runs.db"))
    run = store.runs()[0]
    store.close()
    assert (run.status, run.message) == ("failed", message)


def test_a_run_whose_process_died_is_ended_at_the_next_start(store_url: str) -> None:
    code = (
        "import os, sys\nfrom newsdesk.store import open_store\n"
        "open_store(sys.argv[1]).start_run('t')\nos._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, store_url], check=True, env=os.environ.copy())
    store = open_store(store_url)
    assert store.runs("t")[0].status == "running"
    ended = 0
    for _ in range(50):  # PostgreSQL ends the dead session's lock a moment later
        ended = store.end_orphaned_runs()
        if ended:
            break
        time.sleep(0.1)
    assert ended == 1
    run = store.runs("t")[0]
    assert run.status == "failed"
    assert "interrupted" in run.message
    with owned_run(store, "t") as life:  # the topic is free again
        life.succeeded(["a"], ["a"], 1, {"items": []})
    assert [r.status for r in store.runs("t")] == ["ok", "failed"]
    store.close()


def test_two_homes_sharing_one_store_never_run_a_topic_at_once(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home-1"))
    one = open_store(store_url)
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home-2"))
    two = open_store(store_url)
    with owned_run(one, "稀土") as life:
        with pytest.raises(TopicBusy, match="already running"), owned_run(two, "稀土"):
            pass
        assert two.end_orphaned_runs() == 0  # a live run is not an orphan
        life.succeeded([], [], 0, {})
    with owned_run(two, "稀土") as life:  # released by the first
        life.succeeded([], [], 0, {})
    assert [r.status for r in two.runs("稀土")] == ["ok", "ok"]
    one.close()
    two.close()


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ConfigError("outputs.folder: bad"), "outputs.folder: bad"),
        (ValueError("boom"), "unexpected ValueError: boom"),
        (KeyboardInterrupt(), "interrupted (Ctrl-C)"),
        (Terminated(143), "stopped by SIGTERM"),
        (Interrupted(130), "interrupted (Ctrl-C)"),
    ],
)
def test_every_way_out_of_a_run_gives_it_a_final_status(
    store: Store, error: BaseException, message: str
) -> None:
    with pytest.raises(type(error)), owned_run(store, "t"):
        raise error
    run = store.runs("t")[0]
    assert (run.status, run.message) == ("failed", message)
    assert run.finished_at
    with owned_run(store, "t"):
        pass  # ended without a result
    assert store.runs("t")[0].message == "ended without a digest"


def test_an_unexpected_error_in_a_run_fails_it(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = load_topic(topic_file(tmp_path))

    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(workflow, "select", broken)
    with pytest.raises(ZeroDivisionError):
        run_topic(store, topic)
    run = store.runs(topic.name)[0]
    assert (run.status, run.message) == ("failed", "unexpected ZeroDivisionError: a bug")


def test_a_full_disk_while_writing_the_digest_fails_the_run_and_leaves_no_temp_file(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = load_topic(topic_file(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    stem = topic.name
    (out / f".{stem}.killed.tmp").write_text("left by a run killed while writing")
    real = os.fdopen

    class Full:
        def __init__(self, f: Any) -> None:
            self.f = f

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *_: object) -> None:
            self.f.close()

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real(fd, *a, **k)))
    with pytest.raises(OutputError, match="No space left on device"):
        run_topic(store, topic)
    monkeypatch.undo()
    assert [p.name for p in out.iterdir()] == []  # neither the stray nor this run's temp file
    run = store.runs(topic.name)[0]
    assert run.status == "failed"
    assert "cannot write the digest: No space left on device" in run.message


def test_watch_logs_a_topic_that_fails_unexpectedly_or_on_its_model_and_runs_the_others(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = load_topic(topic_file(tmp_path))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    bad_model = good.model_copy(
        update={"name": "bad-model", "backend": "local", "model": str(junk)}
    )
    buggy = good.model_copy(update={"name": "buggy"})
    real_select = workflow.select

    def select(store: Store, topic: Any, **options: Any) -> Any:
        if topic.name == "buggy":
            raise KeyError("a bug")
        return real_select(store, topic, **options)

    monkeypatch.setattr(workflow, "select", select)
    monkeypatch.delenv("NEWSDESK_MODEL", raising=False)
    logs: list[str] = []
    watch(lambda: Unclosed(store), [bad_model, buggy, good], log=logs.append, once=True)
    assert any(line.startswith("bad-model: failed") and str(junk) in line for line in logs), logs
    assert any(line.startswith("buggy: failed") and "unexpected KeyError" in line for line in logs)
    assert any(line.startswith(f"{good.name}: ") and "items" in line for line in logs), logs
    assert store.runs("bad-model")[0].status == "failed"
    assert store.runs("buggy")[0].status == "failed"
    assert store.runs(good.name)[0].status == "ok"
    assert "NEWSDESK_MODEL" not in os.environ  # the topic's model stayed with that topic
