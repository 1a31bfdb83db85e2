"""One rate limit for every worker process of a service, with no server:
the limiter's state lives in a file each worker maps (as gunicorn or uWSGI
workers would, each opening it after the fork).

    python examples/workers.py
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time

import weir

RATE, BURST, WORKERS = 50, 10, 4


def worker(path: str, seconds: float) -> int:
    api = weir.Limiter(rate=RATE, per=1.0, burst=BURST, shared=path)
    admitted = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if api.try_acquire():
            admitted += 1
        else:
            time.sleep(0.001)
    return admitted


def main() -> None:
    path = os.path.join(tempfile.mkdtemp(prefix="weir-"), "api.limit")
    seconds = 1.0
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        counts = pool.starmap(worker, [(path, seconds)] * WORKERS)
    # Together the workers get one limiter's worth: the burst plus `RATE`
    # per second, not WORKERS times that.
    print(f"{WORKERS} workers admitted {counts} = {sum(counts)}; one limiter allows {BURST} + {RATE}/s x {seconds:.0f} s")
    os.remove(path)


if __name__ == "__main__":
    main()
