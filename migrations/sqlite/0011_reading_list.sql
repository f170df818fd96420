-- The reading list (issue 15): articles a reader saved to read later. Kept in step with
-- migrations/postgres/0011.

-- One row per reader and article: saving twice keeps one row (ON CONFLICT DO NOTHING), and
-- the article or the reader going takes their rows with them. An unpublished article keeps
-- its rows (it may come back) but is left out of the list while it is down.
CREATE TABLE saved_articles (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    saved_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
-- /saved lists a reader's rows newest saved first.
CREATE INDEX saved_articles_by_reader ON saved_articles (user_id, saved_at DESC);
