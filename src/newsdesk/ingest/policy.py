"""What ingest may open: one policy for every path and URL that comes from data.

The user's own inputs (command-line paths and URLs, a topic's sources) are
trusted: ``file:`` paths are read and their hosts may be loopback or private
(the demo serves its feed on 127.0.0.1). Everything found *in* data -- a feed
entry's link, a redirect's ``Location`` -- is checked here before anything is
opened:

- schemes: http and https only; a link of a local feed may also name an HTML
  file inside that feed's own folder (the demo's feed links its pages so);
- hosts: a link to the same origin (scheme, host, port) as a URL the user named
  is allowed; any other host is resolved and refused when an address it resolves
  to is loopback, private, link-local, multicast or reserved, unless
  ``NEWSDESK_ALLOW_PRIVATE_HOSTS=1``;
- redirects: at most ``NEWSDESK_HTTP_MAX_REDIRECTS``, each hop checked as a link.

A refused local link gets the same message whether or not the file exists, so
the policy is no oracle for what is on disk.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsdesk import config
from newsdesk.errors import Refused

WEB_SCHEMES = frozenset({"http", "https"})
LOCAL_LINK_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})

Resolver = Callable[[str], list[str]]


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased, with the default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def is_public_address(address: str) -> bool:
    """Whether an IP address is a global unicast one (not loopback, private, ...)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    """The rules for links found in data; ``trusted`` are origins the user named."""

    trusted: frozenset[str] = frozenset()
    allow_private: bool = False
    max_redirects: int = 5
    resolver: Resolver = field(default=resolve_host, compare=False)

    @classmethod
    def for_inputs(cls, urls: Iterable[str] = ()) -> UrlPolicy:
        """The policy from the settings, trusting the origins of the URLs the user named."""
        return cls(
            trusted=frozenset(origin(u) for u in urls),
            allow_private=config.get("allow_private_hosts").strip().lower()
            in ("1", "true", "yes", "on"),
            max_redirects=max(0, config.get_int("http_max_redirects")),
        )

    def check_link(self, url: str, where: str) -> None:
        """Refuse a URL found in data unless it is http(s) to a host the policy allows."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in WEB_SCHEMES:
            shown = f"{scheme}:" if scheme else "a link without a scheme"
            raise Refused(where, f"refused {shown} link: only http and https links are followed")
        host = (parts.hostname or "").lower()
        if not host:
            raise Refused(where, "refused link without a host")
        if origin(url) in self.trusted or self.allow_private:
            return
        addresses = [host] if _is_ip(host) else self.resolver(host)
        if not addresses:
            return  # unresolvable: the fetch itself fails with a connection error
        bad = [a for a in addresses if not is_public_address(a)]
        if bad:
            raise Refused(
                where,
                f"refused link to {host} ({bad[0]}: a loopback, private, link-local or reserved "
                "address); NEWSDESK_ALLOW_PRIVATE_HOSTS=1 allows it",
            )

    def check_peer(self, url: str, address: str | None, where: str) -> None:
        """After connecting: refuse a non-public peer of an untrusted link (DNS rebinding)."""
        if address is None or self.allow_private or origin(url) in self.trusted:
            return
        if not is_public_address(address):
            raise Refused(
                where,
                f"refused: {urlsplit(url).hostname} connected to {address}, a loopback, private "
                "or reserved address; NEWSDESK_ALLOW_PRIVATE_HOSTS=1 allows it",
            )


def local_link(url: str, root: Path | None, where: str) -> Path:
    """The file a local feed's ``file:`` link names, if it is an HTML file inside ``root``."""
    parts = urlsplit(url)
    refused = Refused(
        where,
        "refused file: link: a feed's links are followed over http(s) only, or to HTML files "
        "in the local feed's own folder",
    )
    if root is None or parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise refused
    path = Path(unquote(parts.path))
    base = root.resolve()
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the path
        raise refused from None
    inside = resolved.is_relative_to(base)
    hidden = any(p.startswith(".") for p in resolved.relative_to(base).parts) if inside else True
    if not inside or hidden or resolved.suffix.lower() not in LOCAL_LINK_SUFFIXES:
        raise refused
    return resolved


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True
