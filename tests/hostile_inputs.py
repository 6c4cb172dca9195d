"""Hostile text every endpoint must answer with a 4xx or a normal page, never a 5xx, and never run.

Shared by tests/test_hostile_input.py and bench/robustness.py.
"""
import socket

HOSTILE = [
    "<script>alert(1)</script>",
    '" onerror=alert(1) x="',
    "'><svg onload=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "</title><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{7*7}}{% raw %}${7*7}",
    # FTS5 syntax and operators
    '"', '""', '"unterminated', "*", "a*", ":", "(", ")", "()", "(((", "-", "+", "~", "^",
    "AND", "OR", "NOT", "NEAR", "a AND", "OR b", "NOT NOT", "NEAR(a b)", "NEAR(a b, 3)",
    "title:x", "name:山林", "{name}:x", "^name", '" * : ( ) - + ~ ^ AND OR NEAR',
    "山林 AND (着火 OR", "'; DROP TABLE duties; --", "1' OR '1'='1", "%", "_", "\\", "\\\\'",
    # Elasticsearch query_string / JSON syntax
    "name:(山林 OR 着火)~2", "/.*/", "field:[* TO *]", "a^100", "fuzzy~", '{"match_all":{}}', "?*",
    # control characters and bidi
    "\x00", "a\x00b", "\x1b[31m红\x1b[0m", "\u202e着火山林", "\u200b\u200c\u200d", "\ufeff低保",
    "\t\n\r", "\x7f\x85\x9f",
    # mixed scripts and emoji
    "🔥山火", "🔥" * 50, "山林着火 fire Пожар حريق 火災", "ཞིང་ཁ", "ئوت ئاپىتى", "𠀀𪚥",
    "e\u0301\u0301\u0301", "ＡＮＤ（全角）：",
    # percent-encoded garbage, as text
    "%00", "%ff%fe", "%E4%B8", "%%%", "%u202e",
]
LONG = ["x" * 10_000, "山" * 10_000, "<script>" * 1_250]

BROWSER_HOSTILE = ["<script>alert(1)</script>", '" onerror=alert(1) x="', '"><img src=x onerror=alert(1)>',
                   "'><svg onload=alert(1)>", "</title><script>alert(1)</script>🔥山火"]


def raw_get(url: str, target: bytes, timeout: float = 60) -> tuple[int, bytes, bytes]:
    """GET `target` sent byte for byte (a client library would encode what is not UTF-8):
    status, head, body."""
    host, port = url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body
