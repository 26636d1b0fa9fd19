-- 014: the word list of the search index (one row per indexed word; it stores nothing of its
-- own). A search asks it whether any longer word begins with a term ("united" with no
-- "unitedly"): such a term is matched as a whole word, the same rows without merging every
-- word with that prefix, which costs milliseconds for a word in most developments.
CREATE VIRTUAL TABLE developments_fts_words USING fts5vocab (developments_fts, 'row');
