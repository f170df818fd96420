import type { Page } from '@playwright/test';
import { expect, expectNoA11yViolations, gotoHydrated, javaScriptEnabled, serverAnswer, test } from './fixtures';
import { newReader, signUp } from './accounts';

const ARTICLE = '/articles/taming-cache-stampedes';

function feedback(page: Page) {
  return page.getByRole('region', { name: 'Reader feedback', exact: true });
}

async function count(page: Page, pattern: RegExp): Promise<number> {
  const text = await feedback(page).getByText(pattern).first().textContent();
  return Number((text ?? '').match(/\d+/)![0]);
}

test.describe('reader feedback', () => {
  // Each test uses its own reader; counts are compared before and after, since other tests
  // act on the same article in parallel.
  test('like and unlike', async ({ page }) => {
    await signUp(page, newReader(), ARTICLE);
    const like = feedback(page).getByRole('button', { name: 'Like' });
    await expect(like).toHaveAttribute('aria-pressed', 'false');
    const before = await count(page, /^\d+ likes?$/);
    if (javaScriptEnabled()) {
      await page.evaluate(() => ((window as unknown as { stay: string }).stay = 'no reload'));
    }
    await like.click();
    await expect(like).toHaveAttribute('aria-pressed', 'true');
    await expect(feedback(page).getByText(/^\d+ likes?$/)).toHaveText(new RegExp(`^${before + 1} likes?$`));
    if (javaScriptEnabled()) {
      expect(await page.evaluate(() => (window as unknown as { stay?: string }).stay)).toBe('no reload');
    } else {
      await expect(page).toHaveURL(/#reader-feedback$/);
    }
    await expectNoA11yViolations(page);
    await like.click();
    await expect(like).toHaveAttribute('aria-pressed', 'false');
    await expect(feedback(page).getByText(/^\d+ likes?$/)).toHaveText(new RegExp(`^${before} likes?$`));
    // A reload shows what was saved (once the server has answered: a click made while the
    // previous call is in flight is sent when that one returns).
    const saved = javaScriptEnabled() ? serverAnswer(page, 'set_like', 'liked=true') : null;
    await like.click();
    await expect(like).toHaveAttribute('aria-pressed', 'true');
    await saved;
    await gotoHydrated(page, ARTICLE);
    await expect(feedback(page).getByRole('button', { name: 'Like' })).toHaveAttribute('aria-pressed', 'true');
  });

  test('rate, change the rating and remove it', async ({ page }) => {
    await signUp(page, newReader(), ARTICLE);
    const group = feedback(page).getByRole('radiogroup', { name: 'Rate this article' });
    await expect(group.getByRole('radio')).toHaveCount(5);
    const choose = async (name: string) => {
      await group.getByRole('radio', { name, exact: true }).check();
      if (!javaScriptEnabled()) {
        await feedback(page).getByRole('button', { name: 'Save rating' }).click();
        // Back on the article (a refusal would come back with `__err` in the address).
        await expect(page).toHaveURL(new RegExp(`${ARTICLE}#reader-feedback$`));
      }
    };
    await choose('4 stars');
    await expect(group.getByRole('radio', { name: '4 stars', exact: true })).toBeChecked();
    await expect(feedback(page).getByText(/^4 stars: [1-9]\d*$/)).toBeVisible();
    await expect(feedback(page).getByText(/^Average \d\.\d from \d+ ratings?$/)).toBeVisible();
    await expectNoA11yViolations(page);

    const saved = javaScriptEnabled() ? serverAnswer(page, 'rate_article', 'stars=2') : null;
    await choose('2 stars');
    await expect(group.getByRole('radio', { name: '2 stars', exact: true })).toBeChecked();
    await expect(feedback(page).getByText(/^2 stars: [1-9]\d*$/)).toBeVisible();
    await saved;

    await gotoHydrated(page, ARTICLE);
    await expect(
      feedback(page).getByRole('radiogroup', { name: 'Rate this article' }).getByRole('radio', { name: '2 stars', exact: true }),
    ).toBeChecked();

    await feedback(page).getByRole('button', { name: 'Remove my rating' }).click();
    await expect(feedback(page).getByRole('button', { name: 'Remove my rating' })).toHaveCount(0);
    for (const radio of await feedback(page).getByRole('radio').all()) {
      await expect(radio).not.toBeChecked();
    }
    await expectNoA11yViolations(page);
  });

  test('"Save rating" without a choice says what is missing (no JavaScript)', async ({ page }) => {
    test.skip(javaScriptEnabled(), 'once hydrated, choosing a star saves it: there is no button');
    await signUp(page, newReader(), ARTICLE);
    await feedback(page).getByRole('button', { name: 'Save rating' }).click();
    await expect(feedback(page).getByRole('alert')).toHaveText(
      'Your rating was not saved: Choose how many stars to give, from 1 to 5',
    );
    for (const radio of await feedback(page).getByRole('radio').all()) {
      await expect(radio).not.toBeChecked();
    }
    await expectNoA11yViolations(page);
    // Choosing then saving works from that page.
    await feedback(page).getByRole('radio', { name: '3 stars', exact: true }).check();
    await feedback(page).getByRole('button', { name: 'Save rating' }).click();
    await expect(page).toHaveURL(new RegExp(`${ARTICLE}#reader-feedback$`));
    await expect(feedback(page).getByRole('radio', { name: '3 stars', exact: true })).toBeChecked();
    await expect(feedback(page).getByRole('alert')).toHaveCount(0);
  });

  test('follow and unfollow the author', async ({ page }) => {
    await signUp(page, newReader(), ARTICLE);
    const card = page.getByRole('region', { name: 'Written by', exact: true });
    const follow = card.getByRole('button', { name: /^Follow(ing)?$/ });
    await expect(follow).toHaveText('Follow');
    await expect(follow).toHaveAttribute('aria-pressed', 'false');
    const followers = async () => Number(((await card.getByText(/^\d+ followers?$/).textContent()) ?? '').match(/\d+/)![0]);
    const before = await followers();
    const saved = javaScriptEnabled() ? serverAnswer(page, 'set_follow', 'following=true') : null;
    await follow.click();
    await expect(follow).toHaveText('Following');
    await expect(follow).toHaveAttribute('aria-pressed', 'true');
    await expect(card.getByText(/^\d+ followers?$/)).toHaveText(new RegExp(`^${before + 1} followers?$`));
    await saved;
    await expectNoA11yViolations(page);

    // The author page shows the same state and control.
    await gotoHydrated(page, '/authors/selma-arvidsson');
    const onProfile = page.getByRole('main').getByRole('button', { name: 'Following' });
    await expect(onProfile).toHaveAttribute('aria-pressed', 'true');
    await onProfile.click();
    await expect(page.getByRole('main').getByRole('button', { name: 'Follow', exact: true })).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByRole('main').getByText(/^\d+ followers?$/)).toHaveText(new RegExp(`^${before} followers?$`));
    await expectNoA11yViolations(page);
  });
});
