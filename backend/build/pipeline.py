"""Build: turn the inputs (content pack and catalogs, read once) into a release, a complete static site.

    release/
      index.html, 404.html              language chooser; not-found page
      sw.js                             the service worker, with this release's config (worker.py)
      release.json                      id, source hash, languages (metadata.py; not served)
      checksums.json                    every other file's size and SHA-256, written last (metadata.py; not served)
      static/app.<hash>.css ...         shell assets with content hashes in their names
      <lang>/index.html ...             every page, pre-rendered
      <lang>/manifest.webmanifest       per-language web app manifest
      <lang>/bundle.<hash>.json         the language's page list with revisions
      <lang>/services/<id>.vcf          each service's contact card (in the bundle: saved offline)
      <lang>/search.<hash>.json         the language's search index (in the bundle)
      api/hsds/...                      the directory as Open Referral HSDS 3.0's read API (content/hsds/api.py)
      *.br, *.gz                        beside every text file (whitenoise's compressor)

A release directory is named by the hash of its content, so building the same source twice
gives the same id. Nothing is written where it can be served until the whole release is
complete: errors leave no release behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, TextIO

from ..config import Config
from ..content import hsds
from ..policy import HEADERS_FILE, digest, hashed_name, static_headers
from . import metadata, produce, share, worker
from .cache import Fingerprints, RenderCache
from .inputs import Inputs, load_inputs
from .produce import Counts, Producer, default_jobs
from .progress import RECORD as PROGRESS_RECORD
from .progress import Progress
from .renderer import LOGO, Renderer
from .write import Site, write_release

NOT_PRECACHED = {"icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png"}
NOT_PRECACHED_UNDER = "screenshots/"  # the manifest's screenshots: for the install dialog, never for offline


def hash_assets(cfg: Config, site: Site, logo: Path | None = None) -> dict[str, str]:
    """Copy pwa/static (and the content pack's logo) into static/ with content hashes in the names;
    return logical name -> URL (below the base path)."""
    urls = {}
    root = cfg.pwa / "static"
    files = [(path.relative_to(root).as_posix(), path) for path in sorted(root.rglob("*")) if path.is_file()]
    if logo is not None:
        files.append((LOGO, logo))
    for rel, path in files:
        data = path.read_bytes()
        hashed = hashed_name(rel + path.suffix if rel == LOGO else rel, data)
        site.add(f"static/{hashed}", data)
        urls[rel] = f"{cfg.base_path}/static/{hashed}"
    return urls


LANGUAGES = "languages.json"  # the language menu's list, among the hashed assets (precached with the shell)


def _language_list(cfg: Config, site: Site, inputs: Inputs) -> str:
    """static/languages.<hash>.json: every language's tag, direction, own name and English name (when it
    differs), which app.js turns into each page's language menu; return its URL."""
    data = [{"tag": lang.tag, "dir": lang.dir, "name": lang.native_name, **({"english": lang.english_name} if lang.english_name != lang.native_name else {})}
            for lang in inputs.languages]
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    hashed = hashed_name(LANGUAGES, body)
    site.add(f"static/{hashed}", body)
    return f"{cfg.base_path}/static/{hashed}"


