"""Helpers shared by the benchmark scripts: fresh-process runs, peak memory, metrics.

Every timed fit runs in its own Python process, so one fit's allocations, thread pools and
imports never colour the next one. Inside that process, peak memory of the fit is measured as
the resident-set high-water mark during the fit minus the resident set just before it:

* on Linux the kernel's high-water mark (VmHWM) is reset right before the fit by writing ``5``
  to ``/proc/self/clear_refs`` and read from ``/proc/self/status`` right after it, which
  catches every peak however short;
* elsewhere (or where clear_refs is not writable) a background thread samples the resident
  set every 2 ms (psutil when present), which can miss peaks shorter than that.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_DATA = ROOT.parent / "shared" / "bench" / "vcm_data.py"
RESULT_TAG = "BENCH-RESULT "
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def load_module(path, name):
    """Import a Python file by path (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_data_against_shared(sizes, tasks=("reg", "clf"), seed=0) -> str:
    """Compare benchmarks/vcm_data.py with ../shared/bench/vcm_data.py array by array.

    Returns a one-line status; raises SystemExit when the two differ.
    """
    import numpy as np

    if not SHARED_DATA.exists():
        return f"data: {SHARED_DATA} not present; using benchmarks/vcm_data.py as is"
    local = load_module(HERE / "vcm_data.py", "vcm_data_local")
    shared = load_module(SHARED_DATA, "vcm_data_shared")
    for n in sizes:
        for task in tasks:
            a, b = local.make_data(n, task=task, seed=seed), shared.make_data(n, task=task, seed=seed)
            if sorted(a) != sorted(b):
                raise SystemExit(f"benchmarks/vcm_data.py returns keys {sorted(a)}, the shared one {sorted(b)}")
            for key in b:
                if a[key].dtype != b[key].dtype or not np.array_equal(a[key], b[key]):
                    raise SystemExit(f"benchmarks/vcm_data.py differs from {SHARED_DATA} in {key!r} "
                                     f"(n={n}, task={task}, seed={seed})")
    return (f"data: benchmarks/vcm_data.py reproduces ../shared/bench/vcm_data.py exactly "
            f"(n in {list(sizes)}, tasks {list(tasks)}, seed {seed})")


# ---- memory ------------------------------------------------------------------------------
def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _rss_bytes() -> int:
    kb = _status_kb("VmRSS")
    if kb is not None:
        return kb * 1024
    try:
        import psutil

        return psutil.Process().memory_info().rss
    except ImportError:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class PeakMemory:
    """Context manager: ``peak`` = high-water resident set during the block minus the resident
    set on entry (bytes); ``method`` says how it was measured."""

    def __enter__(self):
        self.before = _rss_bytes()
        self.method = "poll"
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            if _status_kb("VmHWM") is not None:
                self.method = "vmhwm"
        except OSError:
            pass
        if self.method == "poll":
            self._high = self.before
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            self._high = max(self._high, _rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self.method == "vmhwm":
            high = _status_kb("VmHWM") * 1024
        else:
            self._stop.set()
            self._thread.join()
            high = max(self._high, _rss_bytes())
        self.peak = max(0, high - self.before)
        return False


class Timer:
    """Wall-clock and process-CPU seconds of a block (CPU summed over threads)."""

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        return False


# ---- metrics -----------------------------------------------------------------------------
def auc(y, score) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half)."""
    import numpy as np
    from scipy.stats import rankdata

    y = np.asarray(y) > 0.5
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# ---- fresh-process runs -------------------------------------------------------------------
def child_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def emit(result: dict) -> None:
    """Called in the child: hand one result back to the parent on stdout."""
    sys.stdout.write("\n" + RESULT_TAG + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_child(script: Path, job: dict, threads: int, timeout: float, cwd) -> dict:
    """Run ``script --child JSON`` in a fresh interpreter and return the result it emits.

    On failure the returned dict has ``error`` set (the child's last lines of output).
    """
    cmd = [sys.executable, str(script), "--child", json.dumps(job)]
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=child_env(threads), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**job, "error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {**job, "error": f"exit {proc.returncode}: " + " | ".join(tail)}


def machine_line(threads: int) -> str:
    import platform

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return (f"machine: {platform.machine()}, {os.cpu_count()} logical cores, threads={threads}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (timings are only comparable "
            f"on an otherwise idle machine), Python {platform.python_version()}")
