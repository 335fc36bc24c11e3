"""What a phone pays and waits for, measured in Debian's Chromium: first visit, whole language, update, offline repeat visit.

Each simulated phone is a fresh browser context (empty HTTP cache, no service worker);
bytes come from the DevTools protocol (_cdp.Meter), including the service worker's own
fetches; a request answered by the worker counts once, at the worker's fetch.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from _cdp import Meter, Request, context_id
from _proxy import CountingProxy
from _servers import CHROMIUM, free_port, start_puente

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
READY = "body[data-offline=ready]"
UPDATE_JS = """async () => {
  const reg = await navigator.serviceWorker.getRegistration();
  await reg.update();
  const w = reg.installing || reg.waiting;
  if (!w) return "no update";
  if (w.state !== "installing") return w.state;
  return await new Promise((resolve) => w.addEventListener("statechange", () => {
    if (w.state !== "installing") resolve(w.state);
  }));
}"""
FCP_JS = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"


class Browser:
    """Chromium driven by Playwright, with a second DevTools client counting bytes."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        port = free_port()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, f"--remote-debugging-port={port}"])
        self.meter = Meter(port)

    def phone(self) -> tuple[Any, Any, str]:
        """A fresh context and page: (context, page, DevTools context id)."""
        context = self.browser.new_context(service_workers="allow")
        page = context.new_page()
        return context, page, context_id(context)

    def close(self) -> None:
        self.meter.close()
        self.browser.close()
        self._pw.stop()


def wire(rows: list[Request]) -> int:
    """Bytes received: a page request the worker answered was paid for at the worker's own fetch."""
    return sum(r.bytes for r in rows if not (r.target == "page" and r.from_worker))


def _rows(rows: list[Request], origin: str) -> list[dict[str, Any]]:
    return [{**r.row(), "url": r.url[len(origin):]} for r in rows if r.bytes or not r.from_worker]


# -- first visit, whole language -------------------------------------------------


def first_visit(b: Browser, proxy: CountingProxy, lang: str) -> dict[str, Any]:
    """Cold cache: bytes until first contentful paint, for the whole page, and until the language is offline."""
    origin = proxy.url
    context, page, cid = b.phone()
    try:
        mark, tcp = b.meter.mark(), proxy.down
        started = time.monotonic()
        page.goto(f"{origin}/{lang}/")
        page.wait_for_selector(READY, timeout=120_000)
        ready_s = time.monotonic() - started
        b.meter.settle()
        rows = b.meter.since(mark, cid, origin)
        fcp = b.meter.lifecycle(cid, "firstContentfulPaint")
        page_rows = [r for r in rows if r.target == "page"]
        needed = [r for r in page_rows if r.kind == "Document" or r.blocking in {"Blocking", "InBodyParserBlocking"}]
        before_paint = [r for r in page_rows if fcp is not None and r.finished <= fcp]
        worker = [r for r in rows if r.target == "service_worker"]
        return {
            "lang": lang,
            "first_paint_bytes": wire(needed),  # the document and what blocks rendering: what painting needs
            "first_paint_requests": [r.url[len(origin):] for r in needed],
            "before_paint_bytes": wire(before_paint) if fcp is not None else None,  # what had arrived by first contentful paint
            "before_paint_requests": [r.url[len(origin):] for r in before_paint],
            "page_bytes": wire(page_rows),
            "worker_bytes": wire(worker),
            "offline_bytes": wire(rows),
            "offline_bytes_tcp": proxy.down - tcp,
            "requests": len([r for r in rows if r.bytes]),
            "ready_seconds": round(ready_s, 2),
            "detail": _rows(rows, origin),
        }
    finally:
        context.close()


# -- update ----------------------------------------------------------------------


def _bundle_entries(origin: str, lang: str) -> tuple[str, dict[str, str]]:
    """(bundle URL, {url: revision}) of a language, from the served sw.js and bundle."""
    sw = urllib.request.urlopen(origin + "/sw.js", timeout=10).read().decode()
    config = json.loads(sw.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    url = config["languages"][lang]
    bundle = json.loads(urllib.request.urlopen(origin + url, timeout=10).read())
    entries: dict[str, str] = {}
    for value in bundle.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item):
                    entries[item[0]] = item[1]
    return url, entries


def change_one_paragraph(po: Path, context: str) -> str:
    """Append a sentence to the longest translated paragraph of `context` in a catalog; return its msgid's start."""
    text = po.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    best, best_len = -1, 0
    for i, block in enumerate(blocks):
        if f'msgctxt "{context}"' not in block or block.lstrip().startswith("#~") or "msgid_plural" in block:
            continue
        msgstr = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block.split("\nmsgstr ", 1)[1])) if "\nmsgstr " in block else ""
        if len(msgstr) > best_len and not msgstr.startswith("#"):
            best, best_len = i, len(msgstr)
    if best < 0:
        raise RuntimeError(f"{po}: no translated paragraph in {context}")
    lines = blocks[best].rstrip("\n").split("\n")
    lines[-1] = lines[-1][:-1] + ' Información actualizada por la prueba de rendimiento."'
    blocks[best] = "\n".join(lines)
    po.write_text("\n\n".join(blocks), encoding="utf-8")
    msgid = re.search(r'\nmsgid "((?:[^"\\]|\\.)*)"', "\n" + blocks[best])
    return (msgid.group(1) if msgid else "")[:60]


