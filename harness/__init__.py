"""Test and benchmark harness shared by tests/ and bench/: loopback fakes of Discord and
Telegram and delivery worker processes. Not installed (only in the source tree, like tests/
and bench/)."""
