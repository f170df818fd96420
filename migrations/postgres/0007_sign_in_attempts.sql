-- Sign-in attempts are claimed on the account's own row before the password is checked:
-- one atomic update counts the attempt, so a burst of parallel guesses cannot all slip past
-- the lock while the first ones are still being verified. The counter replaces the
-- per-failure rows, so nothing grows with the number of attempts.
ALTER TABLE users ADD COLUMN sign_in_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sign_in_window_start BIGINT NOT NULL DEFAULT 0;
DROP TABLE sign_in_failures;
