import type { Locator, Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, javaScriptEnabled, serverAnswer, test } from './fixtures';
import { newReader, signUp } from './accounts';

// The reading list (issue 15): "Save" on the article page and on listing items, `/saved` with
// "Remove". Run hydrated (saves happen in place) and without JavaScript (plain form posts that
// come back). Each test has its own reader, and a reader's list is theirs alone, so the demo
// articles can be saved without touching anything another test reads.

const ARTICLE = '/articles/incident-reviews-that-change-things';
const ARTICLE_TITLE = 'Incident Reviews That Actually Change Things';
const LISTED_TITLE = 'The Real Cost of Web Fonts, and How to Pay Less of It';

/** The article itself (comments are `article` elements too, without the page's h1). */
function theArticle(page: Page): Locator {
  return page.getByRole('article').filter({ has: page.getByRole('heading', { level: 1 }) });
}

/** The listing item whose title is `title`. */
function item(page: Page, title: string): Locator {
  return page
    .getByRole('main')
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: title, exact: true }) });
}

/** A "Save" toggle in `scope` (its text is "Saved" while saved). */
function saveButton(scope: Locator): Locator {
  return scope.getByRole('button', { name: /^Saved?$/ });
}

/** Presses `button` and checks it turns "Saved": in place with JavaScript, by a post that comes back to `back` without. */
async function pressSave(page: Page, button: Locator, back: RegExp) {
  await expect(button).toHaveText('Save');
  await expect(button).toHaveAttribute('aria-pressed', 'false');
  if (javaScriptEnabled()) {
    await page.evaluate(() => ((window as unknown as { stay: string }).stay = 'no reload'));
  }
  const answered = javaScriptEnabled() ? serverAnswer(page, 'set_saved', 'saved=true') : null;
  await button.click();
  await expect(button).toHaveText('Saved');
  await expect(button).toHaveAttribute('aria-pressed', 'true');
  if (javaScriptEnabled()) {
    const answer = await answered;
    expect(answer?.status()).toBe(200);
    expect(await page.evaluate(() => (window as unknown as { stay?: string }).stay)).toBe('no reload');
  } else {
    await expect(page).toHaveURL(back);
  }
}

test.describe('reading list', () => {
  test('save from the article page and a listing, find them at /saved, remove them', async ({ page }) => {
    await signUp(page, newReader('Grace Hopper'), ARTICLE);
    await pressSave(page, saveButton(theArticle(page)), new RegExp(`${ARTICLE}$`));
    // Kept: the page shows it again after a reload.
    await gotoHydrated(page, ARTICLE);
    await expect(saveButton(theArticle(page))).toHaveAttribute('aria-pressed', 'true');
    await expectNoA11yViolations(page);

    // The home page shows the saved article as saved, and saves another from its item.
    await gotoHydrated(page, '/');
    await expect(saveButton(item(page, ARTICLE_TITLE))).toHaveAttribute('aria-pressed', 'true');
    await pressSave(page, saveButton(item(page, LISTED_TITLE)), /\/$/);

    // The header's "Saved" link leads to the list, newest saved first.
    await page.getByRole('banner').getByRole('link', { name: 'Saved', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Saved articles');
    await expect(page).toHaveURL(/\/saved$/);
    await expect(page).toHaveTitle(/^Saved articles/);
    const titles = page.getByRole('main').getByRole('heading', { level: 2 });
    await expect(titles).toHaveText([LISTED_TITLE, ARTICLE_TITLE]);
    await expect(item(page, ARTICLE_TITLE).getByRole('link', { name: ARTICLE_TITLE })).toHaveAttribute('href', ARTICLE);
    if (javaScriptEnabled()) {
      await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    }
    await expectNoA11yViolations(page);

    // "Remove" takes it off the list, with or without JavaScript.
    await item(page, LISTED_TITLE).getByRole('button', { name: 'Remove' }).click();
    await expect(titles).toHaveText([ARTICLE_TITLE]);
    await expect(page).toHaveURL(/\/saved$/);
    await item(page, ARTICLE_TITLE).getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByText('Nothing saved yet. Press “Save” on any article to keep it here.')).toBeVisible();
    await expectNoA11yViolations(page);

    // And the article is not saved any more.
    await gotoHydrated(page, ARTICLE);
    await expect(saveButton(theArticle(page))).toHaveAttribute('aria-pressed', 'false');
  });

  test('unsave in place from the article page', async ({ page }) => {
    await signUp(page, newReader(), ARTICLE);
    const button = saveButton(theArticle(page));
    await pressSave(page, button, new RegExp(`${ARTICLE}$`));
    const answered = javaScriptEnabled() ? serverAnswer(page, 'set_saved', 'saved=false') : null;
    await button.click();
    await expect(button).toHaveText('Save');
    await expect(button).toHaveAttribute('aria-pressed', 'false');
    await answered;
    await gotoHydrated(page, '/saved');
    await expect(page.getByText(/^Nothing saved yet\./)).toBeVisible();
  });

  test('signed out, readers are asked to sign in to save', async ({ page }) => {
    await gotoHydrated(page, ARTICLE);
    const link = theArticle(page).getByRole('link', { name: 'Sign in to save' });
    await expect(link).toHaveAttribute('href', `/signin?next=${ARTICLE}`);
    await expect(saveButton(page.getByRole('main'))).toHaveCount(0);

    await gotoHydrated(page, '/');
    await expect(item(page, LISTED_TITLE).getByRole('link', { name: 'Sign in to save' })).toBeVisible();
    await expect(saveButton(page.getByRole('main'))).toHaveCount(0);

    await gotoHydrated(page, '/saved');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Saved articles');
    await expect(page.getByRole('banner').getByRole('link', { name: 'Saved', exact: true })).toHaveCount(0);
    await expectNoA11yViolations(page);
    await page.getByRole('main').getByRole('link', { name: 'Sign in to see your saved articles' }).click();
    await expect(page).toHaveURL(/\/signin\?next=\/saved$/);
  });
});
