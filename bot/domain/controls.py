"""Control characters in text that came from outside (feeds, web servers, users).

A terminal obeys ESC/OSC sequences and a bidi override reorders what follows it, so text
from outside is cleaned before it is printed (C1 controls, U+0080–U+009F, what mis-decoded
text leaves behind, are also dropped before feed text is stored: see feeds.text).
"""

from __future__ import annotations

import re

# C0 (but tab and newline), DEL, C1, and the bidi embeddings, overrides, isolates and marks.
_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """`text` without C0/C1 controls (tab and newline kept) or bidi controls: safe to
    print on an operator's terminal."""
    return _TERMINAL.sub("", text)
