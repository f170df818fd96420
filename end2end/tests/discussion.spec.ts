import type { Locator, Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, javaScriptEnabled, test } from './fixtures';
import { newReader, signUp } from './accounts';

/**
 * The article this project's comment tests use. Each project has its own and the tests run
 * one after another (serial below), so "N Comments" moves only by what the running test does.
 */
function article(): string {
  return javaScriptEnabled() ? '/articles/sqlite-wal-in-production' : '/articles/cjk-typography-on-the-web';
}

// Refused comments answer 422, which Chromium logs as a failed resource load.
test.use({ allowedConsoleErrors: [/status of 422/] });

function discussion(page: Page): Locator {
  return page.getByRole('region', { name: 'Discussion', exact: true });
}

function unique(label: string): string {
  return `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** The comment (an `article`) whose own text contains `text`. */
function comment(page: Page, text: string): Locator {
  return discussion(page).getByRole('article').filter({ hasText: text });
}

async function commentCount(page: Page): Promise<number> {
  const text = await discussion(page).getByText(/^\d+ Comments?$/).textContent();
  return Number((text ?? '').match(/\d+/)![0]);
}

async function expectCount(page: Page, n: number) {
  await expect(discussion(page).getByText(/^\d+ Comments?$/)).toHaveText(n === 1 ? '1 Comment' : `${n} Comments`);
}

/** Marks the window; `expectNoReload` fails if the page was loaded again since. */
async function markWindow(page: Page) {
  if (javaScriptEnabled()) {
    await page.evaluate(() => ((window as unknown as { stay: string }).stay = 'no reload'));
  }
}

async function expectNoReload(page: Page) {
  if (javaScriptEnabled()) {
    expect(await page.evaluate(() => (window as unknown as { stay?: string }).stay)).toBe('no reload');
  }
}

/** Posts `text`; `shown` is how it reads once rendered, when Markdown changes it. */
async function postComment(page: Page, text: string, shown = text) {
  const box = discussion(page).getByRole('textbox', { name: 'Add a comment' });
  await box.fill(text);
  await discussion(page).getByRole('button', { name: 'Post comment' }).click();
  await expect(comment(page, shown)).toBeVisible();
}

async function reply(page: Page, to: string, text: string) {
  const parent = comment(page, to);
  await parent.getByRole('button', { name: 'Reply', exact: true }).click();
  await parent.getByRole('textbox', { name: 'Reply' }).fill(text);
  await parent.getByRole('button', { name: 'Post reply' }).click();
  await expect(comment(page, text)).toBeVisible();
}

test.describe('discussion', () => {
  test.describe.configure({ mode: 'serial' });

  test('signed out readers see the discussion and a sign-in link', async ({ page }) => {
    await gotoHydrated(page, article());
    const link = discussion(page).getByRole('link', { name: 'Sign in to comment' });
    await expect(link).toHaveAttribute('href', `/signin?next=${article()}%23discussion`);
    await expect(discussion(page).getByRole('textbox')).toHaveCount(0);
    await expect(discussion(page).getByRole('link', { name: 'Newest first' })).toBeVisible();
  });

  test('post, reply, reply to a reply and continue the thread', async ({ page }) => {
    const reader = newReader('Grace Hopper');
    await signUp(page, reader, article());
    const before = await commentCount(page);
    await markWindow(page);

    const top = unique('Top-level *note*');
    const topText = top.replace('*note*', 'note');
    await postComment(page, top, topText);
    await expect(comment(page, topText).locator('em')).toHaveText('note');
    await expectCount(page, before + 1);
    if (javaScriptEnabled()) {
      await expect(discussion(page).getByRole('textbox', { name: 'Add a comment' })).toHaveValue('');
      await expectNoReload(page);
    } else {
      await expect(page).toHaveURL(/#comment-\d+$/);
    }
    const topComment = comment(page, topText);
    await expect(topComment).toContainText('Grace Hopper');
    await expect(topComment.locator('time[datetime]')).toHaveCount(1);

    const first = unique('First reply');
    await reply(page, topText, first);
    await expect(comment(page, first).getByRole('link', { name: 'in reply to Grace Hopper' })).toBeVisible();
    const second = unique('Reply to the reply');
    await reply(page, first, second);
    await expectCount(page, before + 3);
    await expectNoReload(page);
    await expectNoA11yViolations(page);

    // A fourth level is not shown on the article page: it continues on a page of its own.
    const fourth = unique('Fourth level');
    const secondComment = comment(page, second);
    await secondComment.getByRole('button', { name: 'Reply', exact: true }).click();
    await secondComment.getByRole('textbox', { name: 'Reply' }).fill(fourth);
    await secondComment.getByRole('button', { name: 'Post reply' }).click();
    await expect(comment(page, fourth)).toBeVisible();
    if (!javaScriptEnabled()) {
      await expect(page).toHaveURL(/\/comments\/\d+#comment-\d+$/);
    }

    await gotoHydrated(page, article());
    await expect(comment(page, second)).toBeVisible();
    await expect(comment(page, fourth)).toHaveCount(0);
    // The link sits under the third-level comment, in its list item.
    await comment(page, second).locator('xpath=..').getByRole('link', { name: 'Continue this thread' }).click();
    await expect(page).toHaveURL(/\/articles\/[a-z-]+\/comments\/\d+$/);
    await expect(comment(page, second)).toBeVisible();
    await expect(comment(page, fourth)).toBeVisible();
    await expect(comment(page, topText)).toHaveCount(0);
    await expectNoA11yViolations(page);
  });

  test('edit within the window', async ({ page }) => {
    await signUp(page, newReader(), article());
    const text = unique('Typo-ridden thougth');
    await postComment(page, text);
    const mine = comment(page, text);
    await expect(mine.getByText(/^Editable for (15|14) more minutes$/)).toBeVisible();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const box = mine.getByRole('textbox', { name: 'Edit comment' });
    await expect(box).toHaveValue(text);
    const fixed = text.replace('thougth', 'thought, **fixed**');
    await box.fill(fixed);
    await mine.getByRole('button', { name: 'Save' }).click();
    const edited = comment(page, text.replace('thougth', 'thought, fixed'));
    await expect(edited.locator('strong')).toHaveText('fixed');
    await expect(edited.getByText('edited')).toBeVisible();
    await expect(comment(page, text)).toHaveCount(0);
    await expectNoA11yViolations(page);
  });

  test('delete with and without replies', async ({ page }) => {
    await signUp(page, newReader('Delete Tester'), article());
    const parentText = unique('Soon deleted parent');
    const childText = unique('Surviving child');
    await postComment(page, parentText);
    await reply(page, parentText, childText);
    const before = await commentCount(page);
    await markWindow(page);

    const parent = comment(page, parentText);
    await parent.getByRole('button', { name: 'Delete' }).click();
    await expect(parent.getByText(/Its replies stay/)).toBeVisible();
    await parent.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(comment(page, parentText)).toHaveCount(0);
    await expect(discussion(page).getByRole('article', { name: 'Deleted comment' }).first()).toBeVisible();
    await expect(comment(page, childText)).toBeVisible();
    await expectCount(page, before - 1);

    const child = comment(page, childText);
    await child.getByRole('button', { name: 'Delete' }).click();
    await child.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(comment(page, childText)).toHaveCount(0);
    await expectCount(page, before - 2);
    await expectNoReload(page);
    // The placeholder went with its last reply: a reload shows neither.
    await gotoHydrated(page, article());
    await expect(comment(page, childText)).toHaveCount(0);
    await expectCount(page, before - 2);
  });

  test('others cannot edit or delete my comment', async ({ browser, page }) => {
    await signUp(page, newReader(), article());
    const text = unique('Only mine to change');
    await postComment(page, text);
    const other = await browser.newPage({ javaScriptEnabled: javaScriptEnabled() });
    await signUp(other, newReader('Someone Else'), article());
    const theirs = comment(other, text);
    await expect(theirs.getByRole('button', { name: 'Reply', exact: true })).toBeVisible();
    await expect(theirs.getByRole('button', { name: 'Edit' })).toHaveCount(0);
    await expect(theirs.getByRole('button', { name: 'Delete' })).toHaveCount(0);
    await other.close();
  });

  test('an empty comment is refused and typed text is never lost', async ({ page }) => {
    await signUp(page, newReader(), article());
    const box = discussion(page).getByRole('textbox', { name: 'Add a comment' });
    await box.fill('   ');
    await discussion(page).getByRole('button', { name: 'Post comment' }).click();
    await expect(discussion(page).getByText('Comment cannot be empty')).toBeVisible();
    await expect(discussion(page).getByRole('textbox', { name: 'Add a comment' })).toHaveAttribute('aria-invalid', 'true');

    const long = 'x'.repeat(10_001);
    await discussion(page).getByRole('textbox', { name: 'Add a comment' }).fill(long);
    await discussion(page).getByRole('button', { name: 'Post comment' }).click();
    await expect(discussion(page).getByText(/Comment is too long: 10,001 characters/)).toBeVisible();
    await expect(discussion(page).getByRole('textbox', { name: 'Add a comment' })).toHaveValue(long);
    await expectNoA11yViolations(page);
  });

  test('hostile comments are shown as text and never run', async ({ page }) => {
    await signUp(page, newReader(), article());
    const tag = unique('hostile');
    const payloads = [
      `<script>window.__pwned = 'script'</script> ${tag}`,
      `<img src=x onerror="window.__pwned='img'"> ${tag}`,
      `[click me ${tag}](javascript:window.__pwned='link')`,
      `<svg onload="window.__pwned='svg'"><script>window.__pwned='svg2'</script></svg> ${tag}`,
      `<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='math'"> ${tag}`,
      `&lt;script&gt;window.__pwned='entity'&lt;/script&gt; ${tag}`,
      `<a href="javascript:window.__pwned='a'">anchor ${tag}</a>`,
      `<iframe srcdoc="<script>parent.__pwned='iframe'</script>"></iframe> ${tag}`,
    ];
    for (const payload of payloads) {
      const box = discussion(page).getByRole('textbox', { name: 'Add a comment' });
      await box.fill(payload);
      await discussion(page).getByRole('button', { name: 'Post comment' }).click();
      await expect(box).toHaveValue('');
    }
    await gotoHydrated(page, article());
    const hostile = discussion(page).getByRole('article').filter({ hasText: tag });
    await expect(hostile).toHaveCount(payloads.length);
    // The markup is shown as the text it is.
    await expect(comment(page, `<script>window.__pwned = 'script'</script> ${tag}`)).toBeVisible();
    await expect(comment(page, `<img src=x onerror="window.__pwned='img'"> ${tag}`)).toBeVisible();
    await expect(comment(page, `<script>window.__pwned='entity'</script> ${tag}`)).toBeVisible();
    await expect(hostile.locator('script, img, svg, math, iframe, style')).toHaveCount(0);
    await expect(hostile.locator('a[href^="javascript"]')).toHaveCount(0);
    const link = comment(page, `click me ${tag}`).getByText(`click me ${tag}`);
    if (javaScriptEnabled()) {
      await link.click();
      expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    }
    await expectNoA11yViolations(page);
  });

  test('fifty top-level comments a page, then "Show more comments"', async ({ page }) => {
    // Each project uses its own article so the page boundaries are its own.
    const article = javaScriptEnabled() ? '/articles/web-font-loading-costs' : '/articles/incident-reviews-that-change-things';
    await signUp(page, newReader('Page Filler'), article);
    const tag = unique('paged');
    const origin = new URL(page.url()).origin;
    for (let i = 1; i <= 51; i++) {
      const response = await page.request.post('/api/post_comment', {
        form: { slug: article.split('/').pop()!, body: `${tag} #${i}` },
        headers: { Origin: origin, Accept: 'application/json' },
      });
      expect(response.status()).toBe(200);
    }
    await gotoHydrated(page, article);
    const ours = discussion(page).getByRole('article').filter({ hasText: tag });
    // Oldest first: #51 is the last one and is on the second page.
    await expect(ours.filter({ hasText: `${tag} #50` })).toHaveCount(1);
    await expect(ours.filter({ hasText: `${tag} #51` })).toHaveCount(0);
    await expect(discussion(page).locator('ol.comments:not(.replies) > li')).toHaveCount(50);
    await markWindow(page);
    await discussion(page).getByRole('link', { name: 'Show more comments' }).click();
    await expect(ours.filter({ hasText: `${tag} #51` })).toHaveCount(1);
    if (javaScriptEnabled()) {
      await expectNoReload(page);
      await expect(ours.filter({ hasText: `${tag} #1` }).first()).toBeVisible();
    } else {
      await expect(page).toHaveURL(/[?&]page=2/);
    }
    await expectNoA11yViolations(page);

    // Newest first puts #51 on top.
    await discussion(page).getByRole('link', { name: 'Newest first' }).click();
    await expect(discussion(page).getByRole('link', { name: 'Newest first' })).toHaveAttribute('aria-current', 'true');
    await expect(discussion(page).getByRole('article').first()).toContainText(`${tag} #51`);
  });
});
