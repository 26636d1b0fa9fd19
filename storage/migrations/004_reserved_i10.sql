-- 004: placeholder so this branch's 007 applies without a gap; the lead replaces it with
-- the real reserved_i10 migration at merge.
SELECT 1;
