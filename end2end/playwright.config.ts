import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineConfig } from '@playwright/test';
import { liveDatabaseUrl, repoRoot, serverBinary, serverEnv } from './servers';

// This file is evaluated by the main Playwright process and again by every worker.
// Anything that must be the same everywhere (port, temporary directory) is decided
// once, in the first process, and handed to the workers through the environment,
// which they inherit.

/** Asks the OS for a free TCP port on 127.0.0.1, synchronously. */
function findFreePort(): string {
  const script =
    "const s = require('node:net').createServer();" +
    "s.listen(0, '127.0.0.1', () => { process.stdout.write(String(s.address().port)); s.close(); });";
  const port = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
  if (!/^\d+$/.test(port)) {
    throw new Error(`could not find a free port (got ${JSON.stringify(port)})`);
  }
  return port;
}

process.env.BESTHUB_E2E_PORT ??= findFreePort();
process.env.BESTHUB_E2E_TMP ??= fs.mkdtempSync(path.join(os.tmpdir(), 'besthub-e2e-'));

const port = process.env.BESTHUB_E2E_PORT;
const tmpDir = process.env.BESTHUB_E2E_TMP;
const baseURL = `http://127.0.0.1:${port}`;

// The live project (live.hydrate.spec.ts) runs replicas sharing one PostgreSQL database, as in
// production: a fresh schema of BESTHUB_E2E_PG_URL (default: the local server, trust auth),
// created here and dropped by global-teardown.ts. Two replicas are web servers below; the
// spec starts (and restarts) a third itself on BESTHUB_E2E_LIVE_PORT_C. Without a reachable
// server the live project is left out, with a warning, so that a machine without
// PostgreSQL still runs everything else.
const pgAdminUrl = process.env.BESTHUB_E2E_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Creates a fresh schema for this run, or returns '' (with a warning) when that fails. */
function createLiveSchema(): string {
  const schema = `e2e_${process.pid}_${Date.now().toString(36)}`;
  try {
    execFileSync('psql', [pgAdminUrl, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE SCHEMA ${schema}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    return schema;
  } catch (error) {
    console.warn(`live project skipped: no PostgreSQL schema at ${pgAdminUrl} (${String(error).split('\n')[0]})`);
    return '';
  }
}

if (process.env.BESTHUB_E2E_PG_SCHEMA === undefined) {
  process.env.BESTHUB_E2E_PG_SCHEMA = createLiveSchema();
  process.env.BESTHUB_E2E_PG_ADMIN_URL = pgAdminUrl;
  process.env.BESTHUB_E2E_LIVE_PORT_A = findFreePort();
  process.env.BESTHUB_E2E_LIVE_PORT_B = findFreePort();
  process.env.BESTHUB_E2E_LIVE_PORT_C = findFreePort();
}
const liveSchema = process.env.BESTHUB_E2E_PG_SCHEMA;

/** A replica of the live project on `listenPort`. */
function liveReplica(listenPort: string) {
  return {
    command: `${JSON.stringify(serverBinary)} serve`,
    cwd: repoRoot,
    url: `http://127.0.0.1:${listenPort}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: serverEnv(listenPort, liveDatabaseUrl()),
  };
}

const LIVE_SPECS = /live\.hydrate\.spec\.ts$/;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  reporter: 'list',
  globalTeardown: './global-teardown.ts',

  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
    trace: 'off',
  },

  projects: [
    {
      name: 'hydrated',
      use: { javaScriptEnabled: true },
      testIgnore: LIVE_SPECS,
    },
    {
      name: 'no-js',
      use: { javaScriptEnabled: false },
      testIgnore: /\.hydrate\.spec\.ts$/,
    },
    ...(liveSchema
      ? [
          {
            name: 'live',
            testMatch: LIVE_SPECS,
            use: {
              javaScriptEnabled: true,
              baseURL: `http://127.0.0.1:${process.env.BESTHUB_E2E_LIVE_PORT_A}`,
            },
          },
        ]
      : []),
  ],

  // Started one after the other, each once it answers: the first live replica has migrated the
  // schema and imported the demo before the second starts.
  webServer: [
    {
      command: `${JSON.stringify(serverBinary)} serve`,
      cwd: repoRoot,
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: serverEnv(port, `sqlite://${tmpDir}/besthub.db`),
    },
    ...(liveSchema
      ? [liveReplica(process.env.BESTHUB_E2E_LIVE_PORT_A!), liveReplica(process.env.BESTHUB_E2E_LIVE_PORT_B!)]
      : []),
  ],
});
