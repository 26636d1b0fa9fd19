"""Marking fixed English wording (topic names, labels) for translation without translating it.

The domain stays free of any locale: it marks its words with `N_` so that extraction
(babel.cfg) puts them in the catalogues, and front ends translate them where they are shown.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """`message` unchanged; only marks it for extraction into the catalogues."""
    return message
