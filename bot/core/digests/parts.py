"""A digest as messages: split into parts under Discord's 2,000 characters, each ending in
a marker line that names the period and the part, and the nonces that make a re-post of a
part idempotent. The delivery engine adds its delivery's unique reference to the marker when it
claims the period, which is how a restarted delivery recognises a part already posted.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bot.core.rendering import Renderer
from bot.core.text import split_text
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.core.digests.building import Digest

CONTENT_MAX = 2000
MARKER_ROOM = 80
NONCE_MAX = 25


def marker(digest_period: str, part: int, total: int) -> str:
    """The last line of every posted part: names the period and the part (never a ping), in
    the digest's language. A restarted delivery compares it with the parts it stored at the
    claim, so the words may be translated; the " · " fields (a forum post's title takes the
    period from the second) and the machine-readable period stay as they are."""
    words = _("Trilateral Brief digest · {period} · part {part}/{total}")
    return "-# " + words.format(period=digest_period, part=part, total=total)


def with_reference(part: str, reference: str) -> str:
    """A rendered part whose marker line also names its delivery (unique per ledger row), so
    a message of an earlier delivery of the same period is never taken for this one. A marker
    in Telegram's italics keeps the reference inside them."""
    if part.endswith("</i>"):
        return f"{part.removesuffix('</i>')} · ref {reference}</i>"
    return f"{part} · ref {reference}"


def nonce_for(reference: str, part: int) -> str:
    """Deterministic Discord nonce per (delivery, part), at most 25 characters."""
    return _short(f"dr{reference}.{part}")


def legacy_nonce(subscription_id: int, period: str, part: int) -> str:
    """The nonce of a delivery claimed before 004 (it has no reference)."""
    return _short(f"dg{subscription_id}.{period}.{part}")


def _short(text: str) -> str:
    if len(text) <= NONCE_MAX:
        return text
    return "dg" + hashlib.sha256(text.encode()).hexdigest()[: NONCE_MAX - 2]


def render_parts(renderer: Renderer, digest: Digest, limit: int = CONTENT_MAX) -> list[str]:
    """The Discord messages of a digest, each within `limit` and ending in its marker."""
    text = renderer.render("digest.j2", digest=digest)
    chunks = split_text(text, limit - MARKER_ROOM)
    total = len(chunks)
    return [
        f"{chunk}\n{marker(digest.period, number, total)}"
        for number, chunk in enumerate(chunks, start=1)
    ]
