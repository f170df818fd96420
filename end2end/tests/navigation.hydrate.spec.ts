import { expect, gotoHydrated, serverAnswer, test } from './fixtures';
import { newReader, signUp } from './accounts';

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

test('controls on a page reached without reload answer in place, and Back returns', async ({ page }) => {
  await signUp(page, newReader('Navigator'), '/');
  await page.evaluate(() => ((window as unknown as { besthubMarker: number }).besthubMarker = 7));
  const marker = () => page.evaluate(() => (window as unknown as { besthubMarker?: number }).besthubMarker);

  await page.getByRole('main').getByRole('link', { name: /web font/i }).first().click();
  await expect(page).toHaveURL(/\/articles\/web-font-loading-costs$/);
  await expect(page).toHaveTitle(/web font/i);
  // The like button came with the new page: it is hydrated and likes in place.
  const like = page.getByRole('region', { name: 'Reader feedback', exact: true }).getByRole('button', { name: 'Like' });
  const saved = serverAnswer(page, 'set_like', 'liked=true');
  await like.click();
  await expect(like).toHaveAttribute('aria-pressed', 'true');
  await saved;
  expect(await marker()).toBe(7);

  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Latest articles');
  expect(await marker()).toBe(7);
  await page.goForward();
  await expect(page).toHaveURL(/\/articles\/web-font-loading-costs$/);
  await expect(like).toHaveAttribute('aria-pressed', 'true');
  expect(await marker()).toBe(7);
});
