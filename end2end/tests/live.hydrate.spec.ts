import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Browser, Locator, Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, test } from './fixtures';
import { newReader, signUp } from './accounts';
import { liveDatabaseUrl, repoRoot, serverBinary, serverEnv } from '../servers';

// Live updates across replicas (the `live` project of playwright.config.ts): replicas A and B
// are web servers of the run on one PostgreSQL schema; the restart test starts a replica C of
// its own. Each test reads its own article, so that counts are exact while tests run in
// parallel.

const replica = (name: 'A' | 'B' | 'C') => `http://127.0.0.1:${process.env[`BESTHUB_E2E_LIVE_PORT_${name}`]}`;

/** How long a change may take to reach another reader's open page. */
const LIVE_MS = 10_000;

function discussion(page: Page): Locator {
  return page.getByRole('region', { name: 'Discussion', exact: true });
}

function feedback(page: Page): Locator {
  return page.getByRole('region', { name: 'Reader feedback', exact: true });
}

/** Counts in `text` such as "3 Comments" or "1 like". */
function countOf(text: string | null): number {
  return Number((text ?? '').match(/^(\d+)/)?.[1] ?? NaN);
}

/**
 * A second reader: a context of its own on `baseURL`, whose page fails the test (like the
 * `page` fixture) on console errors other than `allowed` and on uncaught exceptions.
 */
async function otherReader(browser: Browser, baseURL: string, allowed: RegExp[] = []) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    const text = `${msg.text()} (${msg.location().url})`;
    if (msg.type() === 'error' && !allowed.some((re) => re.test(text))) problems.push(text);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const done = async () => {
    await context.close();
    expect(problems, `the other reader's page logged errors`).toEqual([]);
  };
  return { context, page, done };
}

/** Posts a top-level comment through the discussion on `page` and waits for it there. */
async function postComment(page: Page, text: string) {
  await discussion(page).getByRole('textbox', { name: 'Add a comment' }).fill(text);
  await discussion(page).getByRole('button', { name: 'Post comment' }).click();
  await expect(discussion(page).getByRole('article').filter({ hasText: text })).toBeVisible();
}

test('a reader on another replica sees a comment, a reply, a like and a rating arrive, and keeps typing', async ({
  page,
  browser,
}) => {
  const article = '/articles/incident-reviews-that-change-things';
  // A on replica A (the project's base URL), B on replica B.
  await signUp(page, newReader('Ada Live'), article);
  const b = await otherReader(browser, replica('B'));
  await signUp(b.page, newReader('Brian Live'), article);

  // B writes first, then starts a reply under their own comment, and is still typing.
  const first = `First from B ${Date.now()}`;
  await postComment(b.page, first);
  const bComment = discussion(b.page).getByRole('article').filter({ hasText: first });
  await bComment.getByRole('button', { name: 'Reply', exact: true }).click();
  const replyBox = bComment.getByRole('textbox', { name: 'Reply' });
  await replyBox.pressSequentially('half a thought');
  await expect(replyBox).toBeFocused();

  // A sees B's comment arrive, marked New and announced.
  const aSees = discussion(page).getByRole('article').filter({ hasText: first });
  await expect(aSees).toBeVisible({ timeout: LIVE_MS });
  await expect(aSees.getByText('New', { exact: true })).toBeVisible();
  await expect(discussion(page).getByRole('status').filter({ hasText: /^1 new comment$/ })).toBeVisible();

  const commentsBefore = countOf(await discussion(b.page).getByText(/^\d+ Comments?$/).textContent());
  const likesBefore = countOf(await feedback(b.page).getByText(/^\d+ likes?$/).textContent());

  // A answers: a comment of their own, a reply to B, a like and a rating.
  const answer = `A's answer ${Date.now()}`;
  await postComment(page, answer);
  await aSees.getByRole('button', { name: 'Reply', exact: true }).click();
  const reply = `A replies to B ${Date.now()}`;
  await aSees.getByRole('textbox', { name: 'Reply' }).fill(reply);
  await aSees.getByRole('button', { name: 'Post reply' }).click();
  await feedback(page).getByRole('button', { name: 'Like' }).click();
  await feedback(page)
    .getByRole('radiogroup', { name: 'Rate this article' })
    .getByRole('radio', { name: '4 stars', exact: true })
    .check();

  // B sees all of it in place, without a reload.
  const bDiscussion = discussion(b.page);
  const arrived = bDiscussion.getByRole('article').filter({ hasText: answer });
  await expect(arrived).toBeVisible({ timeout: LIVE_MS });
  await expect(arrived.getByText('New', { exact: true })).toBeVisible();
  await expect(bDiscussion.getByRole('article').filter({ hasText: reply })).toBeVisible({ timeout: LIVE_MS });
  await expect(bDiscussion.getByRole('status').filter({ hasText: /^2 new comments$/ })).toBeVisible();
  await expect(bDiscussion.getByText(/^\d+ Comments?$/)).toHaveText(`${commentsBefore + 2} Comments`);
  await expect(feedback(b.page).getByText(/^\d+ likes?$/)).toHaveText(
    likesBefore + 1 === 1 ? '1 like' : `${likesBefore + 1} likes`,
    { timeout: LIVE_MS },
  );
  await expect(feedback(b.page).getByText('Average 4.0 from 1 rating')).toBeVisible({ timeout: LIVE_MS });
  await expect(feedback(b.page).getByText('4 stars: 1', { exact: true })).toBeVisible();
  // B's own choices are B's: no like, no rating.
  await expect(feedback(b.page).getByRole('button', { name: 'Like' })).toHaveAttribute('aria-pressed', 'false');
  await expect(feedback(b.page).getByRole('radio', { name: '4 stars', exact: true })).not.toBeChecked();

  // B's reply box was left alone: same text, still focused, and it still posts.
  await expect(replyBox).toHaveValue('half a thought');
  await expect(replyBox).toBeFocused();
  await b.page.keyboard.type(', finished');
  await bComment.getByRole('button', { name: 'Post reply' }).click();
  await expect(bDiscussion.getByRole('article').filter({ hasText: 'half a thought, finished' })).toBeVisible();
  // And it reaches A in turn.
  await expect(discussion(page).getByRole('article').filter({ hasText: 'half a thought, finished' })).toBeVisible({
    timeout: LIVE_MS,
  });

  await expectNoA11yViolations(b.page);
  await expectNoA11yViolations(page);
  await b.done();
});

