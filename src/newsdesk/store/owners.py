"""Who owns a running run: the process recorded in its row, and whether it still lives.

A run row in status ``running`` is the topic's lock. Its ``owner`` names the
process that holds it: ``host:pid:start:nonce``, where ``start`` is the
process's start time (so a reused pid is not taken for the old process) and
``nonce`` tells this process's runs apart (a run whose end could not be
written is not kept alive by the process that is still running). A run whose
owner is gone is ended as failed the next time its topic starts or the runs
are listed.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

_LIVE: set[str] = set()  # owners of the runs this process is running now


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' where /proc cannot tell)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""  # field 22 of proc(5), after pid and name


def new_owner() -> str:
    """An owner for a run this process starts now (alive until ``release``)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}:"
    owner += secrets.token_hex(4)
    _LIVE.add(owner)
    return owner


def release(owner: str | None) -> None:
    """This process no longer runs the run of ``owner``."""
    _LIVE.discard(owner or "")


def is_live_here(owner: str) -> bool:
    """Whether ``owner`` is a run this process is running now."""
    return owner in _LIVE


def alive(owner: str) -> bool | None:
    """Whether the owning process still runs: True, False, or None (another host: unknown)."""
    host, pid_text, start, _nonce = ([*owner.split(":"), "", "", ""])[:4]
    if not pid_text.isdigit():
        return False  # a run from before owners were recorded, or a damaged row
    if host != socket.gethostname():
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return is_live_here(owner)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    now = _start_time(pid)
    return not start or not now or now == start


def describe(owner: str) -> str:
    """``process 123 on host h`` for messages."""
    host, pid, *_ = [*owner.split(":"), "", ""]
    return f"process {pid} on {host}" if pid else "a process of an older newsdesk (no owner kept)"
