"""No secret reaches a log: a filter on the process's log handler that masks bot tokens.

The filter sits on the root handler, not on our loggers, because the leaks come from
third-party records: httpx logs every request URL, and Telegram's URLs contain
`bot<TOKEN>`; python-telegram-bot's `InvalidToken` quotes the token it refused. Anything
shaped like a Telegram or Discord token is masked, and so are the configured tokens
themselves (whatever their shape), in the message, its arguments and any traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "[REDACTED]"

# Telegram: `<bot id>:<35 url-safe characters>`, also inside `/bot<token>/getMe`.
_TELEGRAM = r"\d{3,}:[A-Za-z0-9_-]{30,}"
# Discord: base64url(user id) . base64url(timestamp) . base64url(HMAC), e.g.
# `MTA4…NDU.Gx1abc.xYz…`; the first part always decodes a number, so starts with M, N or O.
_DISCORD = r"[MNO][A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{25,}"
# No left boundary for Telegram's: in a URL the token follows `bot` directly.
_SHAPES = re.compile(rf"(?:{_TELEGRAM}|(?<![A-Za-z0-9_-]){_DISCORD})(?![A-Za-z0-9_-])")


class RedactSecrets(logging.Filter):
    """Masks token-shaped text and the given secrets in every record it sees."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret and token-shaped word replaced by MASK."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _SHAPES.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (message, traceback, stack) and let it through."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, masked
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True
