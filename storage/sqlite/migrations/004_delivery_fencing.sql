-- 004: fencing and identity for digest deliveries.

-- Fencing token: incremented on every claim or takeover of a delivery. Every ledger write of
-- the engine is conditional on (lease_owner, lease_token), so a holder whose lease was taken
-- over (a stalled process, a paused VM, a second `briefbot run`) can no longer record parts or
-- finish the delivery, and stops before its next post.
ALTER TABLE digest_deliveries ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;

-- A unique reference per delivery, written into each part's marker line and nonce, so a
-- message of an earlier delivery (same period after unsubscribe and subscribe again) is never
-- taken for a part of this one. NULL for rows made before 004 (they keep the old nonces).
ALTER TABLE digest_deliveries ADD COLUMN reference TEXT;

-- Failed tries against Discord, apart from takeovers: a crash loop must not use up the retry
-- budget of a period. `attempts` keeps counting claims and takeovers.
ALTER TABLE digest_deliveries ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;

-- One process at a time leads digest delivery: Discord's 50 requests per second are per bot,
-- not per process, so two processes pacing themselves separately would double the rate. The
-- leader is chosen by the same rules as a delivery's holder (a dead owner, or a lease long
-- expired, gives the lead to another process), with its own fencing token.
CREATE TABLE delivery_leader (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    token       INTEGER NOT NULL
);
