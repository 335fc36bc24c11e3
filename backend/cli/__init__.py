"""`python serve.py [command]`: the one entry point.

    serve      (default) build when the source changed, then serve the release
    build      build a release into --out DIR: a static site any file server can serve
    check      validate content and catalogs; list missing links, stale pages, draft catalogs
    extract    regenerate locales/messages.pot and merge it into every catalog
    publish    check and build the working content, then make it current in one atomic step
    releases   list kept releases; rollback [ID] makes an earlier one current
    verify     check every kept release against its checksums
    admin      accounts: add NAME [--translator LANG,LANG], passwd NAME, remove NAME, role NAME [--translator ...], list,
               sessions [--revoke] [NAME]
    status     a table per language: translated, fuzzy, untranslated, percent, reviewed or draft
    export-hsds   write the service directory as Open Referral HSDS 3.0 JSON (stdout or --out FILE)
    import-hsds   turn an HSDS organization list into content/services/*.toml entries
    nginx-config  print the nginx.conf that serves the current release in front of `serve` (deploy.py)

Bad input ends with `file:line: what` on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from .. import build as building
from .. import releases
from .._files import atomic_write
from ..build.links import unconfigured_warning
from ..checks import check_report, status_rows
from ..config import SETTINGS, Config, install_defaults
from ..content import hsds, load
from ..errors import ContentError
from ..i18n.extract import extract
from .serving import cmd_serve


def _settings_epilog() -> str:
    lines = ["settings (a flag wins over its environment variable):"]
    for s in SETTINGS:
        lines.append(f"  {s.flag:<14} {s.env:<18} {s.help} (default: {s.default or 'none'})")
    return "\n".join(lines)


def _settings_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The flags of every setting (config.SETTINGS): those of every command, and the server's own."""
    common, serve_opts = argparse.ArgumentParser(add_help=False), argparse.ArgumentParser(add_help=False)
    for s in SETTINGS:
        target = serve_opts if s.serve else common
        help_text = f"{s.help} [{s.env}] (default: {s.default or 'none'})"
        if s.switch:
            target.add_argument(s.flag, dest=s.name, action="store_const", const="on", default=argparse.SUPPRESS, help=help_text)
        else:
            target.add_argument(s.flag, dest=s.name, metavar=s.name.upper(), default=argparse.SUPPRESS, help=help_text)
    return common, serve_opts


