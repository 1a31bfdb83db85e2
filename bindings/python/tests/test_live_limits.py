"""Live limits: set_rate / set_burst keep what was spent, callers racing a
change stay exact, and several rates decide all or nothing."""

from __future__ import annotations

import pathlib
import threading

import pytest

import weir


def test_set_rate_keeps_what_was_spent() -> None:
    limiter = weir.Limiter(10, burst=10)
    assert limiter.try_acquire(10)
    limiter.set_rate(100)
    # The 10 tokens spent at 10/s stay spent at 100/s: no new burst, and the
    # next token is due within one new interval (10 ms).
    refused = limiter.try_acquire()
    assert not refused and refused.retry_after <= 0.01
    assert limiter.interval_ns == 10_000_000 and limiter.burst == 10
    limiter.set_burst(20)
    # 10 spent of 20: 10 free, not 20.
    assert not limiter.try_acquire(11), "a larger burst forgot what was spent"
    assert limiter.try_acquire(10)
    limiter.set_rate(1, per=60)
    assert limiter.interval_ns == 60 * 10**9


def test_set_rate_refusals_name_the_field_and_the_value() -> None:
    limiter = weir.Limiter(10)
    with pytest.raises(weir.ConfigError, match=r"rate must be a finite number > 0, got -1") as e:
        limiter.set_rate(-1)
    assert e.value.field == "rate"
    with pytest.raises(weir.ConfigError, match=r"per") as e:
        limiter.set_rate(1, per=0)
    assert e.value.field == "per"
    with pytest.raises(weir.ConfigError, match=r"got 2.5") as e:
        limiter.set_burst(2.5)
    assert e.value.field == "burst"
    assert limiter.interval_ns == 100_000_000 and limiter.burst == 10


def test_keyed_and_shared_set_rate_keep_what_was_spent(tmp_path: pathlib.Path) -> None:
    table = weir.KeyedLimiter(10, burst=10, capacity=8)
    assert table.try_acquire("a", 10)
    table.set_rate(100)
    assert not table.try_acquire("a"), "the change granted key a a token"
    assert table.try_acquire("b", 10), "a new key starts full"
    with pytest.raises(weir.ConfigError):
        table.set_burst(0)

    path = tmp_path / "bucket"
    a = weir.Limiter(10, burst=10, shared=path)
    b = weir.Limiter(10, burst=10, shared=path)
    assert a.try_acquire(10)
    b.set_rate(100)
    assert a.interval_ns == 10_000_000
    refused = a.try_acquire()
    assert not refused and refused.retry_after <= 0.01


def test_threads_racing_a_change_admit_no_more_than_old_before_plus_new_after() -> None:
    # One token an hour, so nothing refills: burst 100 -> 50 while 4 threads
    # spend. At most the old burst passes, at least the new one, and the
    # bucket ends empty.
    for _ in range(10):
        limiter = weir.Limiter(1, per=3600, burst=100)
        admitted = [0] * 4

        def spend(slot: int) -> None:
            for _ in range(60):
                if limiter.try_acquire():
                    admitted[slot] += 1

        threads = [threading.Thread(target=spend, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        limiter.set_burst(50)
        for t in threads:
            t.join()
        assert 50 <= sum(admitted) <= 100, admitted
        assert not limiter.try_acquire()


def test_several_rates_are_all_or_nothing() -> None:
    limiter = weir.MultiLimiter([(10, 1, 5), (2, 3600, 2)])
    assert len(limiter) == 2
    assert limiter.try_acquire(2)
    refused = limiter.try_acquire()
    assert not refused and refused.retry_after > 29 * 60
    # The refusal spent nothing from the per-second rate: once the hourly
    # burst is raised, its 3 remaining tokens all pass.
    limiter.set_burst(1, 5)
    assert limiter.try_acquire(3)
    with pytest.raises(weir.ConfigError) as e:
        limiter.set_rate(7, 1)
    assert e.value.field == "index"
    with pytest.raises(weir.ConfigError) as e:
        weir.MultiLimiter([])
    assert e.value.field == "rates"
    with pytest.raises(weir.ConfigError) as e:
        weir.MultiLimiter([(1, 1, 0)])
    assert e.value.field == "burst"
    with pytest.raises(weir.ConfigError):
        weir.MultiLimiter([(1,)])
