"""The web app and REST API (``newsdesk serve``)."""

from newsdesk.web.app import create_app

__all__ = ["create_app"]
