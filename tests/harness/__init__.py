"""Delivery tests with real processes and HTTP, plus the in-memory poster of the engine's
unit tests. The fake Discord and the worker process live in the top-level `harness/`
package, shared with the benchmark."""
