import { expect, gotoHydrated, test } from './fixtures';

test('client-side navigation home → article → author → tag keeps the page alive', async ({ page }) => {
  await gotoHydrated(page, '/');
  // A full page load would wipe this; client-side navigation keeps it.
  await page.evaluate(() => ((window as unknown as { besthubMarker: number }).besthubMarker = 42));
  const marker = () => page.evaluate(() => (window as unknown as { besthubMarker?: number }).besthubMarker);

  await page.getByRole('main').getByRole('link', { name: /SQLite/ }).first().click();
  await expect(page).toHaveURL(/\/articles\/sqlite-wal-in-production$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('SQLite');
  expect(await marker()).toBe(42);

  await page.getByRole('region', { name: 'Written by' }).getByRole('link', { name: 'Selma Arvidsson' }).click();
  await expect(page).toHaveURL(/\/authors\/selma-arvidsson$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Selma Arvidsson');
  expect(await marker()).toBe(42);

  await page.getByRole('main').getByRole('link', { name: '#databases' }).first().click();
  await expect(page).toHaveURL(/\/tags\/databases$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('databases');
  expect(await marker()).toBe(42);
});
