"""Plain text and canonical links from what feeds publish."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit, urlunsplit

_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s")
# C0, DEL and C1 (U+0080–U+009F: what mis-decoded text leaves behind) are never stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Query parameters that identify a campaign or a click, never the story.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|ocid|cmpid|cmp|ref|ref_src|"
    r"src|sns|from|rss|feed|at_\w+|_ga|yclid|spm|share)$",
    re.IGNORECASE,
)


def plain_text(value: str | None) -> str:
    """HTML removed, entities decoded (twice over: feeds double-encode), one line."""
    text = _SCRIPT.sub(" ", value or "")
    text = _BLOCK.sub(" ", text)
    text = _TAG.sub(" ", text)
    for _ in range(2):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = _TAG.sub(" ", decoded)
    text = _CONTROL.sub(" ", text).replace("\xa0", " ")
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return (cut or text[: limit - 1]) + "…"


def normalise_link(url: str | None) -> str | None:
    """The link without tracking parameters or fragment, host lowercased; None unless
    http(s) with a host."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or _SPACE.search(text):
        return None
    host = parts.hostname.lower()
    if port and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    # Filter the raw pairs: re-encoding would change links (`a/b` becomes `a%2Fb`).
    kept = [p for p in parts.query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0])]
    return urlunsplit((scheme, host, parts.path or "/", "&".join(kept), ""))


def normalise_known_link(url: str) -> str | None:
    """`normalise_link` for links already validated elsewhere (catalogue sources), with a
    fast path for the common case of a plain lowercase-host link without a query."""
    if "?" not in url and "#" not in url:
        scheme, sep, rest = url.partition("://")
        host, _, path = rest.partition("/")
        if sep and scheme in ("https", "http") and host.islower() and ":" not in host:
            return f"{scheme}://{host}/{path}"
    return normalise_link(url)
