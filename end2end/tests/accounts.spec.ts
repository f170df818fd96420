import { expect, expectNoA11yViolations, gotoHydrated, test } from './fixtures';
import { newReader, signOut, signUp, submitSignIn } from './accounts';

test.describe('accounts', () => {
  // Refused sign-ins and sign-ups answer 422, which Chromium logs as a failed resource.
  test.use({ allowedConsoleErrors: [/status of 422/] });

  test('sign up, sign out and sign in again', async ({ page }) => {
    const reader = newReader('Grace Hopper');
    await signUp(page, reader);
    const banner = page.getByRole('banner');
    await expect(banner.getByText('Grace Hopper')).toBeVisible();
    await expect(page).toHaveURL(/\/$/);

    await signOut(page);
    await expect(banner.getByText('Grace Hopper')).toHaveCount(0);

    await banner.getByRole('link', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/signin/);
    // The account pages do not offer "Sign in" in the header.
    await expect(banner.getByRole('link', { name: 'Sign in' })).toHaveCount(0);
    await submitSignIn(page, reader.email, reader.password);
    await expect(banner.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(banner.getByText('Grace Hopper')).toBeVisible();
  });

  test('a wrong password keeps the email and says so', async ({ page }) => {
    const reader = newReader();
    await signUp(page, reader);
    await signOut(page);
    await gotoHydrated(page, '/signin');
    await submitSignIn(page, reader.email, 'not the password');
    await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect');
    await expect(page.getByLabel('Email')).toHaveValue(reader.email);
    await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toHaveCount(0);
    await expectNoA11yViolations(page);
  });

  test('a taken email is refused beside the Email field', async ({ page, browser }) => {
    const reader = newReader();
    const other = await browser.newContext({ javaScriptEnabled: test.info().project.use.javaScriptEnabled });
    const first = await other.newPage();
    await signUp(first, reader);
    await other.close();

    await gotoHydrated(page, '/signup');
    await page.getByLabel('Name').fill('Someone Else');
    await page.getByLabel('Email').fill(reader.email.toUpperCase());
    await page.getByLabel('Password').fill('another password');
    await page.getByRole('button', { name: 'Create account' }).click();
    const email = page.getByLabel('Email');
    await expect(email).toHaveAccessibleDescription('An account with this email already exists');
    await expect(email).toHaveAttribute('aria-invalid', 'true');
    await expect(email).toHaveValue(reader.email.toUpperCase());
    await expect(page.getByLabel('Name')).toHaveValue('Someone Else');
    await expectNoA11yViolations(page);
  });

  test('sign-in returns to next', async ({ page }) => {
    const reader = newReader();
    await signUp(page, reader);
    await signOut(page);
    await gotoHydrated(page, '/signin?next=/articles/cjk-typography-on-the-web');
    await submitSignIn(page, reader.email, reader.password);
    await expect(page).toHaveURL(/\/articles\/cjk-typography-on-the-web$/);
    await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toBeVisible();
  });

  test('sign-up returns to next', async ({ page }) => {
    await signUp(page, newReader(), '/articles/sqlite-wal-in-production');
    await expect(page).toHaveURL(/\/articles\/sqlite-wal-in-production$/);
  });

  for (const evil of ['//evil.example', 'https://evil.example']) {
    test(`next=${evil} lands on /`, async ({ page }) => {
      const reader = newReader();
      await signUp(page, reader);
      await signOut(page);
      await gotoHydrated(page, `/signin?next=${encodeURIComponent(evil)}`);
      await submitSignIn(page, reader.email, reader.password);
      await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toBeVisible();
      // The header can update a moment before the navigation to `next` finishes.
      await expect.poll(() => new URL(page.url()).pathname).toBe('/');
      expect(new URL(page.url()).origin).toBe(new URL(test.info().project.use.baseURL!).origin);
    });
  }

  test('the account pages are accessible', async ({ page }) => {
    for (const path of ['/signin', '/signup']) {
      await gotoHydrated(page, path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await expectNoA11yViolations(page);
    }
  });

  test('sign-up problems are shown beside each field', async ({ page }) => {
    await gotoHydrated(page, '/signup');
    await page.getByLabel('Name').fill('   ');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByLabel('Name')).toHaveAccessibleDescription('Enter your name');
    await expect(page.getByLabel('Email')).toHaveAccessibleDescription(
      'Enter an email address like name@example.com',
    );
    await expect(page.getByLabel('Password')).toHaveAccessibleDescription(
      /At least 8 characters\. Use at least 8 characters/,
    );
    await expect(page.getByLabel('Email')).toHaveValue('not-an-email');
  });
});
