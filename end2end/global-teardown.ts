import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Removes the temporary directory (and its SQLite database) that playwright.config.ts
 * created for this run. Only a directory that looks like one we created is removed;
 * set BESTHUB_E2E_KEEP_TMP=1 to keep it for inspection.
 */
export default function globalTeardown(): void {
  const dir = process.env.BESTHUB_E2E_TMP;
  if (!dir || process.env.BESTHUB_E2E_KEEP_TMP) return;
  const resolved = path.resolve(dir);
  if (
    path.dirname(resolved) === path.resolve(os.tmpdir()) &&
    path.basename(resolved).startsWith('besthub-e2e-')
  ) {
    fs.rmSync(resolved, { recursive: true, force: true });
  }
}
