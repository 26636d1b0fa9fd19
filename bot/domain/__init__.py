"""Domain types and rules shared by storage and the core services; imports neither."""
