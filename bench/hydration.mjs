// Time from navigation start to hydration (document.body.dataset.hydrated === "true") in
// headless Debian Chromium, for bench/run.py.
//
//   node bench/hydration.mjs URL RUNS OUT.json
//
// Each run opens a fresh browser context (empty HTTP cache, like a first visit), navigates,
// and reads, inside the page, performance.now() at the moment the body gets
// data-hydrated="true" (a MutationObserver installed before any page script), so the
// figure is measured from the navigation's timeOrigin and carries no polling delay. A second
// navigation in the same context gives a warm-cache figure too. The first run also lists
// every URL the page requested, so run.py can weigh exactly what a browser downloads.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [url, runsArg, out] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: node hydration.mjs URL RUNS OUT.json");
  process.exit(2);
}
const runs = Number(runsArg || 20);
const TIMEOUT = 30_000;

const observer = () => {
  const record = () => {
    if (window.__hydratedAt === undefined && document.body?.dataset.hydrated === "true") {
      window.__hydratedAt = performance.now();
    }
  };
  new MutationObserver(record).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-hydrated"],
  });
  document.addEventListener("DOMContentLoaded", record);
};

async function measure(page) {
  await page.goto(url, { waitUntil: "commit", timeout: TIMEOUT });
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, {
    timeout: TIMEOUT,
    polling: 10,
  });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      hydrated_ms: window.__hydratedAt,
      response_end_ms: nav ? nav.responseEnd : null,
      dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
    };
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    // lets bench/run.py find and kill this browser should the script be killed
    ...(process.env.BENCH_CHROME_MARKER ? [process.env.BENCH_CHROME_MARKER] : []),
  ],
});
const cold = [];
const warm = [];
const errors = [];
let resources = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    await context.addInitScript(observer);
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    const seen = [];
    if (i === 0) {
      page.on("requestfinished", (r) => seen.push({ url: r.url(), type: r.resourceType() }));
    }
    cold.push(await measure(page));
    warm.push(await measure(page));
    if (i === 0) {
      // Give late requests (favicon, lazily loaded assets) a moment to finish.
      await page.waitForTimeout(300);
      resources = seen;
    }
    await context.close();
  }
} finally {
  await browser.close();
}
writeFileSync(out, JSON.stringify({ url, runs, cold, warm, resources, errors }, null, 1));
