-- Which version of the Markdown renderer produced body_html; older bodies are rendered again
-- from body_markdown at start-up, so improvements reach articles imported earlier.
ALTER TABLE articles ADD COLUMN render_version BIGINT NOT NULL DEFAULT 0;
