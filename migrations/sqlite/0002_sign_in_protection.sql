-- Brute-force protection: failed sign-ins per account, and a lock set after too many.
ALTER TABLE users ADD COLUMN locked_until BIGINT;

CREATE TABLE sign_in_failures (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at      BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_user ON sign_in_failures (user_id, at);

-- Rate-limit events shared by every app replica (e.g. sign-ups per client address).
CREATE TABLE rate_limit_events (
    bucket TEXT   NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX rate_limit_events_by_bucket ON rate_limit_events (bucket, at);
