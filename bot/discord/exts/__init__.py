"""Discord extensions: one cog per command group."""
