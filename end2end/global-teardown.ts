import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Removes what playwright.config.ts created for this run: the temporary directory (and its
 * SQLite database) and the live project's PostgreSQL schema. Only a directory or schema that
 * looks like one we created is removed; set BESTHUB_E2E_KEEP_TMP=1 to keep them for
 * inspection.
 */
export default function globalTeardown(): void {
  if (process.env.BESTHUB_E2E_KEEP_TMP) return;
  const dir = process.env.BESTHUB_E2E_TMP;
  if (dir) {
    const resolved = path.resolve(dir);
    if (
      path.dirname(resolved) === path.resolve(os.tmpdir()) &&
      path.basename(resolved).startsWith('besthub-e2e-')
    ) {
      fs.rmSync(resolved, { recursive: true, force: true });
    }
  }
  const schema = process.env.BESTHUB_E2E_PG_SCHEMA;
  const admin = process.env.BESTHUB_E2E_PG_ADMIN_URL;
  if (schema && admin && /^e2e_\d+_[0-9a-z]+$/.test(schema)) {
    try {
      execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-qc', `DROP SCHEMA IF EXISTS ${schema} CASCADE`], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 30_000,
      });
    } catch (error) {
      console.warn(`could not drop the live project's schema ${schema}: ${String(error).split('\n')[0]}`);
    }
  }
}
