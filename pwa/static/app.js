/* Puente page script: everything here enhances a page that is complete without it.
   Offline status and updates (service worker), install, quick exit, menus, read aloud, remembered language. */
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
  // As in GOV.UK's "Exit this page", a Shift counts when it is let go with no other key pressed since
  // it went down (so not a capital letter), three within a second, and never while typing in a field.
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
  const typing = (el) => Boolean(el && (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT"
    || (el.tagName === "INPUT" && !/^(button|submit|reset|checkbox|radio|image|file|range|color)$/.test(el.type))));
  let shifts = [];
  let shiftAlone = false;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Shift") { shiftAlone = !event.repeat && !typing(event.target); return; }
    shiftAlone = false;
    shifts = []; // any other key between two presses starts the count again
  });
  document.addEventListener("keyup", (event) => {
    if (event.key !== "Shift") return;
    const counts = shiftAlone && !typing(event.target);
    shiftAlone = false;
    if (!counts) { shifts = []; return; }
    const now = Date.now();
    shifts = shifts.filter((t) => now - t <= 1000).concat(now);
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

  // The language menu: every language by its own name, the English name beside, each linking to this
  // same page; from the release's one list (kept offline with the shell). Built with text nodes only.
  const languageList = document.querySelector(".language-menu [data-languages]");
  if (languageList) {
    fetch(languageList.dataset.languages).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status)))).then((languages) => {
      languageList.replaceChildren(...languages.map((l) => {
        const a = document.createElement("a");
        a.href = `${base}/${l.tag}/${languageList.dataset.path}`;
        a.lang = l.tag;
        a.hreflang = l.tag;
        a.dir = l.dir;
        a.textContent = l.name;
        if (l.english) {
          const english = document.createElement("span");
          english.className = "english";
          english.lang = "en";
          english.dir = "ltr";
          english.textContent = l.english;
          a.append(" ", english);
        }
        if (l.tag === lang) a.setAttribute("aria-current", "true");
        const item = document.createElement("li");
        item.append(a);
        return item;
      }));
    }).catch(() => { /* the link to the chooser stays */ });
  }

  // Menus: one open at a time; Escape closes the open one and returns to its button.
  const menus = Array.from(document.querySelectorAll("details.menu"));
  for (const menu of menus) {
    menu.addEventListener("toggle", () => {
      if (menu.open) for (const other of menus) if (other !== menu) other.open = false;
    });
  }
  document.addEventListener("keydown", (event) => {
    const open = event.key === "Escape" && menus.find((m) => m.open);
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });

  // Install: a banner near the top on a visit where the app can be installed: Chromium's prompt where it
  // is offered, the Add to Home Screen steps on iPhone and iPad. Closing it is remembered on this device
  // only (localStorage); the footer's button brings it back.
  const DISMISSED = "puente-install-closed";
  const banner = $("install-banner");
  const standalone = navigator.standalone || window.matchMedia("(display-mode: standalone)").matches;
  const iOS = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  let deferredPrompt = null;
  function offerInstall() {
    if (!banner || standalone) return;
    if (store.get(DISMISSED)) $("install-again").hidden = false;
    else banner.hidden = false;
  }
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    deferredPrompt = event;
    if ($("install")) $("install").hidden = false;
    offerInstall();
  });
  window.addEventListener("appinstalled", () => {
    if (banner) banner.hidden = true;
    $("install-again").hidden = true;
  });
  if ($("install-button")) {
    $("install-button").addEventListener("click", async () => {
      if (!deferredPrompt) return;
      deferredPrompt.prompt();
      const choice = await deferredPrompt.userChoice;
      deferredPrompt = null;
      $("install").hidden = true;
      if (choice && choice.outcome === "accepted") banner.hidden = true;
    });
  }
  if ($("install-close")) {
    $("install-close").addEventListener("click", () => {
      banner.hidden = true;
      $("install-again").hidden = false;
      store.set(DISMISSED, "1");
      $("main").focus();
    });
    $("install-open").addEventListener("click", () => {
      banner.hidden = false;
      $("install-again").hidden = true;
      banner.scrollIntoView({ block: "nearest" });
      $("install-close").focus();
    });
  }
  if (iOS && !standalone && $("ios-install")) {
    $("ios-install").hidden = false;
    offerInstall();
  }
  // Directions: the page links geo: (Android's maps app); iPhones and iPads get Apple Maps' link instead.
  if (iOS) document.querySelectorAll("a[data-ios]").forEach((a) => { a.href = a.dataset.ios; });

  const listen = $("listen");
  if (listen) readAloud(listen);

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

  // Read aloud: only the phone's own voices (localService), in the page's language, so nothing said or
  // read leaves the phone. It reads <main> a sentence at a time and highlights the sentence being read.
  // Where the phone has no such voice, the row says so in the page's language and offers no button.
  function readAloud(box) {
    const synth = window.speechSynthesis;
    const pageLang = document.documentElement.lang;
    const buttons = {};
    for (const b of box.querySelectorAll("button[data-listen]")) buttons[b.dataset.listen] = b;
    const show = (...names) => {
      const focused = box.contains(document.activeElement);
      for (const [name, b] of Object.entries(buttons)) b.hidden = !names.includes(name);
      if (focused && names.length) buttons[names[0]].focus();
    };
    const none = () => {
      show();
      if (box.querySelector(".listen-none")) return;
      const p = document.createElement("p");
      p.className = "listen-none";
      p.textContent = box.dataset.none;
      box.append(p);
    };
    if (!synth || typeof window.SpeechSynthesisUtterance !== "function") { none(); return; }
    const norm = (tag) => String(tag || "").replace(/_/g, "-").toLowerCase();
    let voice = null;
    let queue = [];
    let at = 0;
    let current = null;
    function findVoice() {
      const want = norm(pageLang);
      const local = synth.getVoices().filter((v) => v.localService === true);
      voice = local.find((v) => norm(v.lang) === want) || local.find((v) => norm(v.lang).split("-")[0] === want.split("-")[0]) || null;
      if (voice && !current && buttons.play.hidden && buttons.resume.hidden) {
        const said = box.querySelector(".listen-none");
        if (said) said.remove();
        show("play");
      }
      return voice;
    }
    if (!findVoice()) {
      // voices can arrive a moment after the page (Chrome loads them in the background)
      if (synth.addEventListener) synth.addEventListener("voiceschanged", findVoice);
      setTimeout(() => { if (!voice) none(); }, 1500);
    }

    const BLOCKS = "h1, h2, h3, h4, p, li, dt, dd, address, figcaption, td, th";
    const SKIP = ".listen, .notice, .breadcrumb, .share-panel, .page-meta, [hidden], script, svg";
    // Made when Listen is first pressed, not as the page opens: building the language's sentence rules was
    // the page's longest task at load on a slow phone (Lighthouse, 4× slowdown: 114 ms of blocking time).
    let segmenter;
    function split(text) {
      if (segmenter === undefined) segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(pageLang, { granularity: "sentence" }) : null;
      if (segmenter) return Array.from(segmenter.segment(text), (s) => [s.index, s.segment]);
      const out = [];
      const re = /[^.!?।။።؟。]+[.!?।။።؟。]*\s*/g;
      for (let m = re.exec(text); m; m = re.exec(text)) out.push([m.index, m[0]]);
      return out;
    }
    // Every sentence of <main> in the page's language, with the Range it covers (for the highlight).
    function sentences() {
      const out = [];
      for (const block of $("main").querySelectorAll(BLOCKS)) {
        if (block.closest(SKIP) || (block.closest("[lang]") || {}).lang !== pageLang) continue;
        const nodes = [];
        let text = "";
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
          const node = walker.currentNode;
          const parent = node.parentElement;
          if (parent.closest(BLOCKS) !== block || parent.closest(SKIP)) continue;
          nodes.push([node, text.length]);
          text += node.data;
        }
        const point = (offset, end) => {
          let i = nodes.length - 1;
          while (i > 0 && (end ? nodes[i][1] >= offset : nodes[i][1] > offset)) i -= 1;
          return [nodes[i][0], Math.min(offset - nodes[i][1], nodes[i][0].length)];
        };
        for (const [index, segment] of split(text)) {
          const said = segment.trim();
          if (!said) continue;
          const start = index + segment.indexOf(said);
          const range = document.createRange();
          range.setStart(...point(start, false));
          range.setEnd(...point(start + said.length, true));
          out.push({ text: said, block, range });
        }
      }
      return out;
    }
    const highlights = window.CSS && CSS.highlights && typeof window.Highlight === "function" ? CSS.highlights : null;
    function mark(item) {
      unmark();
      if (!item) return;
      if (highlights) highlights.set("listen", new Highlight(item.range));
      else item.block.classList.add("listen-reading");
      item.block.scrollIntoView({ block: "nearest" });
    }
    function unmark() {
      if (highlights) highlights.delete("listen");
      for (const el of document.querySelectorAll(".listen-reading")) el.classList.remove("listen-reading");
    }
    function speakNext() {
      if (at >= queue.length) { stop(); return; }
      const item = queue[at];
      const utterance = new SpeechSynthesisUtterance(item.text);
      utterance.voice = voice;
      utterance.lang = pageLang;
      utterance.rate = 0.9;
      const done = () => {
        if (current !== utterance) return; // stopped or paused: nothing follows
        at += 1;
        speakNext();
      };
      utterance.onend = done;
      utterance.onerror = done;
      current = utterance;
      mark(item);
      synth.speak(utterance);
    }
    function halt() {
      current = null;
      synth.cancel();
    }
    function stop() {
      halt();
      unmark();
      show("play");
    }
    buttons.play.addEventListener("click", () => {
      if (!voice) return;
      halt();
      queue = sentences();
      at = 0;
      show("pause", "stop");
      speakNext();
    });
    // Pausing stops the voice and resuming starts the sentence again: the same on every phone
    // (Android's speechSynthesis.pause() does nothing).
    buttons.pause.addEventListener("click", () => { halt(); show("resume", "stop"); });
    buttons.resume.addEventListener("click", () => { show("pause", "stop"); speakNext(); });
    buttons.stop.addEventListener("click", stop);
    window.addEventListener("pagehide", () => synth.cancel());
  }
})();
