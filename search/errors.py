"""Errors the search engine raises; the Flask app maps them to HTTP statuses.

BadRequest → 400, NotFound → 404, IndexNotReady → 503, BackendUnavailable → 503. Messages are for the person who sent the
request: they name the parameter or the thing not found (in Chinese where users see them).
"""
from __future__ import annotations


class SearchError(Exception):
    """Base class of every error the engine raises on purpose."""


class BadRequest(SearchError, ValueError):
    """A parameter that cannot be used (unknown mode or filter, size out of range, …): raised by the
    engine and by the web layer's parameter parsing alike. `param` names the parameter when one is
    to blame; `code` is a short machine-readable reason."""

    code = "invalid_parameter"

    def __init__(self, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if code:
            self.code = code


class NotFound(SearchError, LookupError):
    """An unknown duty id or township."""


class IndexNotReady(SearchError, RuntimeError):
    """No usable index at `path`: missing, being built for the first time, corrupt, or built
    with a different embedding model than the one configured."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{reason} (index: {self.path})")


class BackendUnavailable(SearchError, RuntimeError):
    """A search backend on another server (Elasticsearch) cannot be reached or cannot answer.
    Keyword and hybrid search raise it; semantic search answers without it, marked degraded."""

    def __init__(self, url: str, message: str):
        self.url = url
        self.message = message
        super().__init__(message)
