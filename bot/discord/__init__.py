"""The Discord front end: the client and one extension (cog) per command group."""
