"""The JSON form of the model: what every ``to_dict`` writes and every ``from_dict`` reads.

``to_dict`` returns plain JSON-ready dicts; ``from_dict`` takes a parsed JSON
object (``JSONObject``), whose values are whatever ``json.loads`` made of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

JSONObject = Mapping[str, Any]  # a parsed JSON object: values are str, int, list, dict, ...


def as_list(value: object) -> list[Any]:
    """A JSON list (None or missing: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a JSON list, not {type(value).__name__}")
    return value


def as_objects(value: object) -> list[JSONObject]:
    """A JSON list of objects (None or missing: empty)."""
    items = as_list(value)
    if not all(isinstance(x, dict) for x in items):
        raise ValueError("expected a JSON list of objects")
    return items


def flat(obj: object) -> dict[str, object]:
    """The ``to_dict`` of a flat dataclass: its fields in order, tuples as lists."""
    return {
        f.name: list(v) if isinstance(v := getattr(obj, f.name), tuple) else v
        for f in fields(obj)  # type: ignore[arg-type]
    }
