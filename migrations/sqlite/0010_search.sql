-- Search (issue 15). Kept in step with migrations/postgres/0010.
--
-- One row per article: its title, summary, tags, author name and body text, lower-cased, in
-- an FTS5 table with the trigram tokenizer. Trigrams need no word breaks, so Chinese text
-- (written without spaces) is found by any run of three or more characters, and English by
-- any part of a word, its beginning included. Shorter terms ("大厂") are checked against the
-- same columns without the index. `body_text` keeps the original case for snippets and is not
-- indexed; `published_at` (a copy) breaks ties without reading the article's row. The rows are written by the application (crate::search::store::index_article),
-- which renders the Markdown to text; articles stored before this migration are indexed when
-- the server starts.
CREATE VIRTUAL TABLE article_search USING fts5 (
    title,
    summary,
    tags,
    author,
    body,
    body_text UNINDEXED,
    published_at UNINDEXED,
    tokenize = 'trigram'
);

-- Unpublished articles, for search to leave out without reading the articles' rows.
CREATE INDEX articles_removed ON articles (id) WHERE removed_at IS NOT NULL;
