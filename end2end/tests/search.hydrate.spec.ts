import { expect, gotoHydrated, test } from './fixtures';

// The header's search box suggests titles as the reader types (hydrated pages only).

test('suggestions appear after a pause, without a reload, and open the article', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.evaluate(() => ((window as unknown as { stay: string }).stay = 'no reload'));
  const box = page.getByRole('search').getByRole('textbox', { name: 'Search' });
  await box.pressSequentially('人才', { delay: 30 });
  const suggestions = page.getByRole('list', { name: 'Suggested articles' });
  await expect(suggestions.getByRole('link')).toHaveCount(1);
  await expect(suggestions.getByRole('link')).toHaveText('网页中文排版的几个细节：字体、间距与断行');
  expect(await page.evaluate(() => (window as unknown as { stay?: string }).stay)).toBe('no reload');

  // Typing on replaces them; Escape closes them.
  await box.fill('');
  await box.pressSequentially('cache stamp', { delay: 20 });
  await expect(suggestions.getByRole('link').first()).toHaveText(
    'Taming Cache Stampedes Before They Reach Your Database',
  );
  await box.press('Escape');
  await expect(suggestions).toHaveCount(0);

  await box.pressSequentially('e', { delay: 20 });
  await expect(suggestions.getByRole('link').first()).toBeVisible();
  await suggestions.getByRole('link').first().click();
  await expect(page).toHaveURL(/\/articles\/taming-cache-stampedes$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Taming Cache Stampedes Before They Reach Your Database',
  );
});
