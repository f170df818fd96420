import type { Locator, Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, javaScriptEnabled, test } from './fixtures';
import { newReader, signUp } from './accounts';

// Not an article whose comment counts or page boundaries another spec checks; newest first,
// so this test's comment is on the first page whatever else was posted there.
const SLUG = 'taming-cache-stampedes';
const ARTICLE = `/articles/${SLUG}`;

function discussion(page: Page): Locator {
  return page.getByRole('region', { name: 'Discussion', exact: true });
}

function unique(label: string): string {
  return `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Posts through the comment API as the signed-in reader of `page`; returns the new id. */
async function post(page: Page, body: string, parent?: number): Promise<number> {
  const origin = new URL(page.url()).origin;
  const form: Record<string, string> = { slug: SLUG, body };
  if (parent !== undefined) form.parent = String(parent);
  const response = await page.request.post('/api/post_comment', {
    form,
    headers: { Origin: origin, Accept: 'application/json' },
  });
  expect(response.status()).toBe(200);
  return (await response.json()).comment.id;
}

test('a long list of replies ends in "N more replies", a link to all of them', async ({ page }) => {
  await signUp(page, newReader('Thread Starter'), ARTICLE);
  const tag = unique('Many answers');
  const root = await post(page, `${tag} question`);
  for (let i = 1; i <= 12; i++) {
    await post(page, `${tag} answer ${String(i).padStart(2, '0')}`, root);
  }

  await gotoHydrated(page, `${ARTICLE}?sort=newest`);
  const answers = discussion(page).getByRole('article').filter({ hasText: `${tag} answer` });
  await expect(answers).toHaveCount(10);
  await expect(answers.last()).toContainText(`${tag} answer 10`);
  const question = discussion(page).getByRole('article').filter({ hasText: `${tag} question` });
  // The list item holding the question and its replies (other tests' threads are elsewhere).
  const thread = question.locator('xpath=..');
  const more = thread.getByRole('link', { name: '2 more replies', exact: true });
  await expect(more).toHaveAttribute('href', `${ARTICLE}/comments/${root}`);
  await expectNoA11yViolations(page);

  // A reply to the long list: in place with JavaScript (the rest stay behind the link),
  // otherwise on the page that shows it, the comment's own.
  await question.getByRole('button', { name: 'Reply', exact: true }).click();
  const late = `${tag} answer 13`;
  await question.getByRole('textbox', { name: 'Reply' }).fill(late);
  await question.getByRole('button', { name: 'Post reply' }).click();
  await expect(discussion(page).getByRole('article').filter({ hasText: late })).toBeVisible();
  if (javaScriptEnabled()) {
    await expect(more).toBeVisible();
    await gotoHydrated(page, `${ARTICLE}?sort=newest`);
    await thread.getByRole('link', { name: '3 more replies', exact: true }).click();
  } else {
    await expect(page).toHaveURL(new RegExp(`${ARTICLE}/comments/${root}#comment-\\d+$`));
    await gotoHydrated(page, `${ARTICLE}?sort=newest`);
    await thread.getByRole('link', { name: '3 more replies', exact: true }).click();
  }

  // The comment's page lists every reply and links nowhere further.
  await expect(page).toHaveURL(new RegExp(`${ARTICLE}/comments/${root}$`));
  await expect(answers).toHaveCount(13);
  await expect(answers.last()).toContainText(late);
  await expect(discussion(page).getByRole('link', { name: /more repl/ })).toHaveCount(0);
  await expectNoA11yViolations(page);
});
