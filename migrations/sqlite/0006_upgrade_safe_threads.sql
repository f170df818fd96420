-- Threads that survive an upgrade. 0004 added `depth` and `reply_count` without filling them
-- for comments stored before it, and 0001 let deleting a comment remove its replies by
-- cascade while the counters dropped by one. This fills both columns from the rows, recounts
-- `articles.comment_count` (comments shown: "[deleted]" placeholders are not counted), and
-- drops the cascade: a comment with replies can only become a placeholder, never take its
-- replies with it. Pages read replies oldest first per parent and top-level comments in
-- order per article, so both have an index in that order (PostgreSQL cannot read an order
-- after `parent_id IS NULL` from comments_by_article, and sorted all of them for page 1).
--
-- SQLite cannot change a foreign key in place: the table is rebuilt (create, copy, drop,
-- rename). sqlx runs this in a transaction where foreign keys stay enforced, so:
-- * the new table references itself, and rows are copied parents first (by depth);
-- * the old rows are detached from their parents before the old table is dropped, because
--   dropping deletes its rows first and each delete would cascade down its thread (a deep
--   thread fails with "too many levels of trigger recursion");
-- * the rename turns the new table's reference to itself into `comments`.

CREATE TABLE comments_new (
    id            INTEGER PRIMARY KEY,
    article_id    BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id     BIGINT  REFERENCES comments_new (id),
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    edited_at     BIGINT,
    deleted_at    BIGINT,
    depth         BIGINT  NOT NULL DEFAULT 0,
    reply_count   BIGINT  NOT NULL DEFAULT 0
);

-- A comment whose parent is missing has no depth and fails the copy loudly, never silently.
WITH RECURSIVE tree (id, depth) AS (
    SELECT id, 0 FROM comments WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, tree.depth + 1 FROM comments c JOIN tree ON c.parent_id = tree.id
)
INSERT INTO comments_new (id, article_id, parent_id, user_id, body_markdown, body_html,
                          created_at, edited_at, deleted_at, depth, reply_count)
SELECT c.id, c.article_id, c.parent_id, c.user_id, c.body_markdown, c.body_html,
       c.created_at, c.edited_at, c.deleted_at, tree.depth,
       (SELECT COUNT(*) FROM comments r WHERE r.parent_id = c.id)
FROM comments c LEFT JOIN tree ON tree.id = c.id
ORDER BY tree.depth, c.id;

UPDATE comments SET parent_id = NULL WHERE parent_id IS NOT NULL;
DROP TABLE comments;
ALTER TABLE comments_new RENAME TO comments;
CREATE INDEX comments_by_article ON comments (article_id, parent_id, created_at, id);
CREATE INDEX comments_by_parent ON comments (parent_id, created_at, id);
CREATE INDEX comments_roots ON comments (article_id, created_at, id) WHERE parent_id IS NULL;

UPDATE articles SET comment_count = (
    SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND c.deleted_at IS NULL
);
