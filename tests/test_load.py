"""Load against the real server on loopback: many concurrent clients, none fails; and a publish
during the load, after which every response is wholly one release's file or wholly the other's.

The 500-client, 30-second run is tests/bench/load30.py; these are its short versions, with the
same assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import ROOT, TODAY, Server, seed, start_puente
from .load import Recorder, Snapshot, run_load, served_release

pytestmark = pytest.mark.timing  # hundreds of clients and their time limits: alone, after the rest (tests/run.sh)


def test_200_clients_for_3_seconds_none_fails(live_server: Server) -> None:
    snap = Snapshot.of(served_release(live_server.url, live_server.log.parent / "var"))
    recorder = Recorder()
    stats = run_load(live_server.url, clients=200, seconds=3, paths=[*snap.urls(), "/api/release"], check=recorder)
    print(stats.summary())
    assert stats.failed == 0, stats.failures[:10]
    assert stats.requests >= 200 and stats.statuses == {200: stats.requests}
    wrong = [(url, enc) for url, enc, digest, etag, body in recorder.seen
             if not url.startswith("/api/") and not snap.serves(url, enc, digest, etag)]
    assert wrong == [], f"{len(wrong)} answers are not the release's file: {wrong[:5]}"


def test_a_publish_during_load_switches_whole_releases_and_fails_nothing(tmp_path: Path, copy_content: Path, release_dir: Path) -> None:
    server = start_puente(tmp_path, "--content", str(copy_content), *seed(tmp_path, release_dir))  # no build before the load
    try:
        before = Snapshot.of(served_release(server.url, tmp_path / "var"))
        page = copy_content / "pages" / "rights" / "school.md"
        page.write_text(page.read_text() + "\nThis paragraph was published while two hundred phones were reading.\n")
        published = threading.Event()
        stop = threading.Event()
        outcome: dict[str, object] = {}

        def publish() -> None:
            time.sleep(1.0)  # the load is under way
            env = {**os.environ, "PUENTE_TODAY": TODAY.isoformat()}
            cmd = [sys.executable, str(ROOT / "serve.py"), "publish", "--as", "load-test", "--content", str(copy_content),
                   "--data", str(tmp_path / "var")]
            outcome["publish"] = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
            published.set()
            time.sleep(2.0)  # and goes on a while on the new release
            stop.set()

        recorder = Recorder()
        worker = threading.Thread(target=publish)
        worker.start()
        stats = run_load(server.url, clients=150, seconds=240, paths=[*before.urls(), "/api/release"], check=recorder, stop=stop)
        worker.join()
        print(stats.summary())
        result = outcome["publish"]
        assert isinstance(result, subprocess.CompletedProcess) and result.returncode == 0, getattr(result, "stderr", result)
        after = Snapshot.of(served_release(server.url, tmp_path / "var"))
        assert after.id != before.id
    finally:
        server.stop()

    assert stats.failed == 0, stats.failures[:10]
    counts = {before.id: 0, after.id: 0}
    mixed = []
    for url, enc, digest, etag, body in recorder.seen:
        if url == "/api/release":
            counts[json.loads(body)["release"]] += 1
            continue
        if url.startswith("/api/"):
            continue
        in_before, in_after = before.serves(url, enc, digest, etag), after.serves(url, enc, digest, etag)
        if not (in_before or in_after):
            mixed.append(url)
    assert mixed == [], f"{len(mixed)} answers belong to neither release whole: {mixed[:5]}"
    assert counts[before.id] > 0 and counts[after.id] > 0, f"the switch did not happen during the load: {counts}"
    changed = "/en/rights/school/"
    bodies = {digest for url, enc, digest, _, _ in recorder.seen if url == changed and enc == "br"}
    assert bodies == {before.files[(changed, "br")][0], after.files[(changed, "br")][0]}, "the changed page was not seen in both versions"
