"""Jinja templates for everything the bot shows; `discord/` and `terminal/` renderings."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent
