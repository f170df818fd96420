import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineConfig } from '@playwright/test';

// This file is evaluated by the main Playwright process and again by every worker.
// Anything that must be the same everywhere (port, temporary directory) is decided
// once, in the first process, and handed to the workers through the environment,
// which they inherit.

const repoRoot = path.resolve(__dirname, '..');

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

const serverBinary =
  process.env.BESTHUB_BIN ??
  `${process.env.CARGO_TARGET_DIR ?? '/var/tmp/besthub/target'}/release/besthub`;

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
    },
    {
      name: 'no-js',
      use: { javaScriptEnabled: false },
      testIgnore: /\.hydrate\.spec\.ts$/,
    },
  ],

  webServer: {
    command: `${JSON.stringify(serverBinary)} serve`,
    cwd: repoRoot,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ...(process.env as Record<string, string>),
      BESTHUB_LISTEN: `127.0.0.1:${port}`,
      BESTHUB_DATABASE_URL: `sqlite://${tmpDir}/besthub.db`,
      BESTHUB_PUBLIC_URL: baseURL,
      LEPTOS_SITE_ROOT: path.join(repoRoot, 'target', 'site'),
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_OUTPUT_NAME: 'besthub',
      LEPTOS_ENV: 'PROD',
      // Every test signs up from 127.0.0.1; the per-address limit is tested in Rust.
      BESTHUB_SIGNUPS_PER_HOUR: '1000000',
      BESTHUB_SIGN_INS_PER_MINUTE: '1000000',
      // Tests post many comments from one reader; the per-reader limit is tested in Rust.
      BESTHUB_COMMENTS_PER_MINUTE: '1000000',
      BESTHUB_LOG_FILTER: 'warn',
    },
  },
});
