"""Alert channels: small classes registered by name, configured outside the topic file.

Built-ins: ``webhook`` (generic JSON), ``slack``, ``feishu`` (Lark), ``dingtalk``
and ``wecom`` incoming webhooks, and ``email`` over SMTP (STARTTLS, AUTH). They
register in the ``newsdesk.channels`` entry-point group (``CHANNELS``) like any
plugin; a plugin subclasses ``Channel`` (or ``WebhookChannel``) and writes one
method.

Configuration comes from ``<home>/channels.toml`` (or the file named by
``NEWSDESK_CHANNELS``), one table per channel name, and from environment
variables: ``NEWSDESK_CHANNEL_<NAME>=<webhook URL>`` defines a channel in one
line, and any key ending in ``_env`` names the variable holding its value
(``password_env = "SMTP_PASSWORD"``), so secrets need not be written down.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import tomllib
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote_plus, urlsplit

import httpx

from newsdesk import config
from newsdesk.errors import ConfigError, DeliveryError
from newsdesk.model import Alert
from newsdesk.plugins import Registry

Settings = dict[str, object]
"""A channel's table of channels.toml, its ``*_env`` keys resolved."""
JSON = dict[str, object]


class Channel:
    """A place alerts go. Subclasses write ``send``; the outbox retries and logs."""

    kind: ClassVar[str] = ""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        timeout = settings.get("timeout")
        self.timeout = self.number("timeout") if timeout else config.get_float("alert_timeout")

    def setting(self, key: str, default: object = None) -> object:
        """A setting of this channel; a missing required one is a ConfigError."""
        if key in self.settings:
            return self.settings[key]
        if default is None:
            raise ConfigError(f"channel {self.name!r} ({self.kind}) needs {key!r}")
        return default

    def number(self, key: str, default: float | None = None) -> float:
        """A numeric setting; one that is not a number is a ConfigError."""
        value = self.setting(key, default)
        if isinstance(value, int | float | str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"channel {self.name!r}: {key} {value!r} is not a number")

    def send(self, alert: Alert) -> None:
        """Deliver one alert; raise DeliveryError when the far end refuses it."""
        raise NotImplementedError


def text_of(alert: Alert, markdown: bool = False) -> str:
    """An alert as a short message: what fired, the story's title, source, time, brief, link."""
    when = (alert.published_at or "undated")[:16].replace("T", " ")
    title = f"**{alert.title}**" if markdown else alert.title
    link = f"[{alert.url}]({alert.url})" if markdown else alert.url
    return (
        f"newsdesk alert {alert.rule!r} on {alert.topic}: {alert.reason}\n"
        f"{title}\n{alert.source_display}· {when}\n{alert.brief}\n{link}"
    )


