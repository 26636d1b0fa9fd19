"""Test and benchmark harness shared by tests/ and bench/: a loopback fake of Discord and a
delivery worker process. Not installed (only in the source tree, like tests/ and bench/)."""
