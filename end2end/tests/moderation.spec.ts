import type { Browser, BrowserContext, Locator, Page } from '@playwright/test';
import {
  expect,
  expectNoA11yViolations,
  gotoHydrated,
  HYDRATION_TIMEOUT_MS,
  javaScriptEnabled,
  serverAnswer,
  test as base,
} from './fixtures';
import { newReader, signUp, submitSignIn } from './accounts';
import { grantAdmin, importArticle, type ImportedArticle } from './cli';

// Moderation and takedowns (issue 14). Every test imports an article of its own (tests/cli.ts),
// so the comments it hides, the reader it suspends and the article it unpublishes touch no page
// another test reads; the queue, the log and the takedown list are shared by both projects and
// every worker, so each test finds its own items by text no other test writes.

// Refusals Chromium logs as failed resources: 404 (admin pages to non-admins, an unknown
// takedown, the author and tag pages of an unpublished article's only author and tag), 403
// (a suspended reader's write), 410 (an unpublished article) and 422 (an empty takedown form).
const REFUSED = [/status of (403|404|410|422)/];

const THANKS = 'Thanks, a moderator will look at it';
const REMOVED = '[removed by a moderator]';
/** "Your account is suspended until 8 Dec 2026, 14:05 UTC" (`D Mon YYYY, HH:MM UTC`). */
const SUSPENDED_UNTIL = /^Your account is suspended until (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}), (\d{2}):(\d{2}) UTC/;

/**
 * `open()` gives a new page in a browser context of its own (another person), with the
 * project's JavaScript setting; like the `page` fixture, it fails the test when such a page
 * logs a console error (other than `allowedConsoleErrors`), a hydration warning or an
 * uncaught exception.
 */
const test = base.extend<{ open: () => Promise<Page> }>({
  open: async ({ browser, allowedConsoleErrors }, use) => {
    const contexts: BrowserContext[] = [];
    const problems: string[] = [];
    await use(() => openWatched(browser, contexts, problems, allowedConsoleErrors));
    for (const context of contexts) await context.close();
    expect(problems, 'a page of another person logged console errors or exceptions').toEqual([]);
  },
});

test.use({ allowedConsoleErrors: REFUSED });

