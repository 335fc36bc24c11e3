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
      api/hsds/organizations.json       the directory as Open Referral HSDS 3.0 (web/app.py serves it)
      *.br, *.gz                        beside every text file (whitenoise's compressor)

A release directory is named by the hash of its content, so building the same source twice
gives the same id. Nothing is written where it can be served until the whole release is
complete: errors leave no release behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whitenoise.compress import Compressor

from ..config import Config
from ..content import hsds
from ..i18n import Language, raise_problems
from ..policy import HEADERS_FILE, digest, hashed_name, static_headers
from . import metadata, pages, share, worker
from .inputs import Inputs, load_inputs
from .renderer import Renderer

NOT_PRECACHED = {"print.css", "icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png"}
TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".webmanifest", ".svg", ".txt", ".vcf"}


@dataclass
class Site:
    """Files of a release being built, in memory until written."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, rel: str, data: str | bytes) -> str:
        body = data.encode("utf-8") if isinstance(data, str) else data
        self.files[rel] = body
        return digest(body)


def hash_assets(cfg: Config, site: Site) -> dict[str, str]:
    """Copy pwa/static into static/ with content hashes in the names; return logical name -> URL."""
    urls = {}
    root = cfg.pwa / "static"
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            data = path.read_bytes()
            hashed = hashed_name(rel, data)
            site.add(f"static/{hashed}", data)
            urls[rel] = f"/static/{hashed}"
    return urls


def _language(site: Site, renderer: Renderer, lang: Language) -> str:
    """Render one language into the site; return the URL of its bundle."""
    lr = renderer.language(lang)
    index_name, index = pages.search_index(lr)
    entries = []
    for path, html in pages.pages(lr, index_name):
        entries.append([f"/{lang.tag}/{path}", site.add(f"{lang.tag}/{path}index.html", html)])
    for path, text in [*pages.files(lr), (index_name, index)]:
        entries.append([f"/{lang.tag}/{path}", site.add(f"{lang.tag}/{path}", text)])
    site.add(f"{lang.tag}/404.html", pages.not_found(lr))
    site.add(f"{lang.tag}/manifest.webmanifest", pages.manifest(lr))
    for path, html in share.print_pages(lr):  # for printing on a desk: not precached on phones
        site.add(f"{lang.tag}/{path}index.html", html)
    bundle = json.dumps({"lang": lang.tag, "pages": entries}, ensure_ascii=False, separators=(",", ":"))
    name = f"{lang.tag}/bundle.{digest(bundle.encode())}.json"
    site.add(name, bundle)
    return "/" + name


def render(inputs: Inputs) -> tuple[Site, dict[str, Any]]:
    """Validate the catalogs and render the whole release in memory; raise ContentErrors on bad input."""
    cfg, content = inputs.cfg, inputs.content
    raise_problems(list(inputs.catalogs))
    site = Site()
    assets = hash_assets(cfg, site)
    renderer = Renderer(inputs, assets)
    bundles = {lang.tag: _language(site, renderer, lang) for lang in inputs.languages}
    chooser = {"site_name": content.site.name, "description": content.site.tagline, "languages": inputs.languages, "exit_url": cfg.exit_url}
    chooser_rev = site.add("index.html", renderer.env.get_template("chooser.html").render(**chooser))
    site.add("404.html", renderer.env.get_template("root_not_found.html").render(**chooser))
    site.add(hsds.RELEASE_FILE, hsds.dumps(content))  # served by /api/hsds/organizations.json, never precached
    site.add("share/index.html", share.liaison_page(renderer))
    site.add(HEADERS_FILE, static_headers())  # for static hosts; in no bundle, never served by the app
    site.add("favicon.ico", (cfg.pwa / "static" / "icons" / "icon-192.png").read_bytes())  # for the admin, JSON, vCards

    release_id = digest(b"".join(k.encode() + b"\0" + v + b"\0" for k, v in sorted(site.files.items())))
    # the worker keeps what cached pages use; print.css serves only the flyer and card, which are not precached
    shell = [["/", chooser_rev]] + [[url, url] for name, url in sorted(assets.items()) if name not in NOT_PRECACHED]
    site.add("sw.js", worker.render(cfg.service_worker / "sw.js", worker.config(release_id, shell, bundles)))
    info = {
        "id": release_id,
        "source": inputs.source,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "built_for": cfg.today.isoformat(),
        "languages": [{"tag": lang.tag, "reviewed": lang.reviewed} for lang in inputs.languages],
        "pages": sum(len(json.loads(site.files[b.lstrip("/")])["pages"]) for b in bundles.values()),
        "public_url": renderer.base_url,
        "public_url_configured": bool(cfg.public_url),
    }
    site.add(metadata.INFO_FILE, metadata.dumps(info))
    return site, info


def write_release(site: Site, dest: Path, cache: Path | None = None) -> None:
    """Write the files to a fresh temporary directory beside `dest`, compress, then move into place."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for rel, data in site.files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        compress(tmp, cache)
        metadata.write_manifest(tmp)  # last: it covers every file above, the compressed ones included
        os.chmod(tmp, 0o755)
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def compress(root: Path, cache: Path | None = None) -> None:
    """Write .br and .gz beside every text file (whitenoise's compressor). With a cache directory,
    a file whose content was compressed before (in an earlier release) reuses that result."""
    compressor = Compressor(quiet=True)
    paths = [p for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]

    def one(path: Path) -> None:
        if cache is None:
            compressor.compress(str(path))
            return
        key = hashlib.sha256(path.read_bytes()).hexdigest()
        if not (cache / f"{key}.done").exists():
            work = Path(tempfile.mkdtemp(dir=cache))
            try:
                shutil.copyfile(path, work / "f")
                for out in compressor.compress(str(work / "f")):
                    os.replace(out, cache / f"{key}{Path(out).suffix}")
                (cache / f"{key}.done").touch()
            finally:
                shutil.rmtree(work, ignore_errors=True)
        for suffix in (".br", ".gz"):
            if (cache / f"{key}{suffix}").exists():
                shutil.copyfile(cache / f"{key}{suffix}", str(path) + suffix)

    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, paths))


def build(cfg: Config, out: Path) -> dict[str, Any]:
    """Build a release into `out` (replacing it); return release.json's data."""
    site, info = render(load_inputs(cfg))
    write_release(site, out)
    return info


def ensure_release(cfg: Config) -> tuple[Path, dict[str, Any], bool]:
    """Return the intact release built from the current source, building it if needed: (dir, info, built)."""
    inputs = load_inputs(cfg)
    for release_dir in sorted(p for p in cfg.releases.glob("*") if p.is_dir() and not p.name.startswith(".")):
        try:
            info = metadata.read_info(release_dir)
        except ValueError:
            continue
        if info.get("source") == inputs.source and not metadata.verify(release_dir):
            return release_dir, info, False
    site, info = render(inputs)
    dest = cfg.releases / info["id"]
    if not dest.exists() or metadata.verify(dest):
        write_release(site, dest, cfg.data / "cache" / "compressed")
    return dest, info, True
