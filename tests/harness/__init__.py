"""Test harnesses for digest delivery: an in-memory poster, a fake Discord REST server over
loopback HTTP, and a worker process that delivers through discord.py against it."""