async function openWatched(browser: Browser, contexts: BrowserContext[], problems: string[], allowed: RegExp[]) {
  const context = await browser.newContext({ javaScriptEnabled: javaScriptEnabled() });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (msg) => {
    const loc = msg.location();
    const where = loc.url ? ` (${loc.url}:${loc.lineNumber}:${loc.columnNumber})` : '';
    const text = `${msg.text()}${where}`;
    if (msg.type() === 'error') {
      if (loc.url && new URL(loc.url).pathname === '/favicon.ico') return;
      if (!allowed.some((re) => re.test(text))) problems.push(`console.error: ${text}`);
    } else if (msg.type() === 'warning' && /hydrat/i.test(msg.text())) {
      problems.push(`console.warn (hydration): ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.stack ?? error.message}`));
  return page;
}

function unique(label: string): string {
  return `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

function discussion(page: Page): Locator {
  return page.getByRole('region', { name: 'Discussion', exact: true });
}

/** The comment (an `article`) whose own text contains `text`. */
function comment(page: Page, text: string): Locator {
  return discussion(page).getByRole('article').filter({ hasText: text });
}

/** A comment's "Report" control: a button, or without JavaScript possibly a link. */
function reportControl(target: Locator): Locator {
  return target
    .getByRole('button', { name: 'Report', exact: true })
    .or(target.getByRole('link', { name: 'Report', exact: true }));
}

async function expectCount(page: Page, n: number) {
  await expect(discussion(page).getByText(/^\d+ Comments?$/)).toHaveText(n === 1 ? '1 Comment' : `${n} Comments`);
}

async function postComment(page: Page, text: string) {
  await discussion(page).getByRole('textbox', { name: 'Add a comment' }).fill(text);
  await discussion(page).getByRole('button', { name: 'Post comment' }).click();
  await expect(comment(page, text)).toBeVisible();
}

async function reply(page: Page, to: string, text: string) {
  const parent = comment(page, to);
  await parent.getByRole('button', { name: 'Reply', exact: true }).click();
  await parent.getByRole('textbox', { name: 'Reply' }).fill(text);
  await parent.getByRole('button', { name: 'Post reply' }).click();
  await expect(comment(page, text)).toBeVisible();
}

/** A new reader, signed up in a context of their own and left on `next`. */
async function reader(open: () => Promise<Page>, name: string, next?: string) {
  const page = await open();
  const account = newReader(name);
  await signUp(page, account, next);
  return { page, account };
}

/** A new account made admin with `besthub user grant-admin`, signed in on a page of its own. */
async function admin(open: () => Promise<Page>): Promise<Page> {
  const { page, account } = await reader(open, 'Morgan Moderator');
  await grantAdmin(account.email);
  return page;
}

/** Reports the comment with `text` as spam with `note`, from the page of a signed-in reader. */
async function report(page: Page, text: string, note: string) {
  const target = comment(page, text);
  await reportControl(target).click();
  const section = discussion(page);
  for (const reason of ['Spam', 'Harassment', 'Off-topic', 'Other']) {
    await expect(section.getByRole('radio', { name: reason, exact: true })).toBeVisible();
  }
  await section.getByRole('radio', { name: 'Spam', exact: true }).check();
  await section.getByRole('textbox', { name: 'Note', exact: true }).fill(note);
  await section.getByRole('button', { name: 'Send report' }).click();
  await expect(page.getByRole('status').filter({ hasText: THANKS })).toBeVisible();
  if (!javaScriptEnabled()) {
    // The post came back to the reported comment.
    await expect(page).toHaveURL(/#comment-\d+$/);
  }
}

/** The queue item (`<li>`) of the comment with `text` on /admin/moderation. */
function queueItem(page: Page, text: string): Locator {
  return page
    .getByRole('main')
    .getByRole('listitem')
    .filter({ hasText: text })
    .filter({ has: page.getByRole('textbox', { name: 'Reason', exact: true }) });
}

/** The entry (`<li>`) of /moderation whose reason is `reason`. */
function logEntry(page: Page, reason: string): Locator {
  return page.getByRole('main').getByRole('listitem').filter({ hasText: reason });
}

async function openQueue(page: Page) {
  const response = await gotoHydrated(page, '/admin/moderation');
  expect(response!.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Moderation queue');
}

async function expectNotFound(page: Page, path: string) {
  const response = await gotoHydrated(page, path);
  expect(response!.status(), `${path} should answer 404 here`).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).not.toHaveText(/Moderation queue|Takedown requests/);
}

/** Reads "…until 8 Dec 2026, 14:05 UTC" as milliseconds since the epoch. */
function suspendedUntil(text: string): number {
  const m = text.match(SUSPENDED_UNTIL);
  if (!m) throw new Error(`not a suspension message: ${JSON.stringify(text)}`);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const month = months.indexOf(m[2]);
  expect(month, `month of ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]));
}

