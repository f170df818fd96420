import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, serverBinary, serverEnv } from '../servers';

// The `besthub` command line, run on the database of the server the hydrated and no-js projects
// share (the SQLite file playwright.config.ts put in BESTHUB_E2E_TMP).

const run = promisify(execFile);

function tmpDir(): string {
  const dir = process.env.BESTHUB_E2E_TMP;
  if (!dir) throw new Error('BESTHUB_E2E_TMP is not set: run through playwright.config.ts');
  return dir;
}

/** Runs `besthub ARGS...` on the run's database and returns what it printed. */
export async function besthub(...args: string[]): Promise<string> {
  const env = serverEnv(process.env.BESTHUB_E2E_PORT ?? '0', `sqlite://${tmpDir()}/besthub.db`);
  try {
    const { stdout } = await run(serverBinary, args, { cwd: repoRoot, env, timeout: 30_000 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`besthub ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Gives the existing account with `email` the admin role (`besthub user grant-admin`). */
export async function grantAdmin(email: string): Promise<void> {
  await besthub('user', 'grant-admin', email);
}

/** An article imported for one test alone, with its own author and tag. */
export type ImportedArticle = {
  slug: string;
  path: string;
  title: string;
  author: string;
  tag: string;
};

/**
 * Imports a fresh article with `besthub import`: its slug, title, author and tag are new, so
 * what a test does to it (hiding its comments, unpublishing it) touches no page another test
 * reads, and no other test's counts move. It is dated in the past, so it is listed after the
 * demo articles. The server hears nothing of a command-line import (SQLite): an anonymous page
 * it cached before (the home page) can miss the article for up to `page_cache_seconds`; the
 * article's own, author and tag pages are new, and signed-in pages are never cached.
 */
export async function importArticle(label = 'Moderation fixture'): Promise<ImportedArticle> {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  const slug = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${id}`;
  const title = `${label} ${id}`;
  const author = `Morgan Fixture ${id}`;
  const tag = `fixture-${id}`;
  const markdown = [
    '---',
    `title: "${title}"`,
    `slug: "${slug}"`,
    'summary: "An article of the end-to-end tests\' own, so that moderating it touches nothing another test reads."',
    `author: "${author}"`,
    'author_bio: "Morgan writes the articles the end-to-end tests take down and put back."',
    `tags: [${tag}]`,
    `source_url: "https://example.com/fixtures/${slug}"`,
    'published: 2020-01-15',
    'lang: en',
    '---',
    '',
    'This article exists so that a test can report its comments, hide them and take it down.',
    '',
    '## What it says',
    '',
    'Nothing another test depends on: it has its own author, its own tag and its own discussion.',
    '',
  ].join('\n');
  const dir = path.join(tmpDir(), 'imports');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${slug}.md`);
  await fs.writeFile(file, markdown);
  const out = await besthub('import', file);
  if (!/imported 1,/.test(out)) throw new Error(`besthub import ${file}: ${out}`);
  return { slug, path: `/articles/${slug}`, title, author, tag };
}
