import { expect, expectNoA11yViolations, test } from './fixtures';
import { newReader, signUp } from './accounts';

// Not an article whose comment counts discussion.spec.ts checks.
const ARTICLE = '/articles/taming-cache-stampedes';

test('Preview shows the comment as it will appear, then returns to the text', async ({ page }) => {
  await signUp(page, newReader(), ARTICLE);
  const discussion = page.getByRole('region', { name: 'Discussion', exact: true });
  const box = discussion.getByRole('textbox', { name: 'Add a comment' });
  await box.fill('**中文** and `code` <b>raw</b>');
  const preview = discussion.getByRole('button', { name: 'Preview' });
  await preview.click();
  await expect(preview).toHaveAttribute('aria-pressed', 'true');
  const rendered = discussion.locator('.comment-preview');
  await expect(rendered.locator('strong')).toHaveText('中文');
  await expect(rendered.locator('code')).toHaveText('code');
  await expect(rendered).toContainText('<b>raw</b>');
  await expect(box).toBeHidden();
  await expectNoA11yViolations(page);
  await preview.click();
  await expect(box).toBeVisible();
  await expect(box).toHaveValue('**中文** and `code` <b>raw</b>');
});

test('a reply box opened in place takes the focus and Cancel closes it', async ({ page }) => {
  await signUp(page, newReader('Focus Tester'), ARTICLE);
  const discussion = page.getByRole('region', { name: 'Discussion', exact: true });
  const text = `Focus me ${Date.now()}`;
  await discussion.getByRole('textbox', { name: 'Add a comment' }).fill(text);
  await discussion.getByRole('button', { name: 'Post comment' }).click();
  const mine = discussion.getByRole('article').filter({ hasText: text });
  await mine.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(mine.getByRole('button', { name: 'Reply', exact: true })).toHaveAttribute('aria-expanded', 'true');
  await expect(mine.getByRole('textbox', { name: 'Reply' })).toBeFocused();
  await mine.getByRole('link', { name: 'Cancel' }).click();
  await expect(mine.getByRole('textbox', { name: 'Reply' })).toHaveCount(0);
});
