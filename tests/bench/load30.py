"""500 concurrent clients for 30 s on loopback against the real server: no request may fail, and
every answer must be the release's own file. With --publish, a publish happens during the load and
every answer must belong wholly to the old release or wholly to the new one.

    python tests/bench/load30.py                      starts `python serve.py` on a free port
    python tests/bench/load30.py --url http://127.0.0.1:8000 --data var
    python tests/bench/load30.py --clients 500 --seconds 30 --publish --json out.json

The suite runs the same checks for a few seconds (tests/test_load.py); the load itself is
tests/load.py's run_load, which tests/bench/run.py can import too. Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import TODAY, start_puente  # noqa: E402
from tests.load import Recorder, Snapshot, run_load, served_release  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--url", help="a server already running on loopback (default: start one)")
    parser.add_argument("--data", type=Path, help="with --url: that server's data directory, to read the release it serves")
    parser.add_argument("--publish", action="store_true", help="publish a one-paragraph change a third of the way through")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.publish and args.url:
        parser.error("--publish starts its own server on a copy of the content; leave out --url")

    work = Path(tempfile.mkdtemp(prefix="puente-load30-"))
    server = None
    try:
        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        if args.url:
            url = args.url.rstrip("/")
            if args.data is None:
                parser.error("--url needs --data")
            before = Snapshot.of(served_release(url, args.data))
        else:
            server = start_puente(work, "--content", str(content))
            url = server.url
            before = Snapshot.of(served_release(url, work / "var"))
        print(f"release {before.id}: {len(before.urls())} URLs; {args.clients} clients for {args.seconds:.0f} s on {url}", flush=True)

        stop = threading.Event()
        outcome: dict[str, object] = {}
        if args.publish:
            page = content / "pages" / "rights" / "school.md"
            page.write_text(page.read_text() + "\nThis paragraph was published during the load test.\n")

            def publish() -> None:
                time.sleep(args.seconds / 3)
                started = time.monotonic()
                env = {**os.environ, "PUENTE_TODAY": TODAY.isoformat()}
                cmd = [sys.executable, str(ROOT / "serve.py"), "publish", "--as", "load30", "--content", str(content),
                       "--data", str(work / "var")]
                outcome["result"] = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
                outcome["seconds"] = time.monotonic() - started

            threading.Thread(target=publish, daemon=True).start()

        recorder = Recorder()
        stats = run_load(url, args.clients, args.seconds, [*before.urls(), "/api/release"], check=recorder, stop=stop)
        print(stats.summary(), flush=True)

        problems = list(stats.failures[:10]) if stats.failed else []
        releases = [before]
        if args.publish:
            result = outcome.get("result")
            if not isinstance(result, subprocess.CompletedProcess) or result.returncode != 0:
                problems.append(f"the publish did not finish within the load: {getattr(result, 'stderr', 'still running')}")
            else:
                assert server is not None
                releases.append(Snapshot.of(served_release(url, work / "var")))
                print(f"published release {releases[1].id} in {outcome['seconds']:.1f} s during the load", flush=True)
        seen = {r.id: 0 for r in releases}
        foreign = []
        for path, encoding, digest, etag, body in recorder.seen:
            if path == "/api/release":
                seen[json.loads(body)["release"]] = seen.get(json.loads(body)["release"], 0) + 1
            elif not path.startswith("/api/") and not any(r.serves(path, encoding, digest, etag) for r in releases):
                foreign.append(path)
        if foreign:
            problems.append(f"{len(foreign)} answers are not wholly one release's file, e.g. {foreign[:5]}")
        if args.publish and len(releases) == 2 and not all(seen.get(r.id) for r in releases):
            problems.append(f"answers did not come from both releases: {seen}")

        figures = {**stats.as_dict(), "releases_seen": seen, "problems": problems}
        if args.publish and "seconds" in outcome:
            figures["publish_seconds"] = round(float(outcome["seconds"]), 1)  # type: ignore[arg-type]
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1) + "\n")
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        print("ok: no request failed" if not problems else f"{len(problems)} problems", flush=True)
        return 1 if problems else 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
