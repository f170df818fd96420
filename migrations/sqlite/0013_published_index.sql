-- Published articles newest first, with what the sitemap reads of them: a covering index, so
-- listing every published article never reads the articles' rows. On SQLite those rows hold
-- the bodies, and removed_at and updated_at come after them: reading either walks each row's
-- overflow pages (the sitemap measured 66 requests/s on 1,000 articles).
CREATE INDEX articles_published ON articles
    (published_at DESC, id DESC, slug, updated_at, author_id, removed_at)
    WHERE removed_at IS NULL;
