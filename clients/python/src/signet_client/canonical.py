"""The canonical URL of docs/protocol.md section 3, exactly as src/protocol/target.ts computes it."""

from __future__ import annotations

import re
from typing import NamedTuple

# JavaScript's \s, which the reference regular expressions use: Python's differs (it lacks U+FEFF
# and has U+001C..U+001F), so the class is spelt out to match the reference byte for byte.
_WS = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ABSOLUTE_URL = re.compile(rf"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#@{_WS}]+)(/[^?#{_WS}]*)?(\?[^#{_WS}]*)?")
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::[0-9]*)?")
_PORT = re.compile(r":([0-9]*)\Z")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class CanonicalUrl(NamedTuple):
    origin: str
    """``scheme://host[:port]``, lower case, default port dropped."""
    target: str
    """Path and query, percent-escapes in upper case, empty query dropped."""
    href: str
    """origin + target: the value of the ``url`` claim."""


def _upper_escapes(text: str) -> str:
    return _ESCAPE.sub(lambda m: m.group(0).upper(), text)


def canonicalize_url(url: str, drop_param: str | None = None) -> CanonicalUrl | None:
    """The canonical form of an absolute http(s) URL, or None when it has none (fragment, user
    info, another scheme, white space, a malformed authority). Nothing is decoded, dot segments stay."""
    match = _ABSOLUTE_URL.fullmatch(url)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    authority = match.group(2).lower()
    if _AUTHORITY.fullmatch(authority) is None:
        return None
    port = _PORT.search(authority)
    if port is not None and port.group(1) in ("", _DEFAULT_PORTS[scheme]):
        authority = authority[: port.start()]
    path = _upper_escapes(match.group(3) or "/")
    query = "" if match.group(4) is None else _upper_escapes(match.group(4)[1:])
    if drop_param is not None:
        query = "&".join(pair for pair in query.split("&") if pair.split("=", 1)[0] != drop_param)
    target = path if query == "" else f"{path}?{query}"
    origin = f"{scheme}://{authority}"
    return CanonicalUrl(origin, target, origin + target)
