"""Seeded key hashes: host/tests/vectors/key-hash.json replayed, and the
attack a seed stops (keys crafted offline to fill a victim's set)."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Callable, Dict, List, Optional

import pytest

import weir

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "host" / "tests" / "vectors" / "key-hash.json"
HOUR = 3600


def _cases() -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 18
    return cases


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['secret']!r}-{c['key']!r}")
def test_key_hash_vectors(case: Dict[str, Any]) -> None:
    assert weir.hash_key(case["key"], seed=case["secret"]) == int(case["seeded"])
    assert weir.hash_key(case["key"].encode(), seed=case["secret"].encode()) == int(case["seeded"])
    assert weir.hash_key(case["key"]) == int(case["unseeded"])
    assert weir.hash_key(case["key"], seed=None) == int(case["unseeded"])


def _set_of(h: int, sets: int) -> int:
    """Core's keyed-table placement (weir_core::limiter::set_index), as an
    attacker reading the source writes it."""
    mixed = ((h * 0x9E3779B97F4A7C15) & (2**64 - 1)) >> 32
    return (mixed * sets) >> 32


def _crafted(hash_of: Callable[[str], int], victim: str, sets: int, ways: int = 8) -> List[str]:
    """The first `ways` candidates that land in the victim's set under `hash_of`."""
    target = _set_of(hash_of(victim), sets)
    keys: List[str] = []
    i = 0
    while len(keys) < ways:
        key = f"attacker-{i}"
        if _set_of(hash_of(key), sets) == target:
            keys.append(key)
        i += 1
    return keys


def _victim_after(keys: List[str], seed: Optional[str]) -> weir.Decision:
    """The issue's table: 1 per hour, burst 1, 1024 keys (128 sets of 8).
    Each crafted key takes its one token, then the victim asks."""
    table = weir.KeyedLimiter(rate=1, per=HOUR, burst=1, capacity=1024, seed=seed)
    for key in keys:
        assert table.try_acquire(key)
    return table.try_acquire("tenant-7")


def test_crafted_keys_fill_the_victims_set_without_a_seed() -> None:
    keys = _crafted(weir.hash_key, "tenant-7", 128)
    d = _victim_after(keys, seed=None)
    assert not d and d.reason == "table_full"
    assert d.retry_after > HOUR / 2


def test_crafted_keys_fill_the_victims_set_under_a_seed_the_attacker_knows() -> None:
    known = "a seed checked into a public repository"
    keys = _crafted(lambda k: weir.hash_key(k, seed=known), "tenant-7", 128)
    d = _victim_after(keys, seed=known)
    assert not d and d.reason == "table_full"


def test_under_a_secret_seed_the_victims_first_request_is_admitted() -> None:
    secret = "the deployment's own secret"
    for keys in (
        _crafted(weir.hash_key, "tenant-7", 128),
        _crafted(lambda k: weir.hash_key(k, seed="a seed the attacker guessed"), "tenant-7", 128),
    ):
        assert _victim_after(keys, seed=secret)


def test_a_seeded_table_hashes_every_key_form_under_its_seed() -> None:
    table = weir.KeyedLimiter(1, per=HOUR, burst=1, capacity=64, seed=b"s3cret")
    assert table.try_acquire("alice", 1, 0)
    assert not table.try_acquire(b"alice", 1, 0)
    assert not table.try_acquire_hashed(weir.hash_key("alice", seed="s3cret"), 1, 0)
    # The public hash of the same key is another key in a seeded table.
    assert table.try_acquire_hashed(weir.hash_key("alice"), 1, 0)


def test_a_seeded_single_flight_shares_one_flight_per_key() -> None:
    flights = weir.SingleFlight(16, seed="s3cret")
    assert flights._table._hash("k") == weir.hash_key("k", seed="s3cret")
    assert flights._table._hash(b"k") == flights._table._hash("k")
    role, ticket, lead = flights._join("k")
    follower_role, follower_ticket, _ = flights._join(b"k")
    assert (role, follower_role) == ("leader", "follower")
    assert ticket == follower_ticket
    assert lead is not None
    flights._finish(ticket, lead)
    flights._leave(follower_ticket, lead)
    assert flights.in_flight == 0
    assert flights.do("k", lambda: 42) == 42


@pytest.mark.parametrize("make", [lambda s: weir.KeyedLimiter(1, seed=s), lambda s: weir.SingleFlight(seed=s)])
def test_an_empty_secret_is_refused_by_name(make: Callable[[Any], Any]) -> None:
    for empty in ("", b""):
        with pytest.raises(weir.ConfigError) as e:
            make(empty)
        assert e.value.field == "seed"
        assert "non-empty secret" in str(e.value)


def test_a_seed_of_another_type_is_refused_without_echoing_it() -> None:
    with pytest.raises(TypeError, match="seed must be str or bytes, got int"):
        weir.KeyedLimiter(1, seed=12345678)
    with pytest.raises(TypeError, match="seed must be str or bytes"):
        weir.hash_key("k", seed=3.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed"):
        weir.SingleFlight(seed=["x"])  # type: ignore[arg-type]
