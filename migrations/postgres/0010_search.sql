-- Search (issue 15). Kept in step with migrations/sqlite/0010.
--
-- One row per article: its title, summary, tags, author name and body text, lower-cased, and
-- all of them joined in `doc` under a pg_trgm GIN index. Trigrams need no word breaks, so
-- Chinese text (written without spaces) is found by any run of three or more characters, and
-- English by any part of a word, its beginning included; shorter terms are checked by the same
-- LIKE without the index's help. `body_text` keeps the original case for snippets. The rows
-- are written by the application (crate::search::store::index_article); articles stored
-- before this migration are indexed when the server starts.
--
-- The extension lives in `public` whatever the search path: the tests and the replicas' demo
-- run each database in a schema of its own, and dropping one of those schemas must not take
-- the extension (and every other schema's index) with it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE article_search (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    title      TEXT   NOT NULL,
    summary    TEXT   NOT NULL,
    tags       TEXT   NOT NULL,
    author     TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    body_text  TEXT   NOT NULL,
    doc        TEXT   NOT NULL,
    -- A copy, to break ties between equal scores without reading the article's row.
    published_at BIGINT NOT NULL
);
CREATE INDEX article_search_doc ON article_search USING gin (doc public.gin_trgm_ops);

-- Unpublished articles, for search to leave out without reading the articles' rows.
CREATE INDEX articles_removed ON articles (id) WHERE removed_at IS NOT NULL;
