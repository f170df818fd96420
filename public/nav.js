// Moves between BestHub's pages without reloading them.
//
// Pages are server HTML with islands (the interactive parts, hydrated from WASM). Once a page
// is interactive (`<body data-hydrated="true">`), a click on a link to another page of the
// site fetches that page's HTML and swaps in its header, main content and footer, its title
// and the head's description and link tags, then hydrates the islands that came with it.
// Until then, and whenever the answer is not a page of this site (a redirect, a download),
// links navigate as usual: this script only ever saves a reload. Just before it swaps, it
// dispatches `besthub:navigate` on the document, so that what belongs to the page leaving
// (its live-update stream and the islands subscribed to it) is let go.

const SWAPPED = ['.site-header', '#main', '.site-footer'];
const HEAD_TAGS = 'meta[name="description"], meta[property], link[rel="canonical"]';

let navigation = 0;
// The page (path and query) on screen, so that moving between anchors of one page does not
// fetch it again.
let shown = location.pathname + location.search;

// Announces the new page's title to screen readers, as a page load would.
function announce(title) {
  let region = document.getElementById('page-announcer');
  if (!region) {
    region = document.createElement('p');
    region.id = 'page-announcer';
    region.className = 'visually-hidden';
    region.setAttribute('aria-live', 'polite');
    document.body.append(region);
  }
  region.textContent = title;
}

function interactive() {
  return document.body.dataset.hydrated === 'true' && typeof window.__hydrateIsland === 'function';
}

function pageOf(url) {
  return url.pathname + url.search;
}

async function show(url, push) {
  const current = ++navigation;
  let response;
  try {
    response = await fetch(url, {
      headers: { Accept: 'text/html' },
      credentials: 'same-origin',
      redirect: 'manual',
    });
  } catch {
    location.assign(url);
    return;
  }
  if (current !== navigation) return;
  const type = response.headers.get('content-type') || '';
  if (response.type === 'opaqueredirect' || !type.startsWith('text/html')) {
    location.assign(url);
    return;
  }
  const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
  if (current !== navigation) return;
  const parts = SWAPPED.map((selector) => [document.querySelector(selector), doc.querySelector(selector)]);
  if (parts.some(([old, next]) => !old || !next)) {
    location.assign(url);
    return;
  }
  document.dispatchEvent(new Event('besthub:navigate'));
  for (const [old, next] of parts) old.replaceWith(document.adoptNode(next));
  document.title = doc.title;
  for (const tag of document.head.querySelectorAll(HEAD_TAGS)) tag.remove();
  for (const tag of doc.head.querySelectorAll(HEAD_TAGS)) document.head.append(document.adoptNode(tag));
  if (push) history.pushState(null, '', url);
  shown = pageOf(url);
  for (const selector of SWAPPED) {
    for (const island of document.querySelectorAll(`${selector} leptos-island`)) {
      window.__hydrateIsland(island, island.dataset.component);
    }
  }
  const target = url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1)));
  if (target) {
    target.scrollIntoView();
  } else if (push) {
    window.scrollTo(0, 0);
  }
  // Screen readers and keyboards start from the new content, as after a page load.
  const main = document.getElementById('main');
  if (main && !target) {
    main.setAttribute('tabindex', '-1');
    main.focus({ preventScroll: true });
  }
  announce(document.title);
}

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin) return;
  // An anchor on this page: the browser scrolls to it.
  if (pageOf(url) === shown && url.hash) return;
  if (!interactive()) return;
  event.preventDefault();
  show(url, true);
});

window.addEventListener('popstate', () => {
  const url = new URL(location.href);
  if (pageOf(url) === shown || !interactive()) {
    if (pageOf(url) !== shown) location.reload();
    return;
  }
  show(url, false);
});
