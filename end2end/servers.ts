import * as path from 'node:path';

// How the servers of a run are started: by playwright.config.ts (its web servers) and by
// live.hydrate.spec.ts (a replica it stops and starts again).

export const repoRoot = path.resolve(__dirname, '..');

export const serverBinary =
  process.env.BESTHUB_BIN ?? `${process.env.CARGO_TARGET_DIR ?? '/var/tmp/besthub/target'}/release/besthub`;

/**
 * The database URL of the live project's replicas: the PostgreSQL database of
 * BESTHUB_E2E_PG_ADMIN_URL with the run's schema (BESTHUB_E2E_PG_SCHEMA, made by
 * playwright.config.ts) first on the search path, so the run leaves every other schema alone.
 */
export function liveDatabaseUrl(): string {
  const admin = process.env.BESTHUB_E2E_PG_ADMIN_URL ?? '';
  const separator = admin.includes('?') ? '&' : '?';
  return `${admin}${separator}options=-c%20search_path%3D${process.env.BESTHUB_E2E_PG_SCHEMA}`;
}

/** What a server of the run is started with: its address, its database and the test limits. */
export function serverEnv(listenPort: string, databaseUrl: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    BESTHUB_LISTEN: `127.0.0.1:${listenPort}`,
    BESTHUB_DATABASE_URL: databaseUrl,
    BESTHUB_PUBLIC_URL: `http://127.0.0.1:${listenPort}`,
    LEPTOS_SITE_ROOT: path.join(repoRoot, 'target', 'site'),
    LEPTOS_SITE_PKG_DIR: 'pkg',
    LEPTOS_OUTPUT_NAME: 'besthub',
    LEPTOS_ENV: 'PROD',
    // Every test signs up from 127.0.0.1; the per-address limit is tested in Rust.
    BESTHUB_SIGNUPS_PER_HOUR: '1000000',
    BESTHUB_SIGN_INS_PER_MINUTE: '1000000',
    // Tests post many comments from one reader; the per-reader limit is tested in Rust.
    BESTHUB_COMMENTS_PER_MINUTE: '1000000',
    // Every takedown request comes from 127.0.0.1 too; these two limits are left to the Rust
    // tests, not the browser's.
    BESTHUB_TAKEDOWNS_PER_HOUR: '1000000',
    BESTHUB_REPORTS_PER_HOUR: '1000000',
    // Every page's live stream comes from 127.0.0.1 too; the stream limits are tested in Rust.
    BESTHUB_LIVE_STREAMS_PER_CLIENT: '100000',
    BESTHUB_LOG_FILTER: 'warn',
  };
}
