"""The README documents every setting and shows the two set-up commands."""

from __future__ import annotations

from pathlib import Path

from newsdesk.config import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in README]
    assert missing == []


def test_two_setup_commands() -> None:
    assert "make demo" in README
    assert "make test" in README


def test_every_command_is_documented() -> None:
    from newsdesk.cli import app

    names = [c.name for c in app.registered_commands]
    assert [n for n in names if f"newsdesk {n}" not in README] == []
