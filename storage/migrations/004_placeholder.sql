-- Placeholder: migration 004 belongs to another branch this session (see the merge notes);
-- it exists so this branch's migrations stay numbered without gaps. Delete at merge.
SELECT 1;
