"""SQL conditions the queries share: what a scope may see, and what changed in a window.

Each condition comes with the parameters it binds, in order.
"""

from __future__ import annotations

from bot.domain.scope import Scope, scope_columns


def visible_sql(table: str = "") -> str:
    """Global rows and the viewer's own scope (platform and id); binds `visible_params`.

    Written as two equalities on (platform, guild_id) so each side can use the scope
    indexes."""
    p = f"{table}." if table else ""
    return (
        f"(({p}platform IS NULL AND {p}guild_id IS NULL) OR ({p}platform = ? AND {p}guild_id = ?))"
    )


def visible_params(scope: Scope | None) -> tuple[str | None, int | None]:
    """The parameters of `visible_sql`: a viewer without a scope sees global rows only."""
    return scope_columns(scope)


def not_pending_sql(table: str = "d") -> str:
    """Not part of an import still being written (see storage.bulk): developments only.

    The pending set is nearly always empty and read once per statement."""
    p = f"{table}." if table else ""
    return (
        f"({p}import_id IS NULL OR {p}import_id NOT IN "
        "(SELECT i.id FROM imports i WHERE i.visible_at IS NULL))"
    )


def changed_in_window(
    column: str, start: str, end: str, table: str = ""
) -> tuple[str, list[object]]:
    """Rows whose `column` (a UTC timestamp) lies in [start, end): what a digest window holds.

    A window holds the developments of an import made visible in it as well: see
    `imported_in_window` (a separate condition, so each side keeps its index)."""
    p = f"{table}." if table else ""
    return f"{p}{column} >= ? AND {p}{column} < ?", [start, end]


def imported_in_window(start: str, end: str, table: str = "d") -> tuple[str, list[object]]:
    """Developments of an import made visible in [start, end) (their own timestamps are
    those of the file, or of when the hidden rows were written)."""
    p = f"{table}." if table else ""
    return (
        f"{p}import_id IN (SELECT i.id FROM imports i WHERE i.visible_at >= ? AND i.visible_at < ?)",
        [start, end],
    )
