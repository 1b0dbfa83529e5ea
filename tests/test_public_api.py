"""The public surface is deliberate: __all__ is sorted and exact."""

from __future__ import annotations

from types import ModuleType

import newsdesk


def test_all_is_sorted_and_complete() -> None:
    assert newsdesk.__all__ == sorted(newsdesk.__all__)
    public = {
        name
        for name in dir(newsdesk)
        if not name.startswith("_") and not isinstance(getattr(newsdesk, name), ModuleType)
    }
    assert set(newsdesk.__all__) == public | {"__version__"}
