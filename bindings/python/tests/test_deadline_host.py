from __future__ import annotations

import time

import pytest

import weir


def test_grpc_timeout_round_trip() -> None:
    assert weir.parse_grpc_timeout("100m") == pytest.approx(0.1)
    assert weir.parse_grpc_timeout("5S") == 5.0
    assert weir.format_grpc_timeout(0.095) == "95000000n"
    assert weir.format_grpc_timeout(3600) == "3600000m"
    with pytest.raises(ValueError, match="invalid_unit"):
        weir.parse_grpc_timeout("100x")
    with pytest.raises(ValueError, match="empty"):
        weir.parse_grpc_timeout("")


def test_retry_after_parsing() -> None:
    assert weir.parse_retry_after("120") == 120.0
    assert weir.parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now_unix=784_111_770) == 7.0
    with pytest.raises(ValueError, match="invalid_date"):
        weir.parse_retry_after("-1")


def test_deadline_budget() -> None:
    policy = weir.Deadline(timeout=0.3, margin=0.005)
    assert policy.budget() == pytest.approx(0.295)
    own = weir.deadline_from_grpc_timeout("100m", now=0)
    assert own == 100_000_000
    assert policy.budget(own, now=0) == pytest.approx(0.095)
    with pytest.raises(weir.DeadlineExceeded):
        policy.budget(own, now=96_000_000)
    assert weir.Deadline().budget() == float("inf")
    assert policy.budget_ns(own, 0) == 95_000_000


def test_host_glue() -> None:
    # Pinned in weir-host: every runtime hashes keys to these values.
    assert weir.hash_key("") == 0xF52A15E9A9B5E89B
    assert weir.hash_key("a") == 0x02C0BDBF481420F8
    assert weir.hash_key("tenant-7") == 0xD410A48A2F93679A
    assert weir.hash_key(b"10.0.0.1") == 0x7FB1B600F0F5C6D3
    a, b = weir.monotonic_ns(), time.monotonic_ns()
    assert abs(b - a) < 50_000_000, "the default clock is time.monotonic_ns()'s"
    draws = {weir.draw() for _ in range(100)}
    assert len(draws) == 100 and all(0 <= d < 2**64 for d in draws)


def test_nanos() -> None:
    n = weir.Nanos(5)
    assert int(n) == 5 and n.ns == 5 and n == weir.Nanos(5) and repr(n) == "weir.Nanos(5)"


def test_keys_hash_as_utf8_bytes() -> None:
    assert weir.hash_key("tenant-é") == weir.hash_key("tenant-é".encode())
    assert weir.hash_key("鍵") == weir.hash_key("鍵".encode())
    with pytest.raises(UnicodeEncodeError):
        weir.hash_key("\udc80")  # a lone surrogate has no UTF-8 form
