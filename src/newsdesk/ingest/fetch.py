"""HTTP fetching with httpx: timeouts, retries with backoff, a per-host limit,
and conditional GET (ETag / Last-Modified) so re-polling a feed is cheap.

Redirects are followed here, not by httpx, so that each hop passes the URL
policy (``policy.py``); bodies are streamed and counted against the budget
(``budget.py``) on the wire and after decompression, and each item's time in
all (retries and waits included) is bounded.

The validators of each URL live in the store (``HttpCache``), so a feed polled
again from another process or a later run still gets its 304.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from newsdesk import config
from newsdesk.errors import FetchError, InputError, OverBudget, Refused
from newsdesk.ingest.budget import Budget, Inflater
from newsdesk.ingest.policy import UrlPolicy

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_MAX_RETRY_AFTER = 60.0  # never sleep longer than this on a server's Retry-After


class HttpCache(Protocol):
    """Where conditional-GET validators are kept (the store implements it)."""

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) last seen for ``url``."""
        ...

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember the validators of a successful response."""
        ...


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP response worth processing, or a 304 (``not_modified``)."""

    url: str
    final_url: str
    status: int
    content: bytes
    content_type: str
    charset: str | None
    not_modified: bool = False


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """HTTP behaviour; defaults come from the settings table."""

    timeout: float
    retries: int
    backoff: float
    per_host: int
    concurrency: int
    user_agent: str

    @classmethod
    def from_settings(cls) -> HttpOptions:
        """Options as configured by environment variables or defaults."""
        return cls(
            timeout=config.get_float("http_timeout"),
            retries=config.get_int("http_retries"),
            backoff=config.get_float("http_backoff"),
            per_host=max(1, config.get_int("http_per_host")),
            concurrency=max(1, config.get_int("http_concurrency")),
            user_agent=config.get("user_agent"),
        )


class Fetcher:
    """Fetches URLs concurrently within per-host and global limits, the URL policy and budget."""

    def __init__(
        self,
        cache: HttpCache | None = None,
        options: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.cache = cache
        self.options = options or HttpOptions.from_settings()
        self.transport = transport
        self.budget = budget or Budget.from_settings()

    def fetch_all(
        self, urls: Sequence[str], policy: UrlPolicy | None = None
    ) -> list[Fetched | InputError]:
        """Fetch every URL; each result is a response or the error for that URL.

        ``policy`` checks every redirect hop (and the URLs themselves when they
        come from data); by default the given URLs are the user's own.
        """
        if not urls:
            return []
        return asyncio.run(self._fetch_all(urls, policy or UrlPolicy.for_inputs(urls)))

    async def _fetch_all(
        self, urls: Sequence[str], policy: UrlPolicy
    ) -> list[Fetched | InputError]:
        opts = self.options
        limits = httpx.Limits(max_connections=opts.concurrency)
        hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(opts.per_host))
        async with httpx.AsyncClient(
            timeout=opts.timeout,
            limits=limits,
            follow_redirects=False,  # followed here, each hop checked by the policy
            headers={"User-Agent": opts.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=self.transport,
        ) as client:

            async def one(url: str) -> Fetched | InputError:
                async with hosts[urlsplit(url).netloc]:
                    try:
                        async with asyncio.timeout(self.budget.item_seconds):
                            return await self._get(client, url, policy)
                    except TimeoutError:
                        return OverBudget(
                            url,
                            f"over budget: took more than {self.budget.item_seconds:g} s in all "
                            "(NEWSDESK_ITEM_SECONDS)",
                        )
                    except (FetchError, Refused, OverBudget) as e:
                        return e

            return list(await asyncio.gather(*(one(u) for u in urls)))

    async def _get(self, client: httpx.AsyncClient, url: str, policy: UrlPolicy) -> Fetched:
        """One URL: redirects followed by hand (bounded, checked), retries with backoff."""
        current = url
        for _hop in range(policy.max_redirects + 1):
            await asyncio.to_thread(policy.check_link, current, url)
            got = await self._get_one(client, url, current, policy)
            if isinstance(got, Fetched):
                return got
            current = got  # the next hop
        raise FetchError(url, f"too many redirects (more than {policy.max_redirects})")

    async def _get_one(
        self, client: httpx.AsyncClient, url: str, current: str, policy: UrlPolicy
    ) -> Fetched | str:
        headers: dict[str, str] = {}
        if self.cache is not None:  # the original URL's validators, on every hop (as browsers)
            etag, last_modified = self.cache.http_validators(url)
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        opts = self.options
        last_error = "no attempt made"
        retry_after: float | None = None
        for attempt in range(opts.retries + 1):
            if attempt:
                await asyncio.sleep(_delay(opts.backoff, attempt, retry_after))
            retry_after = None
            try:
                async with client.stream("GET", current, headers=headers) as resp:
                    policy.check_peer(current, _peer(resp), url)
                    if resp.status_code in _REDIRECT_STATUS and "Location" in resp.headers:
                        return urljoin(current, resp.headers["Location"])
                    if resp.status_code == 304:
                        return Fetched(url, current, 304, b"", "", None, not_modified=True)
                    if resp.status_code in _RETRY_STATUS:
                        last_error = f"HTTP {resp.status_code} {resp.reason_phrase}"
                        retry_after = _retry_after(resp.headers.get("Retry-After"))
                        continue
                    if resp.status_code >= 400:
                        raise FetchError(url, f"HTTP {resp.status_code} {resp.reason_phrase}")
                    content = await self._body(resp, url)
            except httpx.TimeoutException:
                last_error = f"timed out after {opts.timeout:g} s"
                continue
            except httpx.TransportError as e:
                last_error = f"connection failed: {e.__class__.__name__}: {e}"
                continue
            except httpx.HTTPError as e:  # anything else httpx raises is this item's fault
                raise FetchError(url, f"{e.__class__.__name__}: {e}") from e
            if self.cache is not None:
                self.cache.save_http_validators(
                    url, resp.headers.get("ETag"), resp.headers.get("Last-Modified")
                )
            ctype = resp.headers.get("Content-Type", "")
            return Fetched(
                url=url,
                final_url=current,
                status=resp.status_code,
                content=content,
                content_type=ctype.split(";")[0].strip().lower(),
                charset=resp.charset_encoding,
            )
        raise FetchError(url, f"{last_error} (gave up after {opts.retries + 1} attempts)")

    async def _body(self, resp: httpx.Response, url: str) -> bytes:
        """The decoded body, counted on the wire and after decompression against the budget."""
        limit = self.budget.max_bytes
        declared = resp.headers.get("Content-Length", "")
        if declared.strip().isdigit():
            size = int(declared)
            self.budget.check_size(size, url, f"Content-Length {size} bytes is over")
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        inflater = Inflater(encoding, limit, url)
        parts: list[bytes] = []
        wire = 0
        async for chunk in resp.aiter_raw():
            wire += len(chunk)
            self.budget.check_size(wire, url, "the response is more than")
            parts.append(inflater.feed(chunk))
        return b"".join(parts)


def _peer(resp: httpx.Response) -> str | None:
    stream = resp.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        addr = stream.get_extra_info("server_addr")
    except Exception:  # a transport without the information
        return None
    return str(addr[0]) if addr else None


def _delay(backoff: float, attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, _MAX_RETRY_AFTER)
    return float(backoff * 2 ** (attempt - 1))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
