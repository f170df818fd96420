import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type Page, type Response } from '@playwright/test';

export { expect };

/** How long a page may take to hydrate after navigation. */
export const HYDRATION_TIMEOUT_MS = 10_000;

type Fixtures = {
  /**
   * Console errors whose text matches one of these are tolerated (for example the
   * "Failed to load resource: ... 404" that Chromium logs when a test deliberately
   * visits a missing page). Override per file or group with `test.use({ ... })`.
   */
  allowedConsoleErrors: RegExp[];
};

/**
 * `page` fails the test at teardown if, while it ran, the page logged a console error,
 * logged a warning that mentions hydration, or threw an uncaught exception.
 */
export const test = base.extend<Fixtures>({
  allowedConsoleErrors: [[], { option: true }],

  page: async ({ page, allowedConsoleErrors }, use) => {
    const problems: string[] = [];

    page.on('console', (msg) => {
      const type = msg.type();
      const text = msg.text();
      const loc = msg.location();
      const where = loc.url ? ` (${loc.url}:${loc.lineNumber}:${loc.columnNumber})` : '';
      if (type === 'error') {
        // Chromium's own favicon probe is not the app's doing.
        if (isFaviconProbe(loc.url)) return;
        // Matched with where it came from, so that an allowance can name the resource.
        if (!allowedConsoleErrors.some((re) => re.test(`${text}${where}`))) {
          problems.push(`console.error: ${text}${where}`);
        }
      } else if (type === 'warning' && /hydrat/i.test(text)) {
        problems.push(`console.warn (hydration): ${text}${where}`);
      }
    });
    page.on('pageerror', (error) => {
      problems.push(`uncaught exception: ${error.stack ?? error.message}`);
    });

    await use(page);

    expect(
      problems,
      `the page logged console errors, hydration warnings or uncaught exceptions (url at end of test: ${page.url()})`,
    ).toEqual([]);
  },
});

function isFaviconProbe(url: string): boolean {
  try {
    return new URL(url).pathname === '/favicon.ico';
  } catch {
    return false;
  }
}

/** Whether the current test's project runs JavaScript in the page. */
export function javaScriptEnabled(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/**
 * Navigates to `url`. When the project runs JavaScript, also waits until the app has
 * hydrated (`<body data-hydrated="true">`); without JavaScript it only navigates.
 * Returns the navigation response.
 */
/**
 * The server's answer to the next call of server function `endpoint` whose form body contains
 * `body`. Start waiting before the click that sends it. `waitForLoadState('networkidle')`
 * cannot stand in: it returns at once when the page was idle before, and an open live stream
 * keeps it from being idle after.
 */
export function serverAnswer(page: Page, endpoint: string, body = ''): Promise<Response> {
  return page.waitForResponse(
    (response) =>
      response.request().method() === 'POST' &&
      new URL(response.url()).pathname === `/api/${endpoint}` &&
      (response.request().postData() ?? '').includes(body),
  );
}

export async function gotoHydrated(page: Page, url: string): Promise<Response | null> {
  const response = await page.goto(url);
  if (javaScriptEnabled()) {
    await expect(page.locator('body'), `page ${url} should hydrate`).toHaveAttribute(
      'data-hydrated',
      'true',
      { timeout: HYDRATION_TIMEOUT_MS },
    );
  }
  return response;
}

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;

function runAxe(page: Page): Promise<AxeResults> {
  return new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
}

/**
 * axe runs as a script in the page, which a page with JavaScript disabled cannot do.
 * So the markup the no-JS page shows (its current DOM, which for such a page is the
 * server's HTML) is re-served, under the same URL and with the same cookies, to a
 * JavaScript-enabled page whose Content-Security-Policy forbids every page script: the
 * app cannot hydrate or change anything, and axe (injected by Playwright, which CSP
 * does not restrict) inspects what a reader without JavaScript gets.
 */
async function runAxeWithoutPageScripts(page: Page): Promise<AxeResults> {
  const browser = page.context().browser();
  if (!browser) throw new Error('expectNoA11yViolations: the page has no browser');
  const url = page.url();
  const html = await page.content();
  const context = await browser.newContext({
    javaScriptEnabled: true,
    viewport: page.viewportSize(),
  });
  try {
    await context.addCookies(await page.context().cookies());
    await context.route(
      (u) => u.href === url,
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          headers: { 'content-security-policy': "script-src 'none'" },
          body: html,
        }),
    );
    const scanned = await context.newPage();
    await scanned.goto(url);
    return await runAxe(scanned);
  } finally {
    await context.close();
  }
}

/**
 * Runs axe (WCAG 2.0/2.1 A and AA, plus best practices) on the page as it is now and
 * fails listing every violation with its impact and target nodes. Works in both projects.
 */
export async function expectNoA11yViolations(page: Page): Promise<void> {
  const results = javaScriptEnabled() ? await runAxe(page) : await runAxeWithoutPageScripts(page);
  const report = results.violations.map((v) => {
    const nodes = v.nodes
      .map((n) => {
        const target = n.target.map((t) => JSON.stringify(t)).join(' > ');
        return `      - ${target}: ${(n.failureSummary ?? '').replace(/\s*\n\s*/g, ' ')}`;
      })
      .join('\n');
    return `  ${v.id} [${v.impact ?? 'unknown impact'}] ${v.help} (${v.helpUrl})\n${nodes}`;
  });
  expect(
    results.violations.length,
    `axe found ${results.violations.length} accessibility violation(s) on ${page.url()}:\n${report.join('\n')}`,
  ).toBe(0);
}