test('a signed-out reader gets live counts: likes, ratings and followers', async ({ page, browser }) => {
  const article = '/articles/web-font-loading-costs';
  const b = await otherReader(browser, replica('B'));
  await gotoHydrated(b.page, article);
  const bFeedback = feedback(b.page);
  // Signed out: the counts and the links to sign in, as without JavaScript.
  await expect(bFeedback.getByRole('link', { name: 'Sign in to like' })).toBeVisible();
  await expect(bFeedback.getByRole('link', { name: 'Sign in to rate' })).toBeVisible();
  const writtenBy = b.page.getByRole('region', { name: 'Written by', exact: true });
  const likes = countOf(await bFeedback.getByText(/^\d+ likes?$/).textContent());
  const followers = countOf(await writtenBy.getByText(/^\d+ followers?$/).textContent());

  await signUp(page, newReader('Cleo Live'), article);
  await feedback(page).getByRole('button', { name: 'Like' }).click();
  await feedback(page)
    .getByRole('radiogroup', { name: 'Rate this article' })
    .getByRole('radio', { name: '2 stars', exact: true })
    .check();
  await page.getByRole('region', { name: 'Written by', exact: true }).getByRole('button', { name: 'Follow' }).click();

  const plural = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);
  await expect(bFeedback.getByText(/^\d+ likes?$/)).toHaveText(plural(likes + 1, 'like', 'likes'), {
    timeout: LIVE_MS,
  });
  await expect(bFeedback.getByText('Average 2.0 from 1 rating')).toBeVisible({ timeout: LIVE_MS });
  await expect(bFeedback.getByText('2 stars: 1', { exact: true })).toBeVisible();
  await expect(writtenBy.getByText(/^\d+ followers?$/)).toHaveText(
    plural(followers + 1, 'follower', 'followers'),
    { timeout: LIVE_MS },
  );
  await expect(writtenBy.getByRole('link', { name: 'Sign in to follow' })).toBeVisible();
  await expectNoA11yViolations(b.page);
  await b.done();
});

/** Starts replica C on its fixed port and waits until it answers. */
async function startReplicaC(): Promise<ChildProcess> {
  const server = spawn(serverBinary, ['serve'], {
    cwd: repoRoot,
    env: serverEnv(process.env.BESTHUB_E2E_LIVE_PORT_C!, liveDatabaseUrl()),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`replica C exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${replica('C')}/healthz`)).ok) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error('replica C did not answer /healthz within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(server: ChildProcess, signal: NodeJS.Signals) {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill(signal);
  await exited;
}

test.describe('when the server of the stream goes away', () => {
  // While replica C is down, the browser's reconnects are refused: Chromium logs each.
  const refused = [/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|EventSource|Failed to load resource/];
  test.use({ allowedConsoleErrors: refused });

  test('a restarted server’s readers reconnect and get the comment they missed', async ({ page, browser }) => {
    test.setTimeout(120_000);
    const article = '/articles/taming-cache-stampedes';
    let server = await startReplicaC();
    let c: Awaited<ReturnType<typeof otherReader>> | undefined;
    try {
      c = await otherReader(browser, replica('C'), refused);
      await gotoHydrated(c.page, article);
      await signUp(page, newReader('Dora Live'), article);

      // The stream works: a first comment through A reaches the reader on C.
      const before = `Before the restart ${Date.now()}`;
      await postComment(page, before);
      await expect(discussion(c.page).getByRole('article').filter({ hasText: before })).toBeVisible({
        timeout: LIVE_MS,
      });

      // C goes down (as a deploy stops it); a comment is posted through A meanwhile.
      await stop(server, 'SIGTERM');
      const missed = `Posted while C was down ${Date.now()}`;
      await postComment(page, missed);
      await new Promise((r) => setTimeout(r, 1_000));
      server = await startReplicaC();

      // The reader's page reconnects by itself and catches up, without a reload.
      const caughtUp = discussion(c.page).getByRole('article').filter({ hasText: missed });
      await expect(caughtUp).toBeVisible({ timeout: 60_000 });
      await expect(caughtUp.getByText('New', { exact: true })).toBeVisible();
      await expect(discussion(c.page).getByRole('status').filter({ hasText: /^2 new comments$/ })).toBeVisible();
      await expectNoA11yViolations(c.page);
    } finally {
      await c?.done();
      await stop(server, 'SIGKILL');
    }
  });
});

