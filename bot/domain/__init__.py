"""Domain types and rules shared by the services and storage; imports neither."""
