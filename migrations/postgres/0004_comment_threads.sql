-- Threaded discussion. `depth` (0 for a top-level comment) decides where a comment is shown
-- (three levels a page, deeper ones behind "Continue this thread") without walking parents;
-- `reply_count` counts direct replies still stored (placeholders included), so deleting
-- knows whether to keep a "[deleted]" placeholder and pages know whether a thread goes on.
ALTER TABLE comments ADD COLUMN depth BIGINT NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