test.describe('moderation', () => {
  test('report, queue, hide, and the public log', async ({ page, open }) => {
    test.slow();
    const article = await importArticle('Reported discussion');

    // Reader B comments; reader A replies and, on B's comment, finds "Report".
    const b = await reader(open, 'Bea Commenter', article.path);
    const text = unique('Buy cheap watches at my shop');
    await postComment(b.page, text);
    const a = newReader('Ari Reporter');
    await signUp(page, a, article.path);
    const answer = unique('This looks like spam to me');
    await reply(page, text, answer);
    await expect(reportControl(comment(page, text))).toBeVisible();
    // Nobody is offered to report their own comment.
    await expect(reportControl(comment(page, answer))).toHaveCount(0);
    await gotoHydrated(b.page, article.path);
    await expect(reportControl(comment(b.page, answer))).toBeVisible();
    await expect(reportControl(comment(b.page, text))).toHaveCount(0);

    const note = unique('Link farm in every line');
    await gotoHydrated(page, article.path);
    await report(page, text, note);
    await expectCount(page, 2);

    // The queue is for admins only: everyone else gets "Not found".
    const anonymous = await open();
    for (const path of ['/admin/moderation', '/admin/takedowns']) {
      await expectNotFound(anonymous, path);
      await expectNotFound(page, path);
    }

    // The admin finds the reported comment with its report and hides it.
    const mod = await admin(open);
    await openQueue(mod);
    const item = queueItem(mod, text);
    await expect(item).toHaveCount(1);
    await expect(item).toContainText('Spam');
    await expect(item).toContainText(note);
    await expect(item.getByText(/^1 report$/)).toBeVisible();
    await expect(item.getByRole('link', { name: 'View in context' })).toHaveAttribute(
      'href',
      new RegExp(`^(https?://[^/]+)?${article.path}(/comments/\\d+)?([?#].*)?$`),
    );
    await expect(item.getByRole('button', { name: 'Dismiss', exact: true })).toBeVisible();
    await expect(item.getByRole('combobox', { name: 'Suspend for' })).toBeVisible();
    await expect(item.getByRole('textbox', { name: 'Reason for suspension' })).toBeVisible();
    await expect(item.getByRole('button', { name: 'Suspend the author' })).toBeVisible();
    await expectNoA11yViolations(mod);

    const reason = unique('Commercial spam, against the house rules');
    await item.getByRole('textbox', { name: 'Reason', exact: true }).fill(reason);
    await item.getByRole('button', { name: 'Hide', exact: true }).click();
    await expect(mod.getByRole('status').filter({ hasText: 'Comment hidden.' })).toBeVisible();
    // It is listed among the hidden comments now, with "Restore".
    await openQueue(mod);
    await expect(queueItem(mod, text).getByRole('button', { name: 'Restore', exact: true })).toBeVisible();
    await expectNoA11yViolations(mod);

    // On the article, for the reporter and for a visitor alike, the comment reads as removed;
    // the reply stays and the count does not change.
    for (const viewer of [page, anonymous]) {
      await gotoHydrated(viewer, article.path);
      await expect(discussion(viewer).getByText(REMOVED, { exact: true })).toBeVisible();
      await expect(discussion(viewer).getByText(text)).toHaveCount(0);
      await expect(comment(viewer, answer)).toBeVisible();
      await expectCount(viewer, 2);
    }

    // The public log says what was done, to what, when and why.
    await expect(anonymous.getByRole('contentinfo').getByRole('link', { name: 'Moderation log' })).toHaveAttribute(
      'href',
      '/moderation',
    );
    const response = await gotoHydrated(anonymous, '/moderation');
    expect(response!.status()).toBe(200);
    await expect(anonymous.getByRole('heading', { level: 1 })).toHaveText('Moderation log');
    const entry = logEntry(anonymous, reason);
    await expect(entry).toHaveCount(1);
    await expect(entry).toContainText('Hid a comment');
    await expect(entry).toContainText(`Reason: ${reason}`);
    await expect(entry).toContainText(article.title);
    await expect(entry).toContainText('by a moderator');
    await expect(entry.locator('time[datetime]')).toHaveCount(1);
    await expectNoA11yViolations(anonymous);
  });

  test('a suspended reader’s next comment is refused with the date', async ({ page, open }) => {
    test.slow();
    const article = await importArticle('Suspension discussion');

    // Reader B has the article open, signed in, and comments; reader A reports the comment.
    const b = newReader('Sid Suspended');
    await signUp(page, b, article.path);
    const first = unique('You are all idiots');
    await postComment(page, first);
    const a = await reader(open, 'Ari Reporter', article.path);
    await report(a.page, first, unique('Insults'));

    // The admin suspends B for 7 days from the queue.
    const mod = await admin(open);
    await openQueue(mod);
    const item = queueItem(mod, first);
    const reason = unique('Repeated insults');
    await item.getByRole('combobox', { name: 'Suspend for' }).selectOption({ label: '7 days' });
    await item.getByRole('textbox', { name: 'Reason for suspension' }).fill(reason);
    await item.getByRole('button', { name: 'Suspend the author' }).click();
    await expect(mod.getByRole('status').filter({ hasText: 'Author suspended.' })).toBeVisible();
    const suspendedAt = Date.now();

    // B, on the page still open (no reload with JavaScript; the form post without), comments.
    if (javaScriptEnabled()) {
      await page.evaluate(() => ((window as unknown as { stay: string }).stay = 'no reload'));
    }
    const second = unique('And another thing');
    await discussion(page).getByRole('textbox', { name: 'Add a comment' }).fill(second);
    await discussion(page).getByRole('button', { name: 'Post comment' }).click();
    const refusal = page.getByText(SUSPENDED_UNTIL).first();
    await expect(refusal).toBeVisible();
    const until = suspendedUntil((await refusal.textContent())!.trim());
    const week = 7 * 24 * 60 * 60 * 1000;
    expect(Math.abs(until - (suspendedAt + week)), 'suspended for 7 days from now').toBeLessThan(5 * 60 * 1000);
    if (javaScriptEnabled()) {
      expect(await page.evaluate(() => (window as unknown as { stay?: string }).stay)).toBe('no reload');
    }
    await expect(comment(page, second)).toHaveCount(0);

    // Nobody sees the refused comment; B's pages render signed out.
    await gotoHydrated(a.page, article.path);
    await expect(comment(a.page, first)).toBeVisible();
    await expect(comment(a.page, second)).toHaveCount(0);
    await gotoHydrated(page, article.path);
    await expect(comment(page, second)).toHaveCount(0);
    await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toHaveCount(0);

    // Signing in again is refused with the same message.
    await gotoHydrated(page, '/signin');
    await submitSignIn(page, b.email, b.password);
    const again = page.getByText(SUSPENDED_UNTIL).first();
    await expect(again).toBeVisible();
    expect(suspendedUntil((await again.textContent())!.trim())).toBe(until);
    await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toHaveCount(0);

    // The log has it.
    await gotoHydrated(a.page, '/moderation');
    const entry = logEntry(a.page, reason);
    await expect(entry).toContainText('Suspended a reader for 7 days');
    await expect(entry).toContainText(`Reason: ${reason}`);
    await expect(entry.locator('time[datetime]')).toHaveCount(1);
  });
});

