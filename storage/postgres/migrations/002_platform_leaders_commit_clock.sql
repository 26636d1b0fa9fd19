-- 002 (PostgreSQL): SQLite's 009 (delivery led per platform; what a waiting digest waits
-- for) and 010 (the commit clock: what is new never depends on the wall clock never going
-- back). The commit clock's rules are SQLite's; PostgreSQL applies them in BEFORE triggers
-- that correct the row being written instead of updating it again afterwards.

CREATE TABLE delivery_leaders (
    platform    TEXT PRIMARY KEY CHECK (platform IN ('discord', 'telegram')),
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    token       BIGINT NOT NULL
);

ALTER TABLE subscriptions ADD COLUMN waiting_for TEXT;

CREATE TABLE commit_clock (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    high TEXT NOT NULL
);
INSERT INTO commit_clock (id, high)
    SELECT 1, coalesce(max(window_end), '0000-01-01T00:00:00Z') FROM digest_deliveries;

CREATE FUNCTION commit_clock_window() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE commit_clock SET high = NEW.window_end WHERE id = 1 AND NEW.window_end > high;
    RETURN NULL;
END $$;
CREATE TRIGGER commit_clock_window AFTER INSERT ON digest_deliveries
    FOR EACH ROW EXECUTE FUNCTION commit_clock_window();

CREATE FUNCTION commit_clock_development() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clock TEXT := (SELECT high FROM commit_clock WHERE id = 1);
BEGIN
    IF NEW.updated_at < clock AND (TG_OP = 'UPDATE' OR NEW.import_id IS NULL) THEN
        IF TG_OP = 'INSERT' AND NEW.created_at = NEW.updated_at THEN
            NEW.created_at := clock;
        END IF;
        NEW.updated_at := clock;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER commit_clock_development_added BEFORE INSERT ON developments
    FOR EACH ROW EXECUTE FUNCTION commit_clock_development();
CREATE TRIGGER commit_clock_development_changed BEFORE UPDATE OF updated_at ON developments
    FOR EACH ROW EXECUTE FUNCTION commit_clock_development();

-- Only an assessment stamped within the last day before the clock moves (SQLite's rule);
-- the day before is computed on the text form, as SQLite does, with no year-0 timestamp.
CREATE FUNCTION commit_clock_assessment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clock TEXT := (SELECT high FROM commit_clock WHERE id = 1);
BEGIN
    IF NEW.created_at < clock AND clock >= '0001'
       AND NEW.created_at >= to_char((clock::timestamptz AT TIME ZONE 'UTC') - interval '1 day',
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"') THEN
        NEW.created_at := clock;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER commit_clock_assessment BEFORE INSERT ON assessments
    FOR EACH ROW EXECUTE FUNCTION commit_clock_assessment();

CREATE FUNCTION commit_clock_import_shown() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clock TEXT := (SELECT high FROM commit_clock WHERE id = 1);
BEGIN
    IF NEW.visible_at < clock THEN
        NEW.visible_at := clock;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER commit_clock_import_shown BEFORE UPDATE OF visible_at ON imports
    FOR EACH ROW EXECUTE FUNCTION commit_clock_import_shown();
