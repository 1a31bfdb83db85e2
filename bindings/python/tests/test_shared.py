"""`Limiter(shared=path)`: one bucket for every process that opens the file."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

import weir

S = 1_000_000_000
BURST = 600


def _spend(path: str, attempts: int) -> int:
    lim = weir.Limiter(rate=1, per=1, burst=BURST, shared=path)
    # One instant for every process: nothing refills meanwhile, so together
    # they admit exactly the burst, whatever the interleaving.
    return sum(1 for _ in range(attempts) if lim.try_acquire(1, 9 * S))


def test_processes_spend_one_bucket_exactly(tmp_path: Path) -> None:
    path = str(tmp_path / "api.limit")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        admitted = pool.starmap(_spend, [(path, 400)] * 3)
    assert sum(admitted) == BURST


def test_openers_in_one_process_share_state(tmp_path: Path) -> None:
    path = tmp_path / "one"
    a = weir.Limiter(10, burst=3, shared=path)
    b = weir.Limiter(10, burst=3, shared=str(path))
    assert a.try_acquire(2, 5 * S)
    assert b.try_acquire(1, 5 * S)
    refused = a.try_acquire(1, 5 * S)
    assert refused.reason == "rate_limited" and refused.retry_after_ns == S // 10
    assert os.fspath(a.shared) == str(path)
    assert "shared=" in repr(a)
    assert weir.Limiter(10).shared is None
    # state/restore reach every opener
    b.restore(0)
    assert a.state() == 0 and a.try_acquire(3, 5 * S)


def test_a_different_configuration_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "cfg"
    weir.Limiter(10, burst=3, shared=path)
    with pytest.raises(weir.ConfigError, match=r"Limiter: burst must be equal to the shared limiter's 3") as e:
        weir.Limiter(10, burst=4, shared=path)
    assert e.value.field == "burst"
    with pytest.raises(weir.ConfigError) as e:
        weir.Limiter(20, burst=3, shared=path)
    assert e.value.field == "rate"


def test_bad_files_and_paths(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.write_bytes(b"not a limiter")
    with pytest.raises(ValueError, match="is not a weir shared limiter"):
        weir.Limiter(10, shared=foreign)
    assert foreign.read_bytes() == b"not a limiter"
    with pytest.raises(OSError, match="open of"):
        weir.Limiter(10, shared=tmp_path / "missing-dir" / "x")
    with pytest.raises(weir.ConfigError) as e:
        weir.Limiter(10, shared=42)  # type: ignore[arg-type]
    assert e.value.field == "shared"
    with pytest.raises(weir.ConfigError) as e:
        weir.Limiter(10, burst=0, shared=tmp_path / "never")
    assert e.value.field == "burst"
    assert not (tmp_path / "never").exists()


def test_decisions_are_taken_on_clock_monotonic(tmp_path: Path) -> None:
    lim = weir.Limiter(rate=1, per=1, burst=1, shared=tmp_path / "clock")
    before = time.monotonic_ns()
    assert lim.try_acquire()
    after = time.monotonic_ns()
    # The state is the instant the bucket is full again: now + 1 s, on the
    # clock every process sharing the file reads.
    assert before + S <= lim.state() <= after + S


def test_the_workers_example_admits_one_limiters_worth() -> None:
    import re
    import subprocess
    import sys

    example = Path(__file__).resolve().parent.parent / "examples" / "workers.py"
    start = time.monotonic()
    out = subprocess.run([sys.executable, str(example)], check=True, capture_output=True, text=True).stdout
    elapsed = time.monotonic() - start
    total = int(re.search(r"= (\d+);", out).group(1))  # type: ignore[union-attr]
    # Four unshared limiters would admit about four times this.
    assert 10 <= total <= 10 + 50 * elapsed, out
