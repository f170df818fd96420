import { expect, test } from './fixtures';

// Runs in the `hydrated` project only (the `no-js` project ignores *.hydrate.spec.ts).
// The `page` fixture fails the test on any console error, hydration warning or
// uncaught exception.

test('the home page hydrates without errors or hydration warnings', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 10_000 });
});
