import { expect, type Page } from '@playwright/test';
import { gotoHydrated, HYDRATION_TIMEOUT_MS, javaScriptEnabled } from './fixtures';

/** A fresh, unique reader for one test. */
export function newReader(name = 'Ada Lovelace') {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return { name, email: `reader-${id}@example.com`, password: `correct horse ${id}` };
}

/**
 * Signs up through the /signup form and waits until the header shows the reader and, with
 * JavaScript, until the page it lands on is interactive (the form posts and the next page
 * loads, then hydrates its islands).
 */
export async function signUp(page: Page, reader: ReturnType<typeof newReader>, next?: string) {
  await gotoHydrated(page, next ? `/signup?next=${encodeURIComponent(next)}` : '/signup');
  await page.getByLabel('Name').fill(reader.name);
  await page.getByLabel('Email').fill(reader.email);
  await page.getByLabel('Password').fill(reader.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toBeVisible();
  if (javaScriptEnabled()) {
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: HYDRATION_TIMEOUT_MS });
  }
}

/** Fills and submits the /signin form that is open on `page`. */
export async function submitSignIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs out with the header button and waits for the "Sign in" link. */
export async function signOut(page: Page) {
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
}
