"""How a digest gets delivered, in one place.

- `schedule`: when a subscription is due (periods, DST, catch-up), from an injectable clock.
- `building`: what a period's digest holds (the window read, composition, per-language render).
- `parts` / `filters`: splitting a digest into platform-sized parts, markers and nonces;
  per-subscription filters.
- `delivery`: the fenced, exactly-once engine (claims, ledger, retries) over a `Poster`.
- `pacing`: rate limits and the one retry budget; `liveness`: which process is alive.
- `scheduler` / `hub`: the APScheduler jobs rebuilt from the database, and the one hub that
  drives both platforms.

Nothing is imported here, so a command that needs only `schedule` does not load the rest.
"""
