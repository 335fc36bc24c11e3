/* Puente service worker. The build writes the release's config into the line below.
   One cache per release, named puente-<release>. Install fills it with the shell and every page
   of each language this phone holds, copying entries whose revision did not change from the
   previous release's cache and downloading only the rest; a failed download fails the install,
   so the old release keeps working. The new worker waits until the page asks it to take over. */
const CONFIG = /*__PUENTE_CONFIG__*/ { release: "dev", shell: [], languages: {}, hashed: "$^", base: "" };
const PREFIX = "puente-";
const CACHE = PREFIX + CONFIG.release;
// Names that carry a content hash never change meaning (backend/policy.py's rule, written into CONFIG).
const HASHED = new RegExp(CONFIG.hashed);
const REVISIONS = "/__puente/revisions"; // a synthetic entry in each cache: { url: revision }
// The path the app lives under ("" at the root of its origin): every URL below starts with it.
const BASE = CONFIG.base;
const BASE_RE = BASE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const NETWORK_ONLY = new RegExp("^" + BASE_RE + "/(admin|api)/");
const BUNDLE = new RegExp("^" + BASE_RE + "/([^/]+)/bundle\\.[0-9a-f]+\\.json$");

self.addEventListener("install", (event) => {
  event.waitUntil(install());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(activate());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "skip-waiting") {
    self.skipWaiting();
  } else if (data.type === "cache-language" && CONFIG.languages[data.lang]) {
    const reply = (message) => event.ports[0] && event.ports[0].postMessage(message);
    event.waitUntil(
      serially(() => addLanguage(data.lang)).then(
        () => reply({ type: "cached", lang: data.lang, release: CONFIG.release }),
        (error) => reply({ type: "cache-failed", lang: data.lang, error: String(error) }),
      ),
    );
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NETWORK_ONLY.test(url.pathname) || url.pathname === BASE + "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  } else {
    event.respondWith(cacheOrNetwork(request));
  }
});

// -- strategies ---------------------------------------------------------------

async function navigate(request, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(pageKey(url.pathname));
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch (error) {
    return (await offlinePage(cache, url.pathname)) ||
      new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function cacheOrNetwork(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) || fetch(request);
}

function pageKey(pathname) {
  if (pathname.endsWith("/index.html")) return pathname.slice(0, -"index.html".length);
  const last = pathname.split("/").pop();
  if (last && !last.includes(".")) return pathname + "/";
  return pathname;
}

function languageOf(pathname) {
  if (!pathname.startsWith(BASE + "/")) return null;
  const first = pathname.slice(BASE.length).split("/")[1];
  return CONFIG.languages[first] ? first : null;
}

async function offlinePage(cache, pathname) {
  const revisions = await readRevisions(cache);
  const offline = (lang) => `${BASE}/${lang}/offline/`;
  const held = Object.keys(CONFIG.languages).filter((lang) => revisions[offline(lang)]);
  const lang = [languageOf(pathname), ...held].find((l) => l && revisions[offline(l)]);
  return lang ? cache.match(offline(lang)) : null;
}

// -- precaching ---------------------------------------------------------------

async function install() {
  const previous = await previousCaches();
  const packs = [];
  const languages = new Set();
  for (const { revisions } of previous) {
    for (const url of Object.keys(revisions)) {
      const held = BUNDLE.exec(url);
      if (held && CONFIG.languages[held[1]]) languages.add(held[1]);
    }
  }
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    const lang = languageOf(new URL(client.url).pathname);
    if (lang) languages.add(lang);
  }
  const entries = [...CONFIG.shell];
  const fetched = new Map();
  for (const lang of languages) entries.push(...(await languageEntries(lang, previous, fetched, packs)));
  await serially(() => fill(entries, previous, fetched, packs));
}

async function activate() {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
  await self.clients.claim();
}

