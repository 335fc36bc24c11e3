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
  function fitAll() {
    for (const box of document.querySelectorAll("[data-fit]")) {
      box.style.fontSize = "";
      const fits = (px) => { box.style.fontSize = px + "px"; return box.scrollHeight <= box.clientHeight + 0.5; };
      let hi = parseFloat(getComputedStyle(box).fontSize);
      let lo = (parseFloat(box.dataset.fit) || 6) * (96 / 72); // data-fit: the smallest readable size, in pt
      if (fits(hi)) lo = hi;
      else if (fits(lo)) {
        for (let i = 0; i < 8; i += 1) {
          const mid = (lo + hi) / 2;
          if (fits(mid)) lo = mid; else hi = mid;
        }
      }
      fits(lo);
      box.dataset.fitted = (lo * 72 / 96).toFixed(2); // pt, for anyone checking the print
    }
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
    filter.addEventListener("input", () => {
      const query = filter.value.trim().toLowerCase();
      let shown = 0;
      for (const item of list.children) {
        item.hidden = Boolean(query) && !item.dataset.names.includes(query);
        if (!item.hidden) shown += 1;
      }
      $("filter-empty").hidden = shown > 0;
    });
  }
  function showTarget() {
    const target = location.hash.startsWith("#share-") && $(location.hash.slice(1));
    if (target) target.focus();
    else if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }
  if (list) {
    window.addEventListener("hashchange", showTarget);
    showTarget();
    for (const a of list.querySelectorAll("a")) {
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
