import type { Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, test } from './fixtures';

// Search (issue 15), hydrated and without JavaScript: the header's box is a GET form either way.

const CJK_TITLE = '网页中文排版的几个细节：字体、间距与断行';

function searchBox(page: Page) {
  return page.getByRole('search').getByRole('textbox', { name: 'Search' });
}

async function searchFromHeader(page: Page, text: string) {
  await searchBox(page).fill(text);
  await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/search\?q=/);
  await expect(page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();
}

test.describe('search', () => {
  for (const query of ['大厂', '人才流失']) {
    test(`"${query}" from the header finds the Chinese article, which opens`, async ({ page }) => {
      await gotoHydrated(page, '/');
      await searchFromHeader(page, query);
      // Result items are those with a title (their tags are list items too).
      const results = page
        .getByRole('main')
        .getByRole('listitem')
        .filter({ has: page.getByRole('heading', { level: 2 }) });
      await expect(results).toHaveCount(1);
      await expect(page.getByText('1 result for')).toBeVisible();
      // The term is highlighted in the snippet.
      await expect(results.locator('mark').first()).toHaveText(query);
      // The box keeps the query on the results page.
      await expect(searchBox(page)).toHaveValue(query);
      await expectNoA11yViolations(page);
      await page.getByRole('link', { name: CJK_TITLE }).click();
      await expect(page).toHaveURL(/\/articles\/cjk-typography-on-the-web$/);
      await expect(page.getByRole('heading', { level: 1, name: CJK_TITLE })).toBeVisible();
    });
  }

  test('an English word is found by its beginning, best match first', async ({ page }) => {
    await gotoHydrated(page, '/');
    await searchFromHeader(page, 'stampe');
    const first = page.getByRole('main').getByRole('listitem').first();
    await expect(first.getByRole('heading', { level: 2 })).toHaveText(
      'Taming Cache Stampedes Before They Reach Your Database',
    );
    await expect(first.locator('mark').first()).toHaveText(/^stampe$/i);
  });

  test('empty, unmatched and over-long queries are explained', async ({ page }) => {
    await gotoHydrated(page, '/');
    await searchFromHeader(page, '');
    await expect(page.getByText('Type something to search for')).toBeVisible();
    await expectNoA11yViolations(page);

    await searchFromHeader(page, 'zzqxv 不存在的词语');
    await expect(page.getByText(/^No articles match/)).toBeVisible();
    await expectNoA11yViolations(page);

    // The box stops at 200 characters; a longer query in the address is explained.
    await gotoHydrated(page, `/search?q=${'word '.repeat(60)}`);
    await expect(page.getByText(/searches can be at most 200/)).toBeVisible();
  });

  test('hostile queries are just text', async ({ page }) => {
    for (const query of ['"', "'; DROP TABLE articles; --", 'NEAR(a b) OR *', '%_%', '<b>x</b>']) {
      const response = await gotoHydrated(page, `/search?q=${encodeURIComponent(query)}`);
      expect(response?.status(), query).toBe(200);
      await expect(page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();
      await expect(page.locator('main b')).toHaveCount(0);
    }
    // The articles are all still there.
    await gotoHydrated(page, '/');
    await expect(page.getByRole('main').getByRole('listitem').first()).toBeVisible();
  });

  test('the search is a GET form: its address can be shared and reloaded', async ({ page }) => {
    await gotoHydrated(page, '/articles/sqlite-wal-in-production');
    await searchFromHeader(page, 'sqlite wal');
    await expect(page).toHaveURL(/\/search\?q=sqlite(\+|%20)wal$/);
    await expect(page.getByRole('link', { name: /Running SQLite in WAL Mode/ })).toBeVisible();
    await page.reload();
    await expect(page.getByRole('link', { name: /Running SQLite in WAL Mode/ })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'More results' })).toHaveCount(0);
  });
});
