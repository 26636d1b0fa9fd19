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


def changed_in_window(
    column: str, scope: Scope | None, start: str, end: str, table: str = ""
) -> tuple[str, list[object]]:
    """Rows visible to `scope` whose `column` (a UTC timestamp) lies in [start, end): what
    a digest window holds."""
    p = f"{table}." if table else ""
    return (
        f"{p}{column} >= ? AND {p}{column} < ? AND {visible_sql(table)}",
        [start, end, *visible_params(scope)],
    )
