"""Typed domain errors. Front ends turn them into user messages in one place each."""

from __future__ import annotations


class DomainError(Exception):
    """Base: something the user asked for cannot be done; `str()` says what to fix."""


class InvalidInput(DomainError):
    """A value breaks a rule. `field` names the input, `rule` says what is allowed."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class UnknownTopic(DomainError):
    """No topic has that name; `suggestions` lists the closest ones."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"There is no topic called '{name}'.{hint}")
        self.name = name
        self.suggestions = suggestions


class NotFound(DomainError):
    """The thing does not exist, or is not visible from here."""


class PermissionDenied(DomainError):
    """The actor may not do this here."""


class Conflict(DomainError):
    """The change collides with existing data (e.g. an import id already in use)."""


class QueryTooBroad(DomainError):
    """A read (a search) would take longer than its time budget: it was stopped, nothing
    changed; a narrower request (more or longer words, a topic) answers quickly."""

    def __init__(self) -> None:
        super().__init__(
            "That search is too broad to answer quickly: add more words, use longer "
            "words, or choose a topic."
        )


class TryAgain(DomainError):
    """A passing condition (another process is writing); nothing changed, try again."""


class Unreachable(DomainError):
    """Another system (a feed's web server) failed or could not be reached: not the
    user's input; nothing changed."""


class TooSoon(DomainError):
    """A costly action (`search`, `chart`, …) asked for too often: nothing was done; it
    may be asked again in `wait_s` seconds."""

    def __init__(self, action: str, wait_s: int) -> None:
        super().__init__(f"Too many {action} requests: wait {wait_s} s and try again.")
        self.action = action
        self.wait_s = wait_s