def update_cost(b: Browser, work: Path, src_locales: Path, changed_lang: str, other_lang: str, page_context: str) -> dict[str, Any]:
    """Phones holding `changed_lang` and only `other_lang` go online after a one-paragraph change in `changed_lang`."""
    locales = work / "update-locales"
    shutil.copytree(src_locales, locales)
    data, port = work / "update-var", free_port()
    server = start_puente(work, port, data, "--locales", str(locales))
    proxy = CountingProxy(free_port(), port)  # the origin the phones see stays the same across the restart
    origin = proxy.url
    phones = {}
    try:
        for lang in (changed_lang, other_lang):
            context, page, cid = b.phone()
            page.goto(f"{origin}/{lang}/")
            page.wait_for_selector(READY, timeout=120_000)
            phones[lang] = (context, page, cid)
        b.meter.settle()
        before = {lang: _bundle_entries(origin, lang) for lang in phones}
        server.stop()
        tag = changed_lang.replace("-", "_")
        paragraph = change_one_paragraph(locales / tag / "LC_MESSAGES" / "messages.po", page_context)
        started = time.monotonic()
        server = start_puente(work, port, data, "--locales", str(locales))  # same origin, same data directory
        rebuild_s = time.monotonic() - started
        after = {lang: _bundle_entries(origin, lang) for lang in phones}
        result: dict[str, Any] = {"changed": f"{changed_lang}: {page_context}: “{paragraph}…”", "rebuild_seconds": round(rebuild_s, 1)}
        for lang, (_context, page, cid) in phones.items():
            old_url, old = before[lang]
            new_url, new = after[lang]
            changed = {u for u, rev in new.items() if old.get(u) != rev}
            mark, tcp = b.meter.mark(), proxy.down
            state = page.evaluate(UPDATE_JS)
            b.meter.settle()
            tcp = proxy.down - tcp
            rows = [r for r in b.meter.since(mark, cid, origin) if r.bytes]
            fetched = {r.url[len(origin):] for r in rows}
            expected = changed | {"/sw.js"} | ({new_url} if new_url != old_url else set())
            changed_bytes = wire([r for r in rows if r.url[len(origin):] in changed])
            total = max(tcp, wire(rows))  # DevTools does not see the update check itself (see _proxy)
            result[lang] = {
                "worker_state": state,
                "bytes": total,
                "bytes_devtools": wire(rows),
                "bytes_tcp": tcp,
                "changed_entries": sorted(changed),
                "changed_entries_bytes": changed_bytes,
                "overhead_bytes": total - changed_bytes,
                "downloaded": sorted(fetched),
                "unexpected_downloads": sorted(fetched - expected),
                "changed_but_not_downloaded": sorted(changed - fetched),
                "bundle_changed": new_url != old_url,
                "detail": _rows(rows, origin),
            }
        return result
    finally:
        for context, _, _ in phones.values():
            context.close()
        server.stop()
        proxy.close()


# -- repeat visit offline -------------------------------------------------------------


def offline_repeat(b: Browser, work: Path, lang: str, runs: int, cpu_slowdowns: tuple[int, ...]) -> dict[str, Any]:
    """Server stopped, browser offline: navigation start to first contentful paint, served by the worker."""
    port = free_port()
    server = start_puente(work, port, work / "offline-var")
    context, page, _ = b.phone()
    out: dict[str, Any] = {"lang": lang, "page": f"/{lang}/", "runs": runs}
    try:
        page.goto(f"{server.url}/{lang}/")
        page.wait_for_selector(READY, timeout=120_000)
        server.stop()
        context.set_offline(True)
        cdp = context.new_cdp_session(page)
        for slowdown in cpu_slowdowns:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
            times, from_worker = [], True
            for _ in range(runs):
                response = page.goto(f"{server.url}/{lang}/")
                from_worker = from_worker and bool(response and response.from_service_worker and response.ok)
                page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0", timeout=30_000)
                times.append(float(page.evaluate(FCP_JS)))
            out[f"cpu_{slowdown}x"] = {
                "median_ms": round(statistics.median(times), 1),
                "min_ms": round(min(times), 1),
                "max_ms": round(max(times), 1),
                "all_from_worker": from_worker,
            }
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        return out
    finally:
        context.close()
        server.stop()
