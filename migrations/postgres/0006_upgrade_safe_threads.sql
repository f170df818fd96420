-- Threads that survive an upgrade. 0004 added `depth` and `reply_count` without filling them
-- for comments stored before it, and 0001 let deleting a comment remove its replies by
-- cascade while the counters dropped by one. This fills both columns from the rows, recounts
-- `articles.comment_count` (comments shown: "[deleted]" placeholders are not counted), and
-- drops the cascade: a comment with replies can only become a placeholder, never take its
-- replies with it. Pages read replies oldest first per parent and top-level comments in
-- order per article, so both have an index in that order (PostgreSQL cannot read an order
-- after `parent_id IS NULL` from comments_by_article, and sorted all of them for page 1).

WITH RECURSIVE tree (id, depth) AS (
    SELECT id, 0 FROM comments WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, tree.depth + 1 FROM comments c JOIN tree ON c.parent_id = tree.id
)
UPDATE comments SET depth = tree.depth
FROM tree
WHERE tree.id = comments.id AND comments.depth <> tree.depth;

UPDATE comments SET reply_count = (
    SELECT COUNT(*) FROM comments r WHERE r.parent_id = comments.id
);

ALTER TABLE comments DROP CONSTRAINT comments_parent_id_fkey;
ALTER TABLE comments ADD CONSTRAINT comments_parent_id_fkey
    FOREIGN KEY (parent_id) REFERENCES comments (id);

DROP INDEX comments_by_parent;
CREATE INDEX comments_by_parent ON comments (parent_id, created_at, id);
CREATE INDEX comments_roots ON comments (article_id, created_at, id) WHERE parent_id IS NULL;

UPDATE articles SET comment_count = (
    SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND c.deleted_at IS NULL
);
