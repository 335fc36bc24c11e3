/* Puente page script: everything here enhances a page that is complete without it.
   Offline status and updates (service worker), install, quick exit, remembered language. */
(() => {
  "use strict";
  const body = document.body;
  const lang = body.dataset.lang;
  const exitUrl = body.dataset.exit;
  const base = body.dataset.base || ""; // the path the app lives under ("" at the root of its origin)
  const $ = (id) => document.getElementById(id);
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
  };

  // Quick exit: a button, or Shift pressed three times. location.replace leaves no back-button entry;
  // a later "back" into the app (bfcache or history) is sent on to the neutral site again.
  const EXIT_FLAG = "puente-exit";
  function quickExit(event) {
    if (event) event.preventDefault();
    try { sessionStorage.setItem(EXIT_FLAG, "1"); } catch (e) { /* still leave */ }
    document.title = "";
    body.textContent = "";
    location.replace(exitUrl);
  }
  const exitLink = $("quick-exit");
  if (exitLink) exitLink.addEventListener("click", quickExit);
  let shifts = [];
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Shift" || event.repeat) return;
    const now = Date.now();
    shifts = shifts.filter((t) => now - t < 2000).concat(now);
    if (shifts.length >= 3) quickExit();
  });
  window.addEventListener("pageshow", (event) => {
    let flagged = false;
    try { flagged = sessionStorage.getItem(EXIT_FLAG) === "1"; } catch (e) { /* none */ }
    if (!flagged) return;
    const nav = performance.getEntriesByType("navigation")[0];
    if (event.persisted || (nav && nav.type === "back_forward")) location.replace(exitUrl);
    else try { sessionStorage.removeItem(EXIT_FLAG); } catch (e) { /* none */ }
  });

  // A page past its review date says so, even when the copy on the phone was saved before that date.
  const stale = $("stale-notice");
  if (stale && stale.hidden && stale.dataset.reviewBy && new Date() > new Date(stale.dataset.reviewBy + "T23:59:59")) {
    stale.hidden = false;
  }

  // Notices show from their start date to the end of their expiry date, on the phone's own clock.
  for (const notice of document.querySelectorAll(".site-notice[data-expires]")) {
    const now = new Date();
    notice.hidden = now < new Date(notice.dataset.starts + "T00:00:00") || now > new Date(notice.dataset.expires + "T23:59:59");
  }

  // Language: remember the one in use; the chooser at / goes straight to it (or the browser's best match).
  const chooser = $("languages");
  if (lang) store.set("puente-lang", lang);
  else if (chooser && location.hash !== "#choose") {
    const available = Array.from(chooser.querySelectorAll("a[data-lang]"), (a) => a.dataset.lang);
    const wanted = [store.get("puente-lang")].concat(navigator.languages || [navigator.language]);
    const match = (tag) => available.find((a) => a.toLowerCase() === tag.toLowerCase())
      || available.find((a) => a.split("-")[0] === tag.split("-")[0].toLowerCase());
    for (const tag of wanted) {
      const found = tag && match(tag);
      if (found) { location.replace(base + "/" + found + "/"); return; }
    }
  }

  // Install: Chromium's prompt where offered; step-by-step instructions on iPhone and iPad.
  let deferredPrompt = null;
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    deferredPrompt = event;
    if ($("install")) $("install").hidden = false;
  });
  if ($("install-button")) {
    $("install-button").addEventListener("click", async () => {
      if (!deferredPrompt) return;
      deferredPrompt.prompt();
      await deferredPrompt.userChoice;
      deferredPrompt = null;
      $("install").hidden = true;
    });
  }
  const standalone = navigator.standalone || window.matchMedia("(display-mode: standalone)").matches;
  const iOS = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  if (iOS && !standalone && $("ios-install")) $("ios-install").hidden = false;
  // Directions: the page links geo: (Android's maps app); iPhones and iPads get Apple Maps' link instead.
  if (iOS) document.querySelectorAll("a[data-ios]").forEach((a) => { a.href = a.dataset.ios; });

  // Offline: register the worker, ask it to keep this language, and offer updates when one waits.
  if (!("serviceWorker" in navigator)) return;
  let reloadRequested = false;
  function offerUpdate(worker) {
    const box = $("update-ready");
    if (!box) return;
    box.hidden = false;
    $("update-reload").onclick = () => {
      reloadRequested = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  }
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadRequested) { reloadRequested = false; location.reload(); }
  });
  navigator.serviceWorker.register(base + "/sw.js", { scope: base + "/", updateViaCache: "none" }).then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
    // Each time the app opens with a connection, look for a newer release (a failed download is retried here too).
    if (navigator.serviceWorker.controller && navigator.onLine) reg.update().catch(() => {});
    reg.addEventListener("updatefound", () => {
      const worker = reg.installing;
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
      });
    });
  }).catch(() => { /* no worker: the page still works online */ });
  if (!lang) return;
  navigator.serviceWorker.ready.then((reg) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => {
      if (event.data && event.data.type === "cached" && event.data.lang === lang) {
        $("offline-ready").hidden = false;
        body.dataset.offline = "ready";
      }
    };
    reg.active.postMessage({ type: "cache-language", lang }, [channel.port2]);
  });
})();
