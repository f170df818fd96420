-- Rate limits as one counter per bucket and window instead of one row per event: taking a
-- slot is a single upsert whose cost does not grow with the number of recent events.
CREATE TABLE rate_limit_windows (
    bucket       TEXT   PRIMARY KEY,
    window_start BIGINT NOT NULL,
    used         BIGINT NOT NULL
);
DROP TABLE rate_limit_events;