async function addLanguage(lang) {
  const previous = await previousCaches();
  const fetched = new Map();
  const packs = [];
  await fill([...CONFIG.shell, ...(await languageEntries(lang, previous, fetched, packs))], previous, fetched, packs);
}

// A language's entries come from its bundle (hashed, so the same URL always has the same content):
// taken from this cache or an earlier one when the phone has it, downloaded otherwise. The bundle
// also names the language's pack, every entry in one file (see unpack).
async function languageEntries(lang, previous, fetched, packs) {
  const url = CONFIG.languages[lang];
  const own = await caches.open(CACHE);
  const response = (await own.match(url)) || (await fromCaches(url, url, previous)) || (await download(url));
  fetched.set(url, response.clone());
  const bundle = await response.json();
  if (bundle.pack) packs.push({ url: bundle.pack, pages: bundle.pages });
  return [[url, url], ...bundle.pages];
}

// A phone that would download at least half of a language's entries (its first visit, a new language)
// downloads the language's pack instead: one response, the pages compressed together. Each entry is
// kept with the headers the server sends it (the pack lists them), and only at the bundle's revision.
async function unpack(pack, todo, previous, fetched) {
  const wanted = new Map(pack.pages);
  let missing = 0;
  for (const [url, revision] of todo) {
    if (wanted.get(url) === revision && !fetched.has(url) && !(await fromCaches(url, revision, previous))) missing += 1;
  }
  if (missing * 2 < pack.pages.length) return;
  const data = await (await download(pack.url)).json();
  for (const [url, revision, type, body] of data.entries) {
    if (wanted.get(url) === revision && !fetched.has(url)) {
      fetched.set(url, new Response(body, { headers: data.headers[type] }));
    }
  }
}

// Put every [url, revision] into this release's cache: keep what is already there, copy unchanged
// entries from earlier caches, download the rest (a language's pack, or a few entries at a time).
// Record revisions even on failure, so a retry after lost connectivity downloads only what is still missing.
async function fill(entries, previous, fetched, packs = []) {
  const cache = await caches.open(CACHE);
  const revisions = await readRevisions(cache);
  const todo = entries.filter(([url, revision]) => revisions[url] !== revision);
  let failure = null;
  for (const pack of packs) {
    try {
      await unpack(pack, todo, previous, fetched);
    } catch (error) {
      // no pack (a host that lost it, a cut connection): the entries are downloaded one by one below
    }
  }
  const worker = async () => {
    while (todo.length && !failure) {
      const [url, revision] = todo.shift();
      try {
        const response = fetched.get(url) || (await fromCaches(url, revision, previous)) || (await download(url));
        await cache.put(url, response);
        revisions[url] = revision;
      } catch (error) {
        failure = error;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await writeRevisions(cache, revisions);
  if (failure) throw failure;
}

async function fromCaches(url, revision, previous) {
  for (const { cache, revisions } of previous) {
    if (revisions[url] === revision) {
      const hit = await cache.match(url);
      if (hit) return hit;
    }
  }
  return null;
}

async function download(url) {
  const hashed = HASHED.test(url);
  const response = await fetch(url, { cache: hashed ? "default" : "no-cache", credentials: "omit" });
  if (!response.ok || response.redirected) throw new Error(`precache ${url}: HTTP ${response.status}`);
  return response;
}

async function previousCaches() {
  const names = (await caches.keys()).filter((n) => n.startsWith(PREFIX) && n !== CACHE);
  return Promise.all(names.map(async (name) => {
    const cache = await caches.open(name);
    return { cache, revisions: await readRevisions(cache) };
  }));
}

async function readRevisions(cache) {
  const response = await cache.match(REVISIONS);
  return response ? response.json() : {};
}

function writeRevisions(cache, revisions) {
  return cache.put(REVISIONS, new Response(JSON.stringify(revisions), { headers: { "Content-Type": "application/json" } }));
}

let queue = Promise.resolve();
function serially(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}
