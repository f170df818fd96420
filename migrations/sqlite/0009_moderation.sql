-- Moderation and takedowns (issue 14). Kept in step with migrations/postgres/0009.

-- Hidden by a moderator: shown as "[removed by a moderator]", its replies kept.
ALTER TABLE comments ADD COLUMN hidden_at BIGINT;

-- A suspension: writes refused until `suspended_until` (i64::MAX when permanent). Sessions
-- created before `suspended_at` no longer sign anyone in, so a suspension ends them at once
-- and they do not come back when it is over.
ALTER TABLE users ADD COLUMN suspended_until BIGINT;
ALTER TABLE users ADD COLUMN suspended_at BIGINT;

-- Unpublished after a takedown: answers 410 with the reason, gone from every listing; its
-- comments stay for the record.
ALTER TABLE articles ADD COLUMN removed_at BIGINT;
ALTER TABLE articles ADD COLUMN removed_reason TEXT;

-- One report per reader per comment; open until a moderator acts on the comment.
CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    comment_id  BIGINT  NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    reporter_id BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      TEXT    NOT NULL CHECK (reason IN ('spam', 'harassment', 'off-topic', 'other')),
    note        TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    resolved_at BIGINT,
    UNIQUE (comment_id, reporter_id)
);
CREATE INDEX reports_open ON reports (resolved_at, comment_id);

-- Comments waiting for a moderator (spam guard): only their author sees them until approved,
-- when they become comments like any other.
CREATE TABLE held_comments (
    id            INTEGER PRIMARY KEY,
    article_id    BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id     BIGINT  REFERENCES comments (id) ON DELETE CASCADE,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    why           TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX held_comments_by_article ON held_comments (article_id, user_id);

-- Every moderator action, public: what was done, to what, and why. The moderator is kept
-- for the admins' own records, never shown.
CREATE TABLE moderation_log (
    id           INTEGER PRIMARY KEY,
    created_at   BIGINT  NOT NULL,
    moderator_id BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    target_href  TEXT,
    reason       TEXT    NOT NULL
);
CREATE INDEX moderation_log_newest ON moderation_log (created_at DESC, id DESC);

-- Takedown requests from rights holders (no account needed). `token` is the unguessable part
-- of the private status link; the reference is derived from `id`.
CREATE TABLE takedowns (
    id           INTEGER PRIMARY KEY,
    token        TEXT    NOT NULL UNIQUE,
    article_id   BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    relationship TEXT    NOT NULL,
    claim        TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'reviewing', 'removed', 'declined')),
    reason       TEXT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX takedowns_newest ON takedowns (created_at DESC, id DESC);
