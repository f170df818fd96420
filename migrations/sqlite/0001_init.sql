-- BestHub schema (SQLite). Times are milliseconds since the Unix epoch (BIGINT) so that the
-- same queries work unchanged on PostgreSQL (migrations/postgres keeps the same shape).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL DEFAULT 'reader' CHECK (role IN ('reader', 'admin')),
    created_at    BIGINT  NOT NULL
);

-- Only a hash of the session id is stored: a leaked table cannot be replayed as cookies.
CREATE TABLE sessions (
    id_hash    TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- An author may or may not be a user of the site (most are imported with their articles).
CREATE TABLE authors (
    id             INTEGER PRIMARY KEY,
    handle         TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    bio            TEXT    NOT NULL DEFAULT '',
    user_id        BIGINT  UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    follower_count BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL
);

-- Counters are kept on the row and changed in the same transaction as the rows they count,
-- so a page view never scans likes, ratings or comments.
CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL,
    summary         TEXT    NOT NULL,
    author_id       BIGINT  NOT NULL REFERENCES authors (id),
    body_markdown   TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    lang            TEXT    NOT NULL DEFAULT 'en',
    source_url      TEXT    NOT NULL,
    reading_minutes BIGINT  NOT NULL,
    published_at    BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    like_count      BIGINT  NOT NULL DEFAULT 0,
    comment_count   BIGINT  NOT NULL DEFAULT 0,
    rating_count    BIGINT  NOT NULL DEFAULT 0,
    rating_sum      BIGINT  NOT NULL DEFAULT 0,
    rating_1        BIGINT  NOT NULL DEFAULT 0,
    rating_2        BIGINT  NOT NULL DEFAULT 0,
    rating_3        BIGINT  NOT NULL DEFAULT 0,
    rating_4        BIGINT  NOT NULL DEFAULT 0,
    rating_5        BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX articles_newest ON articles (published_at DESC, id DESC);
CREATE INDEX articles_by_author ON articles (author_id, published_at DESC);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_by_tag ON article_tags (tag_id, article_id);

CREATE TABLE likes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
CREATE INDEX likes_by_article ON likes (article_id);

CREATE TABLE ratings (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    stars      BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
CREATE INDEX ratings_by_article ON ratings (article_id);

CREATE TABLE follows (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, author_id)
);
CREATE INDEX follows_by_author ON follows (author_id);

CREATE TABLE comments (
    id            INTEGER PRIMARY KEY,
    article_id    BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id     BIGINT  REFERENCES comments (id) ON DELETE CASCADE,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    edited_at     BIGINT,
    deleted_at    BIGINT
);
CREATE INDEX comments_by_article ON comments (article_id, parent_id, created_at, id);
CREATE INDEX comments_by_parent ON comments (parent_id);

-- Every use of the protected redirect to an article's original source.
CREATE TABLE source_redirects (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL
);
CREATE INDEX source_redirects_by_article ON source_redirects (article_id, created_at);
