import { expect, expectNoA11yViolations, gotoHydrated, test } from './fixtures';

test.describe('article page', () => {
  test('the Chinese demo article reads with its language, body and notice', async ({ page }) => {
    const response = await gotoHydrated(page, '/articles/cjk-typography-on-the-web');
    expect(response!.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('中文排版');
    await expect(page.locator('article[lang="zh"]')).toHaveCount(1);
    await expect(page.getByText(/\d+ min read/).first()).toBeVisible();
    await expect(page.locator('time[datetime="2026-05-08"]').first()).toBeVisible();
    const notice = page.getByRole('region', { name: 'Republication Notice' });
    await expect(notice).toBeVisible();
    await expect(notice.getByRole('link', { name: /@/ })).toHaveAttribute('href', /^mailto:/);
    await expectNoA11yViolations(page);
  });

  test('home links open their article', async ({ page }) => {
    await gotoHydrated(page, '/');
    const link = page.getByRole('main').getByRole('link', { name: /SQLite/ }).first();
    const title = (await link.textContent())!.trim();
    await link.click();
    await expect(page).toHaveURL(/\/articles\/[a-z0-9-]+$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  });
});

test.describe('unknown pages', () => {
  // Chromium logs the 404 response of the document itself as a console error.
  test.use({ allowedConsoleErrors: [/404/] });

  for (const path of ['/articles/no-such-article', '/no/such/page', '/authors/nobody-at-all', '/tags/no-such-tag']) {
    test(`${path} answers 404 with a way home`, async ({ page }) => {
      const response = await gotoHydrated(page, path);
      expect(response!.status()).toBe(404);
      await expect(page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
      await expect(page.getByRole('main').getByRole('link', { name: /home/i })).toHaveAttribute('href', '/');
      await expectNoA11yViolations(page);
    });
  }
});
