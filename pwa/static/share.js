/* Puente share and print (share pages, service pages, flyer, wallet cards, liaison mode).
   Enhances pages that are complete without it: copy a link, share it where the Web Share API
   exists, print, fit printed text into its box, and find a language and show its code. */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  // Copy and share: each .share-actions carries its absolute link, exactly as built (no parameters).
  for (const box of document.querySelectorAll(".share-actions")) {
    const url = box.dataset.url;
    const status = box.parentElement.querySelector(".share-status");
    const say = (key) => { if (status) status.textContent = status.dataset[key] || ""; };
    box.hidden = false;
    box.querySelector("[data-action=copy]").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
        say("copied");
      } catch (e) {
        say(copyByHand(url) ? "copied" : "failed");
      }
    });
    const share = box.querySelector("[data-action=share]");
    if (share && typeof navigator.share === "function") {
      share.hidden = false;
      share.addEventListener("click", () => {
        navigator.share({ title: box.dataset.title, url }).catch(() => { /* dismissed */ });
      });
    }
  }
  // Where the Clipboard API is missing (a plain-http address on the local network).
  function copyByHand(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  // Print: the flyer and the cards.
  for (const button of document.querySelectorAll("[data-action=print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }

  // Fit: shrink the text of a fixed-size box (a flyer page, a card) until nothing overflows,
  // so a long translation still prints on one page. Sizes are in mm and pt: screen and paper agree.
  // Never below data-fit (pt): a wallet card that does not fit at that size leaves off its last
  // statements, the same ones on both faces, until it does.
  function fit(box) {
    box.style.fontSize = "";
    const fits = (px) => { box.style.fontSize = px + "px"; return box.scrollHeight <= box.clientHeight + 0.5; };
    let hi = parseFloat(getComputedStyle(box).fontSize);
    let lo = (parseFloat(box.dataset.fit) || 6) * (96 / 72); // data-fit: the smallest readable size, in pt
    let ok = true;
    if (fits(hi)) lo = hi;
    else if (fits(lo)) {
      for (let i = 0; i < 8; i += 1) {
        const mid = (lo + hi) / 2;
        if (fits(mid)) lo = mid; else hi = mid;
      }
    } else ok = false;
    fits(lo);
    box.dataset.fitted = (lo * 72 / 96).toFixed(2); // pt, for anyone checking the print
    return ok;
  }
  function fitAll() {
    for (const box of document.querySelectorAll("[data-fit]:not(.card-face)")) fit(box);
    const cards = document.querySelectorAll(".wallet-card");
    if (!cards.length) return;
    const statements = (card) => Array.from(card.querySelectorAll(".card-rights"), (list) => Array.from(list.children));
    let keep = Math.max(...statements(cards[0]).map((items) => items.length));
    for (;;) {
      for (const card of cards) for (const items of statements(card)) items.forEach((li, i) => { li.hidden = i >= keep; });
      const fitted = Array.from(cards[0].querySelectorAll(".card-face"), fit).every(Boolean);
      if (fitted || keep <= 1) break;
      keep -= 1;
    }
    for (const card of Array.from(cards).slice(1)) card.querySelectorAll(".card-face").forEach(fit);
    document.querySelector(".cards-sheet").dataset.statements = keep;
  }
  if (document.querySelector("[data-fit]")) {
    fitAll();
    if (document.fonts) document.fonts.ready.then(fitAll);
    window.addEventListener("beforeprint", fitAll);
  }

  // Liaison mode (/share/): find a language by any of its names; its code fills the screen.
  const filter = $("language-filter");
  const list = $("liaison-languages");
  if (filter && list) {
    filter.parentElement.hidden = false;
    // as the build folds each language's names (backend/i18n/names.py): lower case, no accents
    const fold = (text) => text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
    filter.addEventListener("input", () => {
      const query = fold(filter.value.trim());
      let shown = 0;
      for (const item of list.children) {
        item.hidden = Boolean(query) && !item.dataset.names.includes(query);
        if (!item.hidden) shown += 1;
      }
      $("filter-empty").hidden = shown > 0;
    });
  }
  // A code over the whole window: a language's on /share/ (#share-<tag>), or a share panel's (#share-code,
  // on a service's page and the share page). The overlay is CSS (:target); this adds the browser's full
  // screen, focus, and Escape to close.
  const opens = [...(list ? list.querySelectorAll("a") : []), ...document.querySelectorAll(".qr-open")];
  function showTarget() {
    const target = location.hash.startsWith("#share-") && $(location.hash.slice(1));
    if (target) target.focus();
    else if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }
  if (opens.length) {
    window.addEventListener("hashchange", showTarget);
    showTarget();
    for (const a of opens) {
      a.addEventListener("click", () => {
        const root = document.documentElement;
        if (root.requestFullscreen) root.requestFullscreen().catch(() => { /* the overlay still fills the window */ });
      });
    }
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !location.hash.startsWith("#share-")) return;
      const screen = $(location.hash.slice(1));
      const close = screen && screen.querySelector(".qr-close");
      if (close) close.click();
    });
  }
})();
