import type { Locator, Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, test } from './fixtures';
import { newReader, signUp } from './accounts';

const ARTICLES = [
  { slug: 'cjk-typography-on-the-web', lang: 'zh', author: 'Liang Shuwen', handle: 'liang-shuwen', title: /中文排版/ },
  { slug: 'sqlite-wal-in-production', lang: 'en', author: 'Selma Arvidsson', handle: 'selma-arvidsson', title: /SQLite/ },
];

async function top(locator: Locator): Promise<number> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element has no box');
  return box.y;
}

/** Asserts the locators appear top to bottom in this order. */
async function expectInOrder(locators: Locator[]) {
  let previous = -Infinity;
  for (const locator of locators) {
    const y = await top(locator);
    expect(y).toBeGreaterThan(previous);
    previous = y;
  }
}

function region(page: Page, name: string) {
  return page.getByRole('region', { name, exact: true });
}

for (const article of ARTICLES) {
  test.describe(`article page (${article.lang})`, () => {
    test('shows every section of the contract, in order', async ({ page }) => {
      const path = `/articles/${article.slug}`;
      const response = await gotoHydrated(page, path);
      expect(response!.status()).toBe(200);

      const h1 = page.getByRole('heading', { level: 1 });
      await expect(h1).toHaveCount(1);
      await expect(h1).toHaveText(article.title);
      await expect(page.locator(`article[lang="${article.lang}"]`)).toHaveCount(1);
      const byline = page.getByRole('main').getByRole('link', { name: article.author, exact: true }).first();
      await expect(byline).toHaveAttribute('href', `/authors/${article.handle}`);
      await expect(page.locator('main time[datetime]').first()).toBeVisible();
      await expect(page.getByText(/^\d+ min read$/).first()).toBeVisible();

      const source = region(page, 'Original Source');
      await expect(source.getByRole('link', { name: 'Sign in to view source' })).toHaveAttribute(
        'href',
        `/signin?next=${path}%23original-source`,
      );
      const notice = region(page, 'Republication Notice');
      await expect(notice.getByRole('link', { name: /@/ })).toHaveAttribute('href', /^mailto:.+@.+/);
      const tags = page.getByRole('navigation', { name: 'Tags', exact: true });
      await expect(tags.getByRole('link').first()).toHaveAttribute('href', /^\/tags\/[a-z0-9-]+$/);

      const writtenBy = region(page, 'Written by');
      await expect(writtenBy.getByRole('link', { name: article.author })).toHaveAttribute('href', `/authors/${article.handle}`);
      await expect(writtenBy.getByText(/^\d+ followers?$/)).toBeVisible();
      await expect(writtenBy.getByRole('link', { name: 'Sign in to follow' })).toHaveAttribute(
        'href',
        `/signin?next=${path}%23written-by`,
      );

      const feedback = region(page, 'Reader feedback');
      await expect(feedback.getByText('How this landed with the community')).toBeVisible();
      await expect(feedback.getByText(/^\d+ likes?$/)).toBeVisible();
      await expect(feedback.getByRole('link', { name: 'Sign in to like' })).toHaveAttribute(
        'href',
        `/signin?next=${path}%23reader-feedback`,
      );
      await expect(feedback.getByRole('heading', { name: 'Rate this article' })).toBeVisible();
      await expect(feedback.getByText('Was this worth your time?')).toBeVisible();
      await expect(feedback.getByRole('link', { name: 'Sign in to rate' })).toBeVisible();
      await expect(feedback.getByText(/^(No ratings yet|Average \d\.\d from \d+ ratings?)$/)).toBeVisible();
      const stars = feedback.getByRole('listitem');
      await expect(stars).toHaveText([/^5 stars: \d+$/, /^4 stars: \d+$/, /^3 stars: \d+$/, /^2 stars: \d+$/, /^1 star: \d+$/]);

      const discussion = region(page, 'Discussion');
      await expect(discussion.getByText(/^\d+ Comments?$/)).toBeVisible();
      await expect(
        discussion.getByText('Thoughtful readers leave field notes, pushback, and hard-won operational detail here.'),
      ).toBeVisible();
      await expect(discussion.getByRole('link', { name: 'Sign in to comment' })).toHaveAttribute(
        'href',
        `/signin?next=${path}%23discussion`,
      );

      await expectInOrder([
        h1,
        page.locator('.prose'),
        source,
        notice,
        tags,
        writtenBy,
        feedback,
        discussion,
      ]);
      await expectNoA11yViolations(page);
    });
  });
}

test('author page lists their articles and followers', async ({ page }) => {
  const response = await gotoHydrated(page, '/authors/selma-arvidsson');
  expect(response!.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Selma Arvidsson');
  await expect(page.getByText(/^\d+ followers?$/)).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Sign in to follow' })).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: /SQLite/ })).toHaveAttribute(
    'href',
    '/articles/sqlite-wal-in-production',
  );
  await expectNoA11yViolations(page);
});

test('tag page lists the tagged articles', async ({ page }) => {
  const response = await gotoHydrated(page, '/tags/typography');
  expect(response!.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('typography');
  await expect(page.getByRole('main').getByRole('link', { name: /中文排版/ })).toBeVisible();
  await expectNoA11yViolations(page);
});

test('the home page shows authors, dates, reading time and tags', async ({ page }) => {
  await gotoHydrated(page, '/');
  const main = page.getByRole('main');
  await expect(main.getByRole('link', { name: 'Selma Arvidsson' }).first()).toHaveAttribute('href', '/authors/selma-arvidsson');
  await expect(main.locator('time[datetime]').first()).toBeVisible();
  await expect(main.getByText(/^\d+ min read$/).first()).toBeVisible();
  await expect(main.getByRole('link', { name: '#performance' }).first()).toHaveAttribute('href', '/tags/performance');
});

test.describe('dark colour scheme', () => {
  test.use({ colorScheme: 'dark' });
  for (const path of ['/', '/articles/sqlite-wal-in-production', '/authors/liang-shuwen', '/tags/web', '/signin']) {
    test(`${path} is accessible in dark mode`, async ({ page }) => {
      await gotoHydrated(page, path);
      await expectNoA11yViolations(page);
    });
  }
});

test.describe('the protected source redirect', () => {
  test('sends signed-out readers to sign in', async ({ page }) => {
    const response = await page.request.get('/articles/sqlite-wal-in-production/source', { maxRedirects: 0 });
    expect(response.status()).toBe(303);
    expect(response.headers()['location']).toBe('/signin?next=/articles/sqlite-wal-in-production');
  });

  test('sends signed-in readers to the stored original', async ({ page }) => {
    await signUp(page, newReader(), '/articles/sqlite-wal-in-production');
    const link = region(page, 'Original Source').getByRole('link', { name: 'Open original source' });
    await expect(link).toHaveAttribute('href', '/articles/sqlite-wal-in-production/source');
    const response = await page.request.get('/articles/sqlite-wal-in-production/source', { maxRedirects: 0 });
    expect(response.status()).toBe(303);
    expect(response.headers()['location']).toMatch(/^https:\/\/example\.(com|org|net)\//);
    await expectNoA11yViolations(page);
  });
});
