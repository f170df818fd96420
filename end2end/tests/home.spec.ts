import { expect, expectNoA11yViolations, gotoHydrated, test } from './fixtures';

/** Path of an article page: /articles/{slug}, nothing after the slug. */
const ARTICLE_PATH = /^\/articles\/[^/?#]+$/;
/** Han ideographs: how the Chinese demo article is recognised without naming it. */
const HAN = /\p{Script=Han}/u;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

test.describe('home page', () => {
  test('answers 200 with a main landmark and a header link home', async ({ page }) => {
    const response = await gotoHydrated(page, '/');
    expect(response, 'navigation to / should produce a response').not.toBeNull();
    expect(response!.status()).toBe(200);

    await expect(page.getByRole('main')).toHaveCount(1);

    const home = page.getByRole('banner').getByRole('link', { name: 'BestHub', exact: true });
    await expect(home).toBeVisible();
    await expect(home).toHaveAttribute('href', '/');
  });

  test('lists the demo articles as links titled by the article', async ({ page }) => {
    await gotoHydrated(page, '/');
    const main = page.getByRole('main');
    const links = main.getByRole('link');
    await expect(links.first()).toBeVisible();

    const articleLinks: { path: string; name: string }[] = [];
    for (const link of await links.all()) {
      const href = await link.getAttribute('href');
      if (href === null) continue;
      const path = new URL(href, page.url()).pathname;
      if (!ARTICLE_PATH.test(path)) continue;
      const name = ((await link.textContent()) ?? '').trim();
      await expect(link, `link to ${path} should be named by the article title`).toHaveAccessibleName(/\S/);
      articleLinks.push({ path, name });
    }

    const distinctArticles = new Set(articleLinks.map((l) => l.path));
    expect(
      distinctArticles.size,
      `article links in main: ${JSON.stringify(articleLinks)}`,
    ).toBeGreaterThanOrEqual(4);

    expect(
      articleLinks.some((l) => HAN.test(l.name) || HAN.test(safeDecode(l.path))),
      `a link to the Chinese demo article (Chinese title or slug) should be listed: ${JSON.stringify(articleLinks)}`,
    ).toBe(true);
  });

  test('has no accessibility violations', async ({ page }) => {
    await gotoHydrated(page, '/');
    await expectNoA11yViolations(page);
  });
});

test('GET /healthz answers 200 "ok"', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
  expect((await response.text()).trim()).toBe('ok');
});