def render(inputs: Inputs, cache: RenderCache | None = None, jobs: int = 1, progress: Progress | None = None) -> tuple[Site, dict[str, Any]]:
    """Validate the catalogs and render the whole release; raise ContentErrors on bad input. With a render
    cache, an output whose inputs did not change is taken from it (produce.py), and the files stay there."""
    cfg, content = inputs.cfg, inputs.content
    inputs.raise_problems()
    site = Site(cache, languages=tuple(lang.tag for lang in inputs.languages))
    assets = hash_assets(cfg, site, content.root / content.site.logo if content.site.logo else None)
    assets[LANGUAGES] = _language_list(cfg, site, inputs)
    renderer = Renderer(inputs, assets, cache.root / "jinja" if cache else None)
    fps = Fingerprints(inputs, assets)
    counts, bundles = Counts(), {}
    for result in produce.languages(inputs, renderer, fps, cache, jobs):
        site.extend(result.files, result.counts.rendered)
        bundles[result.tag] = result.bundle
        counts.add(result.counts)
        if progress is not None:
            progress.language_done(result.tag, result.counts)
    bundles = {lang.tag: bundles[lang.tag] for lang in inputs.languages}
    root = Producer(cache, fps, "_root")

    def chooser(template: str) -> str:  # each language's draft tag is read while it renders: one of its reads
        return renderer.env.get_template(template).render(
            site_name=content.site.name, tab_title=content.site.tab_title or content.site.name, description=content.site.tagline,
            languages=inputs.languages, exit_url=cfg.exit_url, drafts=renderer.draft_tags(), path="")

    made = root.counts.rendered
    site.extend(root.one("chooser", lambda: [("index.html", chooser("chooser.html"))]))
    site.extend(root.one("404", lambda: [("404.html", chooser("root_not_found.html"))]))
    site.extend(root.one("liaison", lambda: [("share/index.html", share.liaison_page(renderer))]))
    root.save()
    site.fresh.update(made)
    counts.add(root.counts)
    for rel, text in hsds.api_files(content).items():  # HSDS's read API, served by /api/hsds/..., never precached; reads all content
        site.add(rel, text)
    site.add(HEADERS_FILE, static_headers(sorted(url for url in assets.values() if url.endswith(".svg"))))  # for static hosts; in no bundle, never served by the app
    site.add("favicon.ico", (cfg.pwa / "static" / "icons" / "icon-192.png").read_bytes())  # for the admin, JSON, vCards

    release_id = digest(b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in sorted(site.shas.items())))
    # the worker keeps what cached pages use (the large icons only the manifest names are left to the browser)
    shell = [[f"{renderer.base}/", site.digest("index.html")]]
    shell += [[url, url] for name, url in sorted(assets.items()) if name not in NOT_PRECACHED and not name.startswith(NOT_PRECACHED_UNDER)]
    site.add("sw.js", worker.render(cfg.service_worker / "sw.js", worker.config(release_id, shell, bundles, renderer.base)))
    info = {
        "id": release_id,
        "source": inputs.source,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "built_for": cfg.today.isoformat(),
        "languages": [{"tag": lang.tag, "reviewed": lang.reviewed} for lang in inputs.languages],
        "pages": sum(len(json.loads(site.read(b.removeprefix(renderer.base).lstrip("/")))["pages"]) for b in bundles.values()),
        "public_url": renderer.base_url,
        "public_url_configured": bool(cfg.public_url),
        "base_path": renderer.base,
    }
    site.add(metadata.INFO_FILE, metadata.dumps(info))
    if progress is not None:
        progress.rendered(counts)
    return site, info


def build(cfg: Config, out: Path, stream: TextIO | None = None) -> dict[str, Any]:
    """Build a release into `out` (replacing it), reusing the render cache of the data directory; return
    release.json's data, with the one-line summary as "built". Progress goes to <data>/progress.json (and `stream`)."""
    inputs = load_inputs(cfg)
    progress = Progress("build", len(inputs.languages), cfg.data / PROGRESS_RECORD, stream)
    try:
        site, info = render(inputs, _usable_cache(cfg), default_jobs(), progress)
        write_release(site, out)
    except BaseException:
        progress.finish("build failed", "failed")
        raise
    progress.finish(progress.summary())
    return {**info, "built": progress.summary()}


def render_cache(cfg: Config) -> RenderCache:
    return RenderCache(cfg.data / "cache")


def _usable_cache(cfg: Config) -> RenderCache | None:
    """The data directory's render cache, or None where it cannot be written (`build --out` still works)."""
    cache = render_cache(cfg)
    try:
        cache.root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return cache if os.access(cache.root, os.W_OK) else None


def ensure_release(cfg: Config) -> tuple[Path, dict[str, Any], bool]:
    """Return the intact release built from the current source, building it if needed: (dir, info, built)."""
    inputs = load_inputs(cfg)
    for release_dir in sorted(p for p in cfg.releases.glob("*") if p.is_dir() and metadata.is_release_name(p.name)):
        try:
            info = metadata.read_info(release_dir)
        except ValueError:
            continue
        if info.get("source") == inputs.source and not metadata.verify(release_dir):
            return release_dir, info, False
    site, info = render(inputs, render_cache(cfg), default_jobs())
    dest = cfg.releases / info["id"]
    if not dest.exists() or metadata.verify(dest):
        write_release(site, dest, link=True, shared=True)
    return dest, info, True
