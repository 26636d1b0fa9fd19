-- 010: what is new never depends on the wall clock never going back.
--
-- Digest windows are [start, end) over the time rows are stamped with. A clock stepped back
-- (NTP; send-now's window ends at "now") would stamp a row written next before the end of a
-- window already delivered, and no digest would ever show it. So the database keeps a commit
-- clock: the end of the latest window a digest claimed. A row written with an earlier stamp is
-- stamped at that end instead, which puts it in the next window. The stamps only move forward
-- by the size of a step back, and only after one. Imported rows keep the stamps they carry
-- (their digest window is the moment their import was made visible, which is clamped).
CREATE TABLE commit_clock (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    high TEXT NOT NULL
);
INSERT INTO commit_clock (id, high)
    SELECT 1, coalesce(max(window_end), '0000-01-01T00:00:00Z') FROM digest_deliveries;

CREATE TRIGGER commit_clock_window AFTER INSERT ON digest_deliveries
WHEN NEW.window_end > (SELECT high FROM commit_clock WHERE id = 1)
BEGIN
    UPDATE commit_clock SET high = NEW.window_end WHERE id = 1;
END;

CREATE TRIGGER commit_clock_development_added AFTER INSERT ON developments
WHEN NEW.import_id IS NULL AND NEW.updated_at < (SELECT high FROM commit_clock WHERE id = 1)
BEGIN
    UPDATE developments SET
        created_at = CASE WHEN created_at = updated_at
                          THEN (SELECT high FROM commit_clock WHERE id = 1) ELSE created_at END,
        updated_at = (SELECT high FROM commit_clock WHERE id = 1)
    WHERE id = NEW.id;
END;

CREATE TRIGGER commit_clock_development_changed AFTER UPDATE OF updated_at ON developments
WHEN NEW.updated_at < (SELECT high FROM commit_clock WHERE id = 1)
BEGIN
    UPDATE developments SET updated_at = (SELECT high FROM commit_clock WHERE id = 1)
    WHERE id = NEW.id;
END;

-- An import's assessments carry their own dates: only a stamp of the last day (a clock step,
-- or one stamped when its import was made visible) is moved.
CREATE TRIGGER commit_clock_assessment AFTER INSERT ON assessments
WHEN NEW.created_at < (SELECT high FROM commit_clock WHERE id = 1)
    AND NEW.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ',
                                   (SELECT high FROM commit_clock WHERE id = 1), '-1 day')
BEGIN
    UPDATE assessments SET created_at = (SELECT high FROM commit_clock WHERE id = 1)
    WHERE id = NEW.id;
END;

CREATE TRIGGER commit_clock_import_shown AFTER UPDATE OF visible_at ON imports
WHEN NEW.visible_at < (SELECT high FROM commit_clock WHERE id = 1)
BEGIN
    UPDATE imports SET visible_at = (SELECT high FROM commit_clock WHERE id = 1)
    WHERE id = NEW.id;
END;