class WebhookChannel(Channel):
    """The generic JSON webhook: POSTs the alert as JSON to ``url``."""

    kind = "webhook"

    def url(self) -> str:
        """The URL to POST to (http or https only)."""
        url = str(self.setting("url"))
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"channel {self.name!r}: url {url!r} is not an http(s) URL")
        return url

    def body(self, alert: Alert) -> JSON:
        """The JSON body."""
        return {"type": "newsdesk.alert", "text": text_of(alert), **alert.to_dict()}

    def check(self, response: httpx.Response) -> None:
        """Raise DeliveryError unless the response says the message was taken."""
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")

    def send(self, alert: Alert) -> None:
        """POST the body; a hash of the alert key travels as Idempotency-Key (ASCII)."""
        key = hashlib.sha256(alert.key.encode()).hexdigest()[:32]
        headers = {"User-Agent": config.get("user_agent"), "Idempotency-Key": key}
        try:
            response = httpx.post(
                self.url(), json=self.body(alert), headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
        self.check(response)


def _json_code(response: httpx.Response, *fields: str) -> None:
    if not response.is_success:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        data = response.json()
    except json.JSONDecodeError:
        raise DeliveryError(f"not JSON: {response.text[:200]}") from None
    for f in fields:
        if f in data and data[f] not in (0, "0"):
            raise DeliveryError(f"{f} {data[f]}: {data.get('msg') or data.get('errmsg') or ''}")


class SlackChannel(WebhookChannel):
    """A Slack incoming webhook (answers ``ok``)."""

    kind = "slack"

    def body(self, alert: Alert) -> JSON:
        """Slack's message: mrkdwn text."""
        return {"text": text_of(alert).replace("**", "*")}

    def check(self, response: httpx.Response) -> None:
        """Slack answers 200 ``ok``, or an error word."""
        if not response.is_success or response.text.strip() != "ok":
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")


class FeishuChannel(WebhookChannel):
    """A Feishu (Lark) custom bot; with ``secret`` the request is signed."""

    kind = "feishu"

    def body(self, alert: Alert) -> JSON:
        """Feishu's text message, signed when the bot has a secret."""
        out: JSON = {"msg_type": "text", "content": {"text": text_of(alert)}}
        secret = self.settings.get("secret")
        if secret:
            stamp = str(int(time.time()))
            key = f"{stamp}\n{secret}".encode()
            sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            out |= {"timestamp": stamp, "sign": sign}
        return out

    def check(self, response: httpx.Response) -> None:
        """Feishu answers ``{"code": 0}`` (older bots ``StatusCode``)."""
        _json_code(response, "code", "StatusCode")


class DingTalkChannel(WebhookChannel):
    """A DingTalk custom robot; with ``secret`` the URL carries the signature."""

    kind = "dingtalk"

    def url(self) -> str:
        """The webhook URL, with timestamp and sign when the robot has a secret."""
        url = super().url()
        secret = self.settings.get("secret")
        if not secret:
            return url
        stamp = str(int(time.time() * 1000))
        mac = hmac.new(str(secret).encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256)
        sign = quote_plus(base64.b64encode(mac.digest()).decode())
        return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"

    def body(self, alert: Alert) -> JSON:
        """DingTalk's markdown message."""
        return {
            "msgtype": "markdown",
            "markdown": {"title": alert.title[:64], "text": text_of(alert, markdown=True)},
        }

    def check(self, response: httpx.Response) -> None:
        """DingTalk answers ``{"errcode": 0}``."""
        _json_code(response, "errcode")


class WeComChannel(WebhookChannel):
    """A WeCom (企业微信) group robot."""

    kind = "wecom"

    def body(self, alert: Alert) -> JSON:
        """WeCom's markdown message."""
        return {"msgtype": "markdown", "markdown": {"content": text_of(alert, markdown=True)}}

    def check(self, response: httpx.Response) -> None:
        """WeCom answers ``{"errcode": 0}``."""
        _json_code(response, "errcode")


class EmailChannel(Channel):
    """Email over SMTP: STARTTLS (default on), AUTH when a username is set."""

    kind = "email"

    def send(self, alert: Alert) -> None:
        """Send one message to ``to`` from ``from``."""
        host = str(self.setting("host"))
        port = int(self.number("port", 587))
        to = self.setting("to")
        recipients = [str(t) for t in to] if isinstance(to, list | tuple) else [str(to)]
        msg = EmailMessage()
        msg["Subject"] = f"[newsdesk] {alert.rule}: {alert.title}"
        msg["From"] = str(self.setting("from"))
        msg["To"] = ", ".join(recipients)
        msg["Message-ID"] = f"<{hashlib.sha256(alert.key.encode()).hexdigest()[:32]}@newsdesk>"
        msg.set_content(text_of(alert))
        ca_file = self.settings.get("ca_file")
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        try:
            with smtplib.SMTP(host, port, timeout=self.timeout) as smtp:
                if self.settings.get("starttls", True):
                    smtp.starttls(context=context)
                if self.settings.get("username"):
                    smtp.login(str(self.settings["username"]), str(self.setting("password")))
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(f"SMTP {host}:{port}: {type(e).__name__}: {e}") from e


CHANNELS: Registry[Callable[[str, Settings], Channel]] = Registry("channels")
"""Channel classes by type: the ``newsdesk.channels`` entry points (the built-ins too)."""


def channel_types() -> dict[str, Callable[[str, Settings], Channel]]:
    """Channel classes by type, as registered in ``CHANNELS``."""
    return {name: CHANNELS.get(name) for name in CHANNELS.names()}


def channels_file() -> Path:
    """Where channel settings live: NEWSDESK_CHANNELS, else <home>/channels.toml."""
    return Path(config.get("channels") or config.home() / "channels.toml").expanduser()


def _resolve(name: str, raw: dict[str, object]) -> Settings:
    out: Settings = {}
    for key, value in raw.items():
        if key.endswith("_env"):
            var = str(value)
            if var not in os.environ:
                raise ConfigError(f"channel {name!r}: {key} names ${var}, which is not set")
            out[key.removesuffix("_env")] = os.environ[var]
        else:
            out[key] = value
    return out


def load_channels() -> tuple[dict[str, Channel], dict[str, str]]:
    """Every configured channel by name, and the problem of each channel that is unusable.

    Read from the settings file, then ``NEWSDESK_CHANNEL_<NAME>`` URLs. One bad
    channel (a missing variable, an unknown type) does not stop the others.
    """
    types = channel_types()
    tables: dict[str, object] = {}
    path = channels_file()
    if path.exists():
        try:
            tables = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            return {}, {"*": f"{path}: not valid TOML: {e}"}
    for var, value in os.environ.items():
        if var.startswith("NEWSDESK_CHANNEL_") and value:
            name = var.removeprefix("NEWSDESK_CHANNEL_").lower()
            tables.setdefault(name, {"type": name if name in types else "webhook", "url": value})
    out: dict[str, Channel] = {}
    problems: dict[str, str] = {}
    for name, table in tables.items():
        try:
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [{name}] must be a table")
            kind = str(table.get("type") or name)
            if kind not in types:
                known = ", ".join(sorted(types))
                raise ConfigError(f"{path}: [{name}] type {kind!r} is not a channel ({known})")
            settings = _resolve(name, {k: v for k, v in table.items() if k != "type"})
            out[name] = types[kind](name, settings)
        except ConfigError as e:
            problems[name] = str(e)
    return out, problems