test('a hidden tab closes its stream and catches up when shown again', async ({ page, browser }) => {
  const article = '/articles/cjk-typography-on-the-web';
  const b = await otherReader(browser, replica('B'));
  await gotoHydrated(b.page, article);
  await signUp(page, newReader('Eve Live'), article);
  // The stream is open: a first comment arrives.
  const first = `While shown ${Date.now()}`;
  await postComment(page, first);
  await expect(discussion(b.page).getByRole('article').filter({ hasText: first })).toBeVisible({ timeout: LIVE_MS });

  // The tab is hidden (Page Visibility, emulated: headless pages are never hidden).
  const setHidden = (hidden: boolean) =>
    b.page.evaluate((hidden) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible'),
      });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  const missed = `While hidden ${Date.now()}`;
  await postComment(page, missed);
  // Nothing arrives while hidden: the stream is closed.
  await b.page.waitForTimeout(2_000);
  await expect(discussion(b.page).getByRole('article').filter({ hasText: missed })).toHaveCount(0);

  await setHidden(false);
  await expect(discussion(b.page).getByRole('article').filter({ hasText: missed })).toBeVisible({
    timeout: LIVE_MS,
  });
  await expect(discussion(b.page).getByRole('status').filter({ hasText: /^2 new comments$/ })).toBeVisible();
  await b.done();
});

/** Runs `sql` on the live project's schema (psql, as playwright.config.ts does). */
function onLiveDatabase(sql: string, vars: Record<string, string> = {}): string {
  const args = [liveDatabaseUrl(), '-v', 'ON_ERROR_STOP=1', '-qAt'];
  for (const [name, value] of Object.entries(vars)) args.push('-v', `${name}=${value}`);
  return execFileSync('psql', args, { input: sql, encoding: 'utf8', timeout: 10_000 });
}

test.describe('when events are lost', () => {
  // A page asks for each comment it shows that it did not read again: one deleted answers 404,
  // which Chromium logs as a failed resource.
  const gone = [/status of 404 \(Not Found\) \(.*\/api\/get_comment\?/];
  test.use({ allowedConsoleErrors: gone });

  test('a replica that lost its link to the others brings open pages up to date, deletions included', async ({
    page,
    browser,
  }) => {
    const article = '/articles/sqlite-wal-in-production';
    const b = await otherReader(browser, replica('B'), gone);
    await gotoHydrated(b.page, article);
    await signUp(page, newReader('Finn Live'), article);
    const kept = `Kept through the resync ${Date.now()}`;
    const doomed = `Gone while nobody was told ${Date.now()}`;
    await postComment(page, kept);
    await postComment(page, doomed);
    for (const text of [kept, doomed]) {
      await expect(discussion(b.page).getByRole('article').filter({ hasText: text })).toBeVisible({ timeout: LIVE_MS });
    }
    const heading = discussion(b.page).getByText(/^\d+ Comments?$/);
    const before = countOf(await heading.textContent());

    // The comment goes behind the app's back: no event tells anyone, as when events are lost.
    onLiveDatabase(
      `WITH gone AS (DELETE FROM comments WHERE body_markdown = :'doomed' RETURNING article_id)
       UPDATE articles SET comment_count = comment_count - 1 WHERE id IN (SELECT article_id FROM gone);`,
      { doomed },
    );
    // The replicas' link to the database's notifications drops (their LISTEN sessions end):
    // each reconnects and tells its open pages to catch up from the database.
    const ended = onLiveDatabase(
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE
         'LISTEN "besthub_' || left(encode(sha256(convert_to(current_database() || '.' || current_schema(), 'UTF8')), 'hex'), 16) || '"%';`,
    );
    expect(Number(ended.trim())).toBeGreaterThan(0);

    await expect(discussion(b.page).getByRole('article').filter({ hasText: doomed })).toHaveCount(0, { timeout: LIVE_MS });
    await expect(discussion(b.page).getByRole('article').filter({ hasText: kept })).toBeVisible();
    await expect(heading).toHaveText(new RegExp(`^${before - 1} Comments?$`));
    await expectNoA11yViolations(b.page);
    await b.done();
  });
});
