"""Runs bad-input cases (tests/bad_input_cases.py) in worker processes: each worker runs a
batch of cases in turn and reports each outcome as a JSON line as soon as it has one, so a
crash (a signal, an abort) or a hang fails only the case in progress; the rest of the batch
continues in a fresh worker."""
from __future__ import annotations

import concurrent.futures
import json
import os
import pathlib
import queue
import subprocess
import sys
import threading

HERE = pathlib.Path(__file__).resolve().parent
CASE_TIMEOUT = 60.0  # seconds for one case (each runs on a few dozen rows)

WORKER = r"""
import json, sys, warnings
sys.path.insert(0, sys.argv[1])
import bad_input_cases as b
cases = b.by_name()
for name in sys.argv[2:]:
    print(json.dumps({"start": name}), flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome, detail = b.run_case(cases[name])
    print(json.dumps({"name": name, "outcome": outcome, "detail": detail}), flush=True)
"""


def _run_batch(names: list[str], python: str) -> dict[str, tuple[str, str]]:
    results: dict[str, tuple[str, str]] = {}
    pending = list(names)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           "PYTHONFAULTHANDLER": "1"}
    while pending:
        proc = subprocess.Popen([python, "-c", WORKER, str(HERE), *pending], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd="/")
        current = None
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)], daemon=True)
        reader.start()
        try:
            while True:
                try:
                    line = lines.get(timeout=CASE_TIMEOUT)
                except queue.Empty:
                    proc.kill()
                    proc.wait()
                    results[current or pending[0]] = ("timeout", f"no outcome within {CASE_TIMEOUT:.0f} s")
                    break
                if line is None:
                    proc.wait()
                    if current is not None:
                        err = proc.stderr.read()[-2000:]
                        results[current] = ("crash", f"the process ended with code {proc.returncode}: {err}")
                    break
                msg = json.loads(line)
                if "start" in msg:
                    current = msg["start"]
                else:
                    results[msg["name"]] = (msg["outcome"], msg["detail"])
                    current = None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=5)
            proc.stdout.close()
            proc.stderr.close()
        pending = [n for n in pending if n not in results]
    return results


def run_all(names: list[str], python: str = sys.executable, jobs: int = 2) -> dict[str, tuple[str, str]]:
    batches = [names[i::jobs] for i in range(jobs)]
    out: dict[str, tuple[str, str]] = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for part in pool.map(lambda b: _run_batch(b, python), batches):
            out.update(part)
    return {n: out[n] for n in names}
