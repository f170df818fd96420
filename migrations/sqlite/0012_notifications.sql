-- Reply notifications (issue 15). Kept in step with migrations/postgres/0012.

-- Readers following an article's discussion: told of every new comment on it. Posting a
-- comment follows it. `muted_at` set: muted, told of nothing there, not even replies.
CREATE TABLE discussion_follows (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    muted_at   BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
-- Who is told of a new comment on an article.
CREATE INDEX discussion_follows_by_article ON discussion_follows (article_id, user_id);

-- One notification per reader per comment: a reply to their comment, or a comment on a
-- discussion they follow. A comment hidden or deleted later is filtered out when read, so
-- it disappears from the list and the count; a comment removed for good takes its rows along.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL CHECK (kind IN ('reply', 'comment')),
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    UNIQUE (user_id, comment_id)
);
CREATE INDEX notifications_newest ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id, comment_id) WHERE read_at IS NULL;
