-- 003: substring search for Chinese, Japanese and Korean text, which has no spaces between
-- words (the word index only finds a word at the start of an unspaced run).
-- A trigram index beside the word index, holding only published developments whose text
-- contains CJK characters: English search keeps using the word index, untouched.
-- Maintained by storage code in the same transaction as developments_fts.
CREATE VIRTUAL TABLE developments_cjk USING fts5 (
    title, summary, tags, sources,
    tokenize = 'trigram'
);
INSERT INTO developments_cjk (rowid, title, summary, tags, sources)
SELECT rowid, title, summary, tags, sources FROM developments_fts
WHERE (title || ' ' || summary || ' ' || sources)
    GLOB '*[ᄀ-ᇿ぀-ヿ㄰-㆏㐀-鿿가-힯豈-﫿ｦ-ﾟ]*';
