"""Publish at scale: cold publishes, publishes after one changed paragraph, and their peak memory.

    default pack    a copy of content/ and locales/: publish into a fresh data directory (cold), then
                    change one Spanish paragraph in the copy and publish again (incremental)
    100 × 20        the synthetic pack of 100 languages × 20 times the content (_synthetic.py),
                    published cold for real, then again after one paragraph changed in one language

Each publish is `python serve.py publish` in its own process, run as an installed Puente runs: its
modules compiled to bytecode once beforehand (pip does that at install; a machine that sets
PYTHONDONTWRITEBYTECODE, as this one does, would otherwise compile them again in every publish, about
0.3 s). Its wall time and CPU time (user + system, workers included) are measured, and a sampler sums the proportional set size (PSS, from
/proc/<pid>/smaps_rollup) of the process and its workers every 0.2 s: forked workers share the
pages they inherit, so the sum of their RSS would count the inputs once per worker.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import polib
from _servers import ROOT, serve_py

PARAGRAPH_PAGE = "page:rights/connecticut"


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    m = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(m.group(1)) if m else 0


def _tree_pss_kb(pid: int) -> int:
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _pss_kb(p)
        todo += _children(p)
    return total


PYCACHE = Path(tempfile.gettempdir()) / "puente-bench-pycache"


def installed_env() -> dict[str, str]:
    """The environment of a publish as installed: bytecode kept (in a folder of its own), compiled once here."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "backend"), str(ROOT / "serve.py")], env=env, check=True,
                   capture_output=True)
    return env


def run_publish(args: list[str], timeout: float) -> dict[str, Any]:
    """Run `serve.py publish ARGS`; return wall and CPU seconds, exit status, last lines, peak PSS of its tree."""
    env = installed_env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(serve_py("publish", *args, "--as", "bench"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_pss_kb(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, status = (proc.communicate()[0] or "") + f"\nstopped after {timeout:.0f} s", -1
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = (out or "").strip().splitlines()
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "status": status,
        "peak_pss_mb": round(peak[0] / 1024),
        "max_rss_mb": round(after.ru_maxrss / 1024),  # the largest single process of any child so far
        "summary": lines[-1] if lines else "",
        "output": "\n".join(lines[-6:]) if status else "",
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def change_paragraph(locales: Path, tag: str) -> str:
    """Change the translation of one paragraph of rights/connecticut in one catalog; return its msgid."""
    path = locales / tag / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    entry = next(e for e in po if e.msgctxt == PARAGRAPH_PAGE and e.msgstr and not e.obsolete and not e.fuzzy
                 and "](" not in e.msgid and "**" not in e.msgid and len(e.msgid) > 80)
    entry.msgstr = entry.msgstr.rstrip(".") + " (changed by the benchmark)."
    po.save(str(path))
    return entry.msgid


def default_pack(work: Path) -> dict[str, Any]:
    """Cold publish of a copy of the default pack, then a publish after one Spanish paragraph changed."""
    root = work / "publish-default"
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copytree(ROOT / "locales", root / "locales")
    args = ["--data", str(root / "var"), "--content", str(root / "content"), "--locales", str(root / "locales")]
    cold = run_publish(args, 900)
    change_paragraph(root / "locales", "es")
    after = run_publish(args, 900)
    shutil.rmtree(root, ignore_errors=True)
    return {"cold": cold, "one_paragraph": after}


def big_pack(work: Path, content: Path, locales: Path, timeout: float) -> dict[str, Any]:
    """Cold publish of the synthetic pack for real, then one paragraph changed in one of its languages."""
    data = work / "publish-big"
    args = ["--data", str(data), "--content", str(content), "--locales", str(locales)]
    cold = run_publish(args, timeout)
    tag = sorted(p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/messages.po"))[len(list(locales.glob("*/LC_MESSAGES"))) // 2]
    after: dict[str, Any] = {"status": None}
    if cold["status"] == 0:
        change_paragraph(locales, tag)
        after = run_publish(args, timeout)
    after["language"] = tag
    files = sum(1 for _ in (data / "releases").rglob("*")) if (data / "releases").exists() else 0
    shutil.rmtree(data, ignore_errors=True)
    return {"cold": cold, "one_paragraph": after, "release_entries": files}