test.describe('takedowns', () => {
  /** Whether `page` (at a listing) links to the article. */
  function linkTo(page: Page, article: ImportedArticle): Locator {
    return page.getByRole('main').getByRole('link', { name: article.title, exact: true });
  }

  /** The request (`<li>`) on /admin/takedowns whose claim is `claim`. */
  function requestItem(page: Page, claim: string): Locator {
    return page
      .getByRole('main')
      .getByRole('listitem')
      .filter({ hasText: claim })
      .filter({ has: page.getByRole('textbox', { name: 'Reason', exact: true }) });
  }

  async function openRequests(page: Page) {
    const response = await gotoHydrated(page, '/admin/takedowns');
    expect(response!.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Takedown requests');
  }

  /** Fills the request's "Reason", presses `button` and waits for the server's answer. */
  async function decide(page: Page, claim: string, button: string, reason: string) {
    await openRequests(page);
    const item = requestItem(page, claim);
    await item.getByRole('textbox', { name: 'Reason', exact: true }).fill(reason);
    const answered = serverAnswer(page, 'decide_takedown');
    await item.getByRole('button', { name: button, exact: true }).click();
    expect((await answered).status(), `${button}: the server's answer`).toBeLessThan(400);
    await page.waitForLoadState();
  }

  test('request a takedown, unpublish (410, gone from listings), republish', async ({ page, open }) => {
    test.slow();
    const article = await importArticle('Disputed article');

    // A visitor follows "Request a takedown" from the republication notice.
    await gotoHydrated(page, article.path);
    const notice = page.getByRole('region', { name: 'Republication Notice', exact: true });
    await notice.getByRole('link', { name: 'Request a takedown' }).click();
    await expect(page).toHaveURL(new RegExp(`${article.path}/takedown$`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Request a takedown');
    await expect(page.getByRole('main')).toContainText(article.title);
    if (javaScriptEnabled()) {
      await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: HYDRATION_TIMEOUT_MS });
    }
    await expectNoA11yViolations(page);

    const claim = unique('Chapter two is copied word for word from my book');
    await page.getByLabel('Name', { exact: true }).fill('Rhea Rightsholder');
    await page.getByLabel('Email', { exact: true }).fill('rhea@example.com');
    await page.getByLabel('Your relationship to the work', { exact: true }).fill('I wrote the original');
    await page.getByLabel('What infringes and why', { exact: true }).fill(claim);
    await page.getByRole('button', { name: 'Send request' }).click();

    // The status page: a reference, the article, "Received", and a link worth keeping.
    await expect(page).toHaveURL(/\/takedowns\/[^/?#]+\?sent=1$/);
    const heading = page.getByRole('heading', { level: 1 });
    await expect(heading).toHaveText(/^Takedown request TD-\d+$/);
    const reference = ((await heading.textContent()) ?? '').trim().replace('Takedown request ', '');
    const statusPath = new URL(page.url()).pathname;
    const main = page.getByRole('main');
    await expect(main).toContainText('Your request was received.');
    await expect(main).toContainText('Keep this link to follow your request');
    await expect(main).toContainText(article.title);
    await expect(main).toContainText('Status: Received');
    await expectNoA11yViolations(page);

    // Listed where readers find it, before anything happens. The author and tag pages are
    // visited anonymously (and so cached); home is looked at by the admin, whose pages are
    // never cached (an import from the command line does not drop the cached home page).
    await gotoHydrated(page, article.path);
    const writtenBy = page.getByRole('region', { name: 'Written by', exact: true });
    const authorPath = await writtenBy.getByRole('link', { name: article.author, exact: true }).getAttribute('href');
    const tagPath = `/tags/${article.tag}`;
    await expect(page.getByRole('navigation', { name: 'Tags', exact: true }).getByRole('link')).toHaveAttribute('href', tagPath);
    for (const listing of [authorPath!, tagPath]) {
      await gotoHydrated(page, listing);
      await expect(linkTo(page, article)).not.toHaveCount(0);
    }
    const mod = await admin(open);
    await gotoHydrated(mod, '/');
    await expect(linkTo(mod, article)).not.toHaveCount(0);

    // The admin finds the request and unpublishes the article.
    await openRequests(mod);
    const item = requestItem(mod, claim);
    await expect(item).toHaveCount(1);
    await expect(item).toContainText(reference);
    await expect(item).toContainText('Rhea Rightsholder');
    await expect(item).toContainText('I wrote the original');
    await expect(item.getByRole('link', { name: article.title })).toHaveAttribute('href', article.path);
    for (const button of ['Mark under review', 'Unpublish', 'Decline']) {
      await expect(item.getByRole('button', { name: button, exact: true })).toBeVisible();
    }
    await expectNoA11yViolations(mod);

    const reason = unique('Copied from a book without permission');
    let unpublished = false;
    try {
      await decide(mod, claim, 'Unpublish', reason);
      unpublished = true;
      await openRequests(mod);
      await expect(requestItem(mod, claim).getByRole('button', { name: 'Republish', exact: true })).toBeVisible();
      await expectNoA11yViolations(mod);

      // The article answers 410 with the reason, for everyone.
      for (const viewer of [page, mod]) {
        const gone = await gotoHydrated(viewer, article.path);
        expect(gone!.status()).toBe(410);
        await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('This article has been removed');
        await expect(viewer.getByRole('main')).toContainText(reason);
      }
      await expectNoA11yViolations(page);

      // Gone from every listing.
      for (const viewer of [page, mod]) {
        for (const listing of ['/', authorPath!, tagPath]) {
          await gotoHydrated(viewer, listing);
          await expect(linkTo(viewer, article), `${listing} should not list the removed article`).toHaveCount(0);
        }
      }

      // The requester's status page says so, with the reason.
      await gotoHydrated(page, statusPath);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Takedown request ${reference}`);
      await expect(page.getByRole('main')).toContainText('Status: Article removed');
      await expect(page.getByRole('main')).toContainText(`Reason: ${reason}`);
      await expectNoA11yViolations(page);

      // The public log has it.
      await gotoHydrated(page, '/moderation');
      await expect(logEntry(page, reason)).toContainText('Unpublished an article');
    } finally {
      // Republished even when a check above failed: the article is this test's own, but a
      // removed article should not outlive the test that removed it.
      if (unpublished) await decide(mod, claim, 'Republish', unique('Permission granted after all'));
    }

    // Back: 200 (for the visitor who was shown the 410 page too: a browser must not keep that
    // answer), and listed again.
    const back = await gotoHydrated(page, article.path);
    expect(back!.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(article.title);
    for (const listing of [authorPath!, tagPath]) {
      await gotoHydrated(page, listing);
      await expect(linkTo(page, article)).not.toHaveCount(0);
    }
    await gotoHydrated(mod, '/');
    await expect(linkTo(mod, article)).not.toHaveCount(0);
  });

  test('an empty or incomplete takedown form says what is missing beside each field', async ({ page }) => {
    const path = '/articles/taming-cache-stampedes/takedown';
    const response = await gotoHydrated(page, path);
    expect(response!.status()).toBe(200);
    const fields = ['Name', 'Email', 'Your relationship to the work', 'What infringes and why'];

    await page.getByRole('button', { name: 'Send request' }).click();
    for (const label of fields) {
      const field = page.getByLabel(label, { exact: true });
      await expect(field, `${label} should be marked invalid`).toHaveAttribute('aria-invalid', 'true');
      await expect(field, `${label} should be described by its error`).toHaveAccessibleDescription(/\S/);
    }
    await expect(page).toHaveURL(new RegExp(`${path}(\\?.*)?$`));
    await expectNoA11yViolations(page);

    // Typed values are kept; only what is still wrong is marked.
    await page.getByLabel('Name', { exact: true }).fill('Rhea Rightsholder');
    await page.getByLabel('Email', { exact: true }).fill('not an email');
    await page.getByRole('button', { name: 'Send request' }).click();
    // The form reaches the server (nothing in the browser holds it back), which accepts the
    // name now and says beside Email what is wrong with it.
    await expect(
      page.getByLabel('Name', { exact: true }),
      'the second post should come back from the server with Name no longer marked',
    ).not.toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Rhea Rightsholder');
    const email = page.getByLabel('Email', { exact: true });
    await expect(email).toHaveAttribute('aria-invalid', 'true');
    await expect(email).toHaveAccessibleDescription(/\S/);
    await expect(email).toHaveValue('not an email');
    await expect(page.getByLabel('What infringes and why', { exact: true })).toHaveAttribute('aria-invalid', 'true');

    // An unknown request is not found.
    const unknown = await gotoHydrated(page, '/takedowns/no-such-request');
    expect(unknown!.status()).toBe(404);
  });
});
