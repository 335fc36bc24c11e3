"""`python serve.py [command]`: the one entry point.

    serve      (default) build when the source changed, then serve the release
    build      build a release into --out DIR: a static site any file server can serve
    check      validate content and catalogs; list missing links, stale pages, draft catalogs
    extract    regenerate locales/messages.pot and merge it into every catalog
    status     a table per language: translated, fuzzy, untranslated, percent, reviewed or draft

Bad input ends with `file:line: what` on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import build as building
from .catalog import extract
from .config import SETTINGS, Config
from .content import load
from .errors import Collector, ContentError
from .i18n import catalog_problems, discover, status


def _settings_epilog() -> str:
    lines = ["settings (a flag wins over its environment variable):"]
    for s in SETTINGS:
        lines.append(f"  --{s.name.replace('_', '-'):<12} {s.env:<18} {s.help} (default: {s.default or 'none'})")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    for s in SETTINGS:
        if s.name in {"host", "port", "access_log"}:
            continue
        common.add_argument(
            f"--{s.name.replace('_', '-')}", dest=s.name, metavar=s.name.upper(), default=argparse.SUPPRESS, help=f"{s.help} [{s.env}]"
        )
    serve_opts = argparse.ArgumentParser(add_help=False)
    serve_opts.add_argument("--host", default=argparse.SUPPRESS, help="address to listen on [PUENTE_HOST] (default 127.0.0.1)")
    serve_opts.add_argument("--port", default=argparse.SUPPRESS, help="port to listen on [PUENTE_PORT] (default 8000)")
    serve_opts.add_argument(
        "--access-log", dest="access_log", action="store_const", const="on", default=argparse.SUPPRESS,
        help="log each request with the visitor's address [PUENTE_ACCESS_LOG] (default off, for privacy)",
    )
    top = argparse.ArgumentParser(
        prog="serve.py",
        description="Puente: rights and services for immigrant families, offline, in their language.",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common, serve_opts],
    )
    sub = top.add_subparsers(dest="command", metavar="command")
    sub.add_parser("serve", parents=[common, serve_opts], help="build if needed, then serve (the default)")
    b = sub.add_parser("build", parents=[common], help="build a static release into a directory")
    b.add_argument("--out", required=True, type=Path, help="directory to write the release to (replaced if it exists)")
    c = sub.add_parser("check", parents=[common], help="validate content and catalogs; report warnings")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    sub.add_parser("extract", parents=[common], help="regenerate messages.pot and merge it into every .po")
    st = sub.add_parser("status", parents=[common], help="translation status per language")
    st.add_argument("--json", action="store_true", help="print the table as JSON")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "serve"
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    try:
        cfg = Config.load(overrides)
    except ValueError as e:
        print(f"serve.py: {e}", file=sys.stderr)
        return 2
    try:
        if command == "build":
            return cmd_build(cfg, args.out)
        if command == "check":
            return cmd_check(cfg, args.json)
        if command == "extract":
            return cmd_extract(cfg)
        if command == "status":
            return cmd_status(cfg, args.json)
        return cmd_serve(cfg)
    except ContentError as e:
        print(f"serve.py {command}: the content has problems; nothing was changed.", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


def cmd_build(cfg: Config, out: Path) -> int:
    started = time.perf_counter()
    info = building.build(cfg, out)
    took = time.perf_counter() - started
    langs = ", ".join(lang["tag"] for lang in info["languages"])
    print(f"built release {info['id']} into {out}: {info['pages']} pages in {langs} ({took:.1f}s)")
    return 0


def cmd_extract(cfg: Config) -> int:
    report = extract(cfg)
    print(f"wrote {cfg.locales / 'messages.pot'}")
    for lang, counts in report.items():
        print(f"  {lang}: {counts['kept']} kept, {counts['new']} new, {counts['fuzzy']} fuzzy, {counts['obsolete']} obsolete")
    return 0


def status_rows(cfg: Config) -> list[dict[str, object]]:
    rows = []
    for lang in discover(cfg.locales):
        if lang.is_source:
            continue
        st = status(lang)
        rows.append(
            {
                "language": lang.tag,
                "name": lang.native_name,
                "english_name": lang.english_name,
                "translated": st.translated,
                "fuzzy": st.fuzzy,
                "untranslated": st.untranslated,
                "percent": round(st.percent, 1),
                "review": "reviewed" if lang.reviewed else "draft",
            }
        )
    return rows


def cmd_status(cfg: Config, as_json: bool) -> int:
    rows = status_rows(cfg)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"{'language':<10} {'translated':>10} {'fuzzy':>6} {'untranslated':>12} {'percent':>8}  review")
    for r in rows:
        print(f"{r['language']:<10} {r['translated']:>10} {r['fuzzy']:>6} {r['untranslated']:>12} {r['percent']:>7.1f}%  {r['review']}")
    return 0


def check_report(cfg: Config) -> dict[str, list[str]]:
    """Validate everything; raise ContentErrors listing every error; return warnings a person should act on."""
    problems = Collector()
    content = None
    try:
        content = load(cfg.content)
    except ContentError as e:
        problems.catch(e)
    for path in sorted(cfg.locales.glob("*/LC_MESSAGES/messages.po")):
        problems.problems.extend(catalog_problems(path))
    problems.raise_if_any()
    assert content is not None
    languages = discover(cfg.locales)
    return {
        "missing_links": [f"{f}:{line}: link missing in the source: {text}" for f, line, text in content.missing_links()],
        "past_review": [f"{p.file}: past its review date {p.review_by}" for p in content.pages if cfg.today > p.review_by],
        "draft_catalogs": [f"{lang.catalog}: draft, not yet reviewed by a person" for lang in languages if not lang.reviewed],
        "incomplete_catalogs": [
            f"{row['language']}: {row['untranslated']} untranslated, {row['fuzzy']} fuzzy (shown in English)"
            for row in status_rows(cfg)
            if row["untranslated"] or row["fuzzy"]
        ],
    }


def cmd_check(cfg: Config, as_json: bool) -> int:
    report = check_report(cfg)
    if as_json:
        print(json.dumps({"ok": True, "warnings": report}, indent=1))
        return 0
    print("content and catalogs are valid")
    for kind, items in report.items():
        if items:
            print(f"{kind.replace('_', ' ')} ({len(items)}):")
            for item in items:
                print(f"  {item}")
    return 0


def cmd_serve(cfg: Config) -> int:
    import uvicorn

    from .app import create_app

    started = time.perf_counter()
    release_dir, info, built = ensure_current(cfg)
    how = "built" if built else "reused"
    print(f"{how} release {info['id']} in {time.perf_counter() - started:.1f}s; serving http://{cfg.host}:{cfg.port}/", flush=True)
    app = create_app(release_dir, info["id"], [lang["tag"] for lang in info["languages"]])
    uvicorn.run(app, host=cfg.host, port=cfg.port, access_log=cfg.access_log, log_level="info", server_header=False)
    return 0


def ensure_current(cfg: Config) -> tuple[Path, dict[str, object], bool]:
    """Build the release for the current source if needed and mark it current."""
    release_dir, info, built = building.ensure_release(cfg)
    building.set_current(cfg, str(info["id"]))
    return release_dir, info, built
