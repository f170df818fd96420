import type { Locator, Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, javaScriptEnabled, test } from './fixtures';
import { newReader, signOut, signUp } from './accounts';
import { importArticle } from './cli';

// Reply notifications (issue 15), with and without JavaScript. Every test imports an article
// of its own (tests/cli.ts) and signs up its own readers, so the discussions it follows and the
// notifications it reads are no other test's.

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

function notificationsLink(page: Page, name: string): Locator {
  return page.getByRole('banner').getByRole('link', { name, exact: true });
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

test.describe('notifications', () => {
  test("a reply by reader B shows up in reader A's notifications", async ({ page, browser }) => {
    test.slow();
    const article = await importArticle('Notified discussion');
    await signUp(page, newReader('Ana Asker'), article.path);
    await expect(notificationsLink(page, 'Notifications')).toBeVisible();
    const follow = discussion(page).getByRole('button', { name: 'Follow discussion' });
    await expect(follow).toHaveAttribute('aria-pressed', 'false');
    const question = unique('Does this hold under load?');
    await postComment(page, question);
    // Posting follows the discussion: in place once hydrated, on the page posted back to without.
    await expect(follow).toHaveAttribute('aria-pressed', 'true');

    const context = await browser.newContext({ javaScriptEnabled: javaScriptEnabled() });
    try {
      const other = await context.newPage();
      await signUp(other, newReader('Bo Answerer'), article.path);
      // B is not told of A's comment: B did not follow the discussion before it was posted.
      await expect(notificationsLink(other, 'Notifications')).toBeVisible();
      const answer = unique('It does, with a queue in front');
      await reply(other, question, answer);
      // Nobody is notified of their own reply.
      await gotoHydrated(other, article.path);
      await expect(notificationsLink(other, 'Notifications')).toBeVisible();

      if (javaScriptEnabled()) {
        // Live: A's header counts it without a reload.
        await expect(notificationsLink(page, 'Notifications, 1 unread')).toBeVisible({ timeout: 15_000 });
      } else {
        await gotoHydrated(page, article.path);
        await expect(notificationsLink(page, 'Notifications, 1 unread')).toBeVisible();
      }
      // The badge shows the number (through CSS, so that the visible text is part of the name).
      await expect(notificationsLink(page, 'Notifications, 1 unread').locator('.badge')).toHaveAttribute('data-count', '1');

      await notificationsLink(page, 'Notifications, 1 unread').click();
      await expect(page).toHaveURL(/\/notifications$/);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Notifications');
      const item = page.getByRole('main').getByRole('listitem').filter({ hasText: answer });
      await expect(item).toContainText(`Bo Answerer replied to your comment on “${article.title}”`);
      await expect(item).toContainText('Unread');
      await expect(item.locator('time')).toHaveCount(1);
      await expectNoA11yViolations(page);

      // The item leads to the reply in its discussion.
      await item.getByRole('link').click();
      await expect(page).toHaveURL(new RegExp(`${article.path}[^#]*#comment-\\d+$`));
      await expect(comment(page, answer)).toBeVisible();

      await gotoHydrated(page, '/notifications');
      await page.getByRole('button', { name: 'Mark all as read' }).click();
      await expect(page).toHaveURL(/\/notifications$/);
      await expect(notificationsLink(page, 'Notifications')).toBeVisible();
      await expect(page.getByRole('main').getByRole('listitem').filter({ hasText: answer })).not.toContainText(
        'Unread',
      );
    } finally {
      await context.close();
    }
  });

  test('follow and mute the discussion', async ({ page }) => {
    const article = await importArticle('Followed discussion');
    await signUp(page, newReader('Fay Follower'), article.path);
    const follow = discussion(page).getByRole('button', { name: 'Follow discussion' });
    const mute = discussion(page).getByRole('button', { name: 'Mute discussion' });
    await expect(follow).toHaveAttribute('aria-pressed', 'false');
    await expect(mute).toHaveAttribute('aria-pressed', 'false');
    await follow.click();
    await expect(follow).toHaveAttribute('aria-pressed', 'true');
    await mute.click();
    await expect(mute).toHaveAttribute('aria-pressed', 'true');
    await expect(follow).toHaveAttribute('aria-pressed', 'false');
    await expect(discussion(page)).toContainText('not notified of anything here');
    // Following again unmutes.
    await follow.click();
    await expect(follow).toHaveAttribute('aria-pressed', 'true');
    await expect(mute).toHaveAttribute('aria-pressed', 'false');
    // Kept.
    await gotoHydrated(page, article.path);
    await expect(follow).toHaveAttribute('aria-pressed', 'true');
    await follow.click();
    await expect(follow).toHaveAttribute('aria-pressed', 'false');
    await expectNoA11yViolations(page);
    // Signed out: neither button, nor the notifications link.
    await signOut(page);
    await gotoHydrated(page, article.path);
    await expect(discussion(page).getByRole('button', { name: 'Follow discussion' })).toHaveCount(0);
    await expect(page.getByRole('banner').getByRole('link', { name: /^Notifications/ })).toHaveCount(0);
  });

  test('an empty list, and signing in to see it', async ({ page }) => {
    await gotoHydrated(page, '/notifications');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Notifications');
    await expect(page.getByRole('link', { name: 'Sign in to see your notifications' })).toBeVisible();
    await signUp(page, newReader('Nell New'), '/notifications');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Notifications');
    await expect(page.getByText(/^No notifications yet/)).toBeVisible();
    await expectNoA11yViolations(page);
  });
});
