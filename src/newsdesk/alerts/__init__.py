"""Alerts: rules in the topic file, channels configured outside it, an outbox in the store."""

from __future__ import annotations

from newsdesk.alerts.channels import (
    Channel,
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    channel_types,
    load_channels,
)
from newsdesk.alerts.conditions import evaluate
from newsdesk.alerts.outbox import DeliveryReport, deliver_pending, enqueue
from newsdesk.model import AlertRule, Spike, When  # the rules are part of the topic file

__all__ = [
    "AlertRule",
    "Channel",
    "DeliveryReport",
    "DingTalkChannel",
    "EmailChannel",
    "FeishuChannel",
    "SlackChannel",
    "Spike",
    "WeComChannel",
    "WebhookChannel",
    "When",
    "channel_types",
    "deliver_pending",
    "enqueue",
    "evaluate",
    "load_channels",
]
