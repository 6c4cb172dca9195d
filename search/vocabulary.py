"""The names and limits every layer shares: modes, filter fields, region fields, request limits.

The engine checks its arguments against these, the web layer's parameter parsing and the OpenAPI
document state the same numbers, so a page, the JSON API and a library call accept and reject
the same requests.
"""
from __future__ import annotations

from models.duty import LIST_LABELS, LIST_TYPES  # noqa: F401  (re-exported: one import for callers)

MODES = ("hybrid", "keyword", "semantic")
REGION_FIELDS = ("province", "prefecture", "county", "township")   # a township's full address
AREA_FIELDS = REGION_FIELDS[:3]                                     # what narrows an owner request
FILTER_FIELDS = REGION_FIELDS + ("list_type", "category", "department")
FACET_FIELDS = FILTER_FIELDS
STATUS_NOT_LISTED = "not_listed"

Q_MAX = 200          # characters in a query
FILTER_MAX = 80      # characters in one filter value or township name
SIZE_DEFAULT = 10
SIZE_MAX = 100       # hits (or townships) per page
PAGE_MAX = 100       # pages: SIZE_MAX × PAGE_MAX is the deepest result reachable
K_DEFAULT = 10
K_MAX = 50           # similar records per request
TOWNSHIPS_MAX = 20   # township parameters on one owner request
