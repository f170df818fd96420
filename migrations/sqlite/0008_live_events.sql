-- The event log: what open article pages were told, so a browser that reconnects is told
-- what it missed (issue 11). Pruned by age and size by the hourly sweeper.
CREATE TABLE live_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_slug TEXT,
    author_handle TEXT,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX live_events_article ON live_events (article_slug, id);
CREATE INDEX live_events_author ON live_events (author_handle, id);
CREATE INDEX live_events_created ON live_events (created_at);
