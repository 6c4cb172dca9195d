"""Connecting to an Elasticsearch cluster: several hosts, authentication, short timeouts.

`ES_URL` may list several nodes, comma-separated (`http://a:9200,http://b:9200`). The client
spreads requests over them and, when one fails or times out, retries the request on another
(`retries`); a node that failed is set aside for a while by the transport's node pool, so a dead
or hung node costs one short timeout, not every request. Secured clusters take an API key or a
user and password, and a CA certificate for TLS (SearchConfig: es_api_key, es_username,
es_password, es_ca_certs).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from search.errors import BackendUnavailable


def hosts(url: str) -> list[str]:
    """The node URLs in an ES_URL value (comma- or space-separated), without trailing slashes."""
    found = [h.strip().rstrip("/") for h in re.split(r"[,\s]+", url or "") if h.strip()]
    if not found:
        raise ValueError("no Elasticsearch URL given (ES_URL=http://host:9200[,http://host2:9200…])")
    return found


@dataclass(frozen=True)
class Credentials:
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: str = ""

    @classmethod
    def from_config(cls, config) -> "Credentials":
        return cls(config.es_api_key, config.es_username, config.es_password, config.es_ca_certs)

    def options(self) -> dict:
        out = {}
        if self.api_key:
            out["api_key"] = self.api_key
        elif self.username:
            out["basic_auth"] = (self.username, self.password)
        if self.ca_certs:
            out["ca_certs"] = self.ca_certs
        return out


def connect(url: str, credentials: Credentials = Credentials(), timeout: float = 2.0, retries: int = 2):
    """A client over every node in `url`; a failed or timed-out request is retried on another node."""
    from elasticsearch import Elasticsearch

    return Elasticsearch(hosts(url), request_timeout=timeout, max_retries=retries, retry_on_timeout=True,
                         retry_on_status=(502, 503, 504), **credentials.options())


def node_status(url: str, credentials: Credentials = Credentials(), timeout: float = 0.5) -> list[dict]:
    """Each configured node and whether it answers within `timeout` seconds (for health); the nodes
    are asked at once, so a hung node costs one timeout however many there are."""
    from concurrent.futures import ThreadPoolExecutor

    from elasticsearch import Elasticsearch

    def answers(host: str) -> bool:
        client = Elasticsearch(host, request_timeout=timeout, max_retries=0, **credentials.options())
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    nodes = hosts(url)
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        return [{"url": host, "up": up} for host, up in zip(nodes, pool.map(answers, nodes))]


RETRIES_5XX = 2        # a search that failed inside the cluster is asked again this many times
RETRY_PAUSE = 0.05     # seconds before asking again: the cluster has noticed a lost node by then


def call(url: str, fn, not_found: str, **kwargs):
    """`fn(**kwargs)` with the client's errors as BackendUnavailable (the app's 503): `not_found`
    for a missing index, "unreachable" when no node answers (the cause is the client's
    TransportError), "cannot answer" for an overloaded or unallocated cluster.

    A 5xx from the cluster (a node lost between a search's query and fetch phases answers 500
    with node_disconnected_exception, which the client does not retry) is asked again, on
    another node, before it counts as a failure."""
    import time

    from elasticsearch import ApiError, NotFoundError, TransportError

    for attempt in range(RETRIES_5XX + 1):
        try:
            return fn(**kwargs)
        except NotFoundError as exc:
            raise BackendUnavailable(url, not_found) from exc
        except TransportError as exc:  # ConnectionError, ConnectionTimeout, TLS errors
            raise BackendUnavailable(url, f"Elasticsearch unreachable at {url}") from exc
        except ApiError as exc:
            status = getattr(exc, "status_code", 0) or 0
            if status >= 500 and attempt < RETRIES_5XX:
                time.sleep(RETRY_PAUSE)
                continue
            if status in (429,) or status >= 500 or "no_shard_available" in str(exc):
                raise BackendUnavailable(url, f"Elasticsearch at {url} cannot answer: "
                                              f"{exc.status_code} {exc.error}") from exc
            raise