def parser() -> argparse.ArgumentParser:
    common, serve_opts = _settings_parsers()
    top = argparse.ArgumentParser(
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
    pub = sub.add_parser("publish", parents=[common], help="check and build the working content, then make it current")
    pub.add_argument("--as", dest="who", default=None, help="who is publishing, for the audit log (default: the system user)")
    sub.add_parser("releases", parents=[common], help="list kept releases: id, time, who, what changed per language")
    sub.add_parser("verify", parents=[common], help="check every kept release's files against its checksums")
    rb = sub.add_parser("rollback", parents=[common], help="make an earlier release current (default: the one before)")
    rb.add_argument("release", nargs="?", help="the release id (see `releases`)")
    rb.add_argument("--as", dest="who", default=None, help="who is rolling back, for the audit log")
    adm = sub.add_parser("admin", parents=[common], help="admin accounts: add, passwd, remove, list, sessions (passwords from a prompt or stdin)")
    adm.add_argument("action", choices=["add", "passwd", "remove", "list", "sessions", "role"])
    adm.add_argument("name", nargs="?")
    adm.add_argument("--translator", metavar="LANG,LANG", default=None,
                     help="with `add` or `role`: a translator of these languages only (without it, `role` makes an admin)")
    adm.add_argument("--revoke", nargs="?", const="", metavar="NAME", help="with `sessions`: end every session (of NAME only, when given)")
    st = sub.add_parser("status", parents=[common], help="translation status per language")
    st.add_argument("--json", action="store_true", help="print the table as JSON")
    ex = sub.add_parser("export-hsds", parents=[common], help="write the service directory as Open Referral HSDS 3.0 JSON")
    ex.add_argument("--out", type=Path, help="file to write (default: standard output)")
    im = sub.add_parser("import-hsds", parents=[common], help="turn an HSDS organization list into directory entries")
    im.add_argument("file", type=Path, help="HSDS JSON: an array of organizations, or a page of them ({\"contents\": [...]})")
    im.add_argument("--category", default="", help="category id for services whose HSDS attributes name none of ours")
    im.add_argument("--replace", action="store_true", help="overwrite entries that already exist (same HSDS id or same name)")
    im.add_argument("--dry-run", action="store_true", help="check and list what would be written, write nothing")
    ng = sub.add_parser("nginx-config", parents=[common], help="print an nginx.conf: the release served by nginx, /admin/ and /api/ proxied")
    ng.add_argument("--root", help="the release nginx serves (default: DATA/site, which every publish repoints)")
    ng.add_argument("--upstream", default="127.0.0.1:8000", help="host:port of `serve` (default: 127.0.0.1:8000)")
    for flag, default, what in (("--listen", "80", "address or port to listen on (443 with TLS)"), ("--server-name", "_", "server_name"),
                                ("--tls-cert", "", "certificate file: listen with TLS, send HSTS"), ("--tls-key", "", "its key file"),
                                ("--pid", "/run/nginx.pid", "nginx's pid file"), ("--temp", "/var/lib/nginx", "nginx's buffer folder")):
        ng.add_argument(flag, default=default, help=f"{what} (default: {default or 'none'})")
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
        for made in install_defaults(cfg):
            print(f"first use: copied the default {made}", file=sys.stderr)
        if command == "build":
            return cmd_build(cfg, args.out)
        if command == "check":
            return cmd_check(cfg, args.json)
        if command == "extract":
            return cmd_extract(cfg)
        if command == "status":
            return cmd_status(cfg, args.json)
        if command == "publish":
            return cmd_publish(cfg, args.who or _user())
        if command == "releases":
            return cmd_releases(cfg)
        if command == "rollback":
            return cmd_rollback(cfg, args.release, args.who or _user())
        if command == "verify":
            return cmd_verify(cfg)
        if command == "admin":
            from ..web.admin.accounts import admin_command  # the web layer's modules load only for the commands that use them

            return admin_command(cfg, _user(), args.action, args.name, args.revoke, args.translator)
        if command == "export-hsds":
            return cmd_export_hsds(cfg, args.out)
        if command == "import-hsds":
            return cmd_import_hsds(cfg, args.file, args.category, args.replace, args.dry_run)
        if command == "nginx-config":
            return cmd_nginx_config(cfg, args)
        return cmd_serve(cfg)
    except ContentError as e:
        print(f"serve.py {command}: the content has problems; nothing was changed.", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except releases.PublishError as e:
        print(f"serve.py {command}: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a file the command needed: say which, without a traceback
        print(f"serve.py {command}: {e.strerror or e}: {e.filename or ''}", file=sys.stderr)
        return 1


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_publish(cfg: Config, who: str) -> int:
    record = releases.publish(cfg, who, keep=cfg.keep, stream=sys.stderr)
    print(f"published release {record['id']}: {record['built']}: {record['summary']}")
    return 0


def cmd_releases(cfg: Config) -> int:
    rows = releases.listing(cfg)
    if not rows:
        print("no releases yet: run `python serve.py publish`")
        return 0
    from ..web.admin.dashboard import release_rows

    for r in release_rows(rows):  # newest first; the id is what `rollback ID` takes
        mark = "*" if r["current"] else " "
        by = f" · by {r['by']}" if r["by"] else ""
        detail = f"  ({r['summary']})" if r["summary"] else ""
        print(f"{mark} {r['id']}  {r['label']} · {r['when']}{by} · {r['what']}{detail}")
    return 0


def cmd_rollback(cfg: Config, release_id: str | None, who: str) -> int:
    record = releases.rollback(cfg, who, release_id)
    print(f"release {record['id']} is current again: {record['summary']}")
    return 0


def cmd_verify(cfg: Config) -> int:
    rows = releases.verify_all(cfg)
    for r in rows:
        print(f"{'*' if r['current'] else ' '} {r['id']}  {'damaged' if r['problems'] else 'intact'}")
        print("".join(f"    {problem}\n" for problem in r["problems"][:20]), end="")
    damaged = sum(1 for r in rows if r["problems"])
    if damaged:
        print(f"serve.py verify: {damaged} of {len(rows)} releases are damaged; `serve.py publish` builds a new one", file=sys.stderr)
    else:
        print(f"all {len(rows)} kept releases are intact" if rows else "no releases yet: run `python serve.py publish`")
    return 1 if damaged else 0


def cmd_build(cfg: Config, out: Path) -> int:
    if not cfg.public_url:  # every QR code, flyer and share link would print a loopback address for good
        print(
            "serve.py build: no public URL is set, and a static release prints it in every QR code, flyer, wallet card and share link.\n"
            "  Set the address families will open, with --public-url or PUENTE_PUBLIC_URL, for example:\n"
            f"    serve.py build --out {out} --public-url https://puente.example.org\n"
            "  (to try it on this machine: --public-url http://127.0.0.1:8000). Nothing was written.",
            file=sys.stderr,
        )
        return 2
    info = building.build(cfg, out, stream=sys.stderr)
    print(f"built release {info['id']} into {out} ({len(info['languages'])} languages): {info['built']}")
    if warning := unconfigured_warning(cfg):
        print(warning, file=sys.stderr)
    return 0


def cmd_extract(cfg: Config) -> int:
    report = extract(cfg)
    print(f"wrote {cfg.locales / 'messages.pot'}")
    for lang, counts in report.items():
        print(f"  {lang}: {counts['kept']} kept, {counts['new']} new, {counts['fuzzy']} fuzzy, {counts['obsolete']} obsolete")
    return 0


def cmd_export_hsds(cfg: Config, out: Path | None) -> int:
    text = hsds.dumps(load(cfg.content))
    if out is None:
        sys.stdout.write(text)
        return 0
    atomic_write(out, text)
    print(f"wrote {out}: {json.loads(text)['total_items']} organizations (Open Referral HSDS 3.0)", file=sys.stderr)
    return 0


def cmd_import_hsds(cfg: Config, file: Path, category: str, replace: bool, dry_run: bool) -> int:
    content = load(cfg.content)
    entries, notes = hsds.read(hsds.load_json(file), content, source=str(file), default_category=category)
    for note in notes:
        print(f"  {note}", file=sys.stderr)
    if dry_run:
        for e in entries:
            print(f"would write {cfg.content / 'services' / (e.id + '.toml')} from {e.path}")
        return 0
    written = hsds.write(entries, cfg.content, replace=replace)
    for path in written:
        print(f"wrote {path}")
    print(f"imported {len(written)} entries; run `python serve.py extract` so translators see their text", file=sys.stderr)
    return 0


def cmd_nginx_config(cfg: Config, args: argparse.Namespace) -> int:
    from .deploy import SITE_LINK, Nginx, nginx_conf

    n = Nginx(
        root=args.root or str(cfg.data / SITE_LINK), upstream=args.upstream, listen=args.listen, base=cfg.base_path,
        server_name=args.server_name, tls_certificate=args.tls_cert, tls_key=args.tls_key, pid=args.pid, temp=args.temp,
    )
    sys.stdout.write(nginx_conf(n))
    return 0


def cmd_status(cfg: Config, as_json: bool) -> int:
    rows = status_rows(building.load_inputs(cfg))
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"{'language':<10} {'translated':>10} {'fuzzy':>6} {'untranslated':>12} {'percent':>8}  review")
    for r in rows:
        print(f"{r['language']:<10} {r['translated']:>10} {r['fuzzy']:>6} {r['untranslated']:>12} {r['percent']:>7.1f}%  {r['review']}")
    return 0


def cmd_check(cfg: Config, as_json: bool) -> int:
    report = check_report(building.load_inputs(cfg))
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
