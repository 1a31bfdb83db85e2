"""Reference model of the limiter, keyed limiter and concurrency limiter,
written from the algorithm descriptions in core's docs rather than from the
Rust code. It writes their conformance vectors:

    python3 core/tests/vectors/reference/limiters.py

A vector is the contract; this model is how its expectations were computed
and a second opinion on the Rust arithmetic. Integers above 2^53 are written
as strings, as the vector format requires.
"""
import math

from vector_file import write

MAX = 2**64 - 1
# A TAT stays below 2^63 - 1: the state word's top bit names the live config slot.
TAT_END = 2**63 - 1
S = 10**9
MS = 10**6


# ---- GCRA ---------------------------------------------------------------
class Gcra:
    def __init__(self, rate, period_ns, burst):
        self.interval = -(-period_ns // rate)
        self.tol = self.interval * burst

    def decide(self, tat, now, cost):
        base = max(tat, now)
        ahead = base - now
        tokens = max(0, self.tol - ahead) // self.interval
        inc = self.interval * cost
        if inc > self.tol:
            return tat, dict(reason="cost_exceeds_burst", retry_after=MAX, remaining=tokens, reset_after=ahead)
        new = base + inc
        if new >= TAT_END:
            return tat, dict(reason="time_overflow", retry_after=MAX, remaining=tokens, reset_after=ahead)
        allow_at = max(0, new - self.tol)
        if now < allow_at:
            return tat, dict(reason="rate_limited", retry_after=allow_at - now, remaining=tokens, reset_after=ahead)
        reset = new - now
        return (tat if cost == 0 else new), dict(
            reason="admitted", retry_after=0, remaining=(self.tol - reset) // self.interval, reset_after=reset)


def limiter_vector(name, description, config, calls):
    g = Gcra(config["rate"], config.get("period_ns", S), config["burst"])
    tat, steps = 0, []
    for now, cost in calls:
        tat, d = g.decide(tat, now, cost)
        steps.append({"at": now, "op": "acquire", "args": {"cost": cost}, "expect": d})
    write(name, "limiter", description, config, steps)


def limiters():
    c = {"rate": 10, "period_ns": S, "burst": 3}
    limiter_vector("limiter-burst-exhaustion", "burst of 3 at 10/s: three pass at once, the rest wait 100 ms per token",
                   c, [(0, 1)] * 5)
    limiter_vector("limiter-steady-refill", "one token every 100 ms comes back exactly on time, not a nanosecond early",
                   c, [(0, 1), (0, 1), (0, 1), (100 * MS - 1, 1), (100 * MS, 1), (150 * MS, 1), (200 * MS, 1), (300 * MS, 1)])
    limiter_vector("limiter-weighted-cost", "costs spend several tokens; a refused cost says when all of them are back",
                   c, [(0, 2), (0, 2), (50 * MS, 1), (100 * MS, 2), (300 * MS, 3), (400 * MS, 1)])
    limiter_vector("limiter-cost-exceeds-burst", "a cost above the burst can never pass and says so with retry_after = max",
                   c, [(0, 4), (10 * S, 4), (10 * S, 3)])
    limiter_vector("limiter-zero-cost-probe", "cost 0 reports the tokens left without spending any",
                   c, [(0, 0), (0, 1), (0, 0), (0, 2), (0, 0), (0, 1)])
    limiter_vector("limiter-time-backwards", "a clock that steps back never yields extra tokens",
                   c, [(10 * S, 3), (5 * S, 1), (10 * S, 1), (10 * S + 100 * MS, 1), (0, 1)])
    limiter_vector("limiter-huge-cost", "a cost whose token time overflows u64 is refused, not wrapped",
                   c, [(0, MAX), (0, 2**63), (0, 1)])
    limiter_vector("limiter-time-overflow", "near the end of TAT time (2^63 - 1 ns) the limiter fails closed instead of wrapping",
                   c, [(TAT_END - 10, 1), (TAT_END - 400 * MS, 1), (TAT_END - 400 * MS, 3), (TAT_END - 1, 0)])
    limiter_vector("limiter-rate-rounding", "3/s: the token interval rounds up to 333333334 ns so 3/s is never exceeded",
                   {"rate": 3, "period_ns": S, "burst": 1},
                   [(0, 1), (333_333_333, 1), (333_333_334, 1), (666_666_667, 1), (666_666_668, 1), (S, 1), (S + 2, 1)])
    limiter_vector("limiter-long-idle", "after a long quiet spell the bucket is full, never more than burst",
                   {"rate": 100, "period_ns": 60 * S, "burst": 5}, [(0, 5), (0, 1), (3600 * S, 5), (3600 * S, 1)])
    limiter_vector("limiter-per-minute", "100 per minute, burst 10: the eleventh waits 600 ms",
                   {"rate": 100, "period_ns": 60 * S, "burst": 10}, [(0, 1)] * 11 + [(600 * MS, 1), (600 * MS, 1)])
    limiter_vector("limiter-one-per-nanosecond", "the fastest rate allowed: one token per nanosecond",
                   {"rate": S, "period_ns": S, "burst": 2}, [(0, 1), (0, 1), (0, 1), (1, 1), (3, 2), (3, 1)])
    write("limiter-error-burst-zero", "limiter", "burst 0 is refused by name", {"rate": 1, "period_ns": S, "burst": 0},
          error_field="burst")
    write("limiter-error-rate-zero", "limiter", "rate 0 is refused by name", {"rate": 0, "period_ns": S, "burst": 1},
          error_field="rate")
    write("limiter-error-rate-above-period", "limiter", "more than one token per nanosecond is refused",
          {"rate": 2 * S, "period_ns": S, "burst": 1}, error_field="rate")
    write("limiter-error-period-zero", "limiter", "a zero period is refused by name",
          {"rate": 1, "period_ns": 0, "burst": 1}, error_field="period_ns")
    write("limiter-error-burst-overflow", "limiter", "a burst whose time span overflows u64 is refused",
          {"rate": 1, "period_ns": S, "burst": 2**62}, error_field="burst")


# ---- keyed --------------------------------------------------------------
WAYS = 8
ZERO_KEY = 0x9E3779B97F4A7C15


class Keyed:
    def __init__(self, config):
        self.g = Gcra(config["rate"], config.get("period_ns", S), config["burst"])
        self.sets = [[[0, 0] for _ in range(WAYS)] for _ in range(config["capacity"] // WAYS)]

    def set_of(self, key):
        mixed = ((key * 0x9E3779B97F4A7C15) & MAX) >> 32
        return self.sets[(mixed * len(self.sets)) >> 32]

    def acquire(self, key, now, cost):
        key = ZERO_KEY if key == 0 else key
        ways = self.set_of(key)
        for way in ways:
            if way[0] == key:
                way[1], d = self.g.decide(way[1], now, cost)
                return d
        free = [w for w in ways if w[1] <= now]
        if not free:
            return dict(reason="table_full", retry_after=min(w[1] - now for w in ways), remaining=0, reset_after=0)
        oldest = min(free, key=lambda w: w[1])  # the first of equals
        new, d = self.g.decide(oldest[1], now, cost)
        if new != oldest[1]:
            oldest[0], oldest[1] = key, new
        return d

    def live(self, now):
        return sum(1 for s in self.sets for w in s if w[0] != 0 and w[1] > now)


def keyed_vector(name, description, config, calls):
    k, steps = Keyed(config), []
    for now, key, cost in calls:
        d = k.acquire(key, now, cost)
        d["live"] = k.live(now)
        steps.append({"at": now, "op": "acquire", "args": {"key": key, "cost": cost}, "expect": d})
    write(name, "keyed_limiter", description, config, steps)


def keyed():
    c = {"rate": 10, "period_ns": S, "burst": 2, "capacity": 8}
    keyed_vector("keyed-independent-keys", "each key has its own bucket", c,
                 [(0, 1, 1), (0, 1, 1), (0, 1, 1), (0, 2, 1), (0, 2, 1), (0, 2, 1), (100 * MS, 1, 1)])
    keyed_vector("keyed-table-full-fails-closed",
                 "nine live keys in eight entries: the ninth is refused with table_full until the earliest entry fills up",
                 c, [(0, k, 1) for k in range(1, 9)] + [(0, 9, 1), (50 * MS, 9, 1), (100 * MS, 9, 1), (100 * MS, 9, 1)])
    keyed_vector("keyed-expired-entries-reused", "an entry whose bucket is full again is taken by a new key", c,
                 [(0, k, 2) for k in range(1, 9)] + [(200 * MS, 9, 2), (200 * MS, 1, 2), (200 * MS, 9, 1)])
    keyed_vector("keyed-no-over-admission-on-reuse",
                 "a key pushed out while idle comes back with a full bucket, which is what it had", c,
                 [(0, k, 1) for k in range(1, 9)] + [(200 * MS, 10 + k, 2) for k in range(8)] + [(200 * MS, 1, 2), (400 * MS, 1, 2)])
    keyed_vector("keyed-key-zero", "key 0 is a key like any other", c,
                 [(0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 5, 1)])
    keyed_vector("keyed-zero-cost-does-not-take-an-entry", "a zero-cost probe of an unknown key leaves the table alone",
                 c, [(0, 7, 0), (0, 7, 0), (0, 7, 2), (0, 7, 0)])
    keyed_vector("keyed-cost-exceeds-burst", "a cost above the burst is refused without taking an entry", c,
                 [(0, 3, 3), (0, 3, 2), (0, 3, 1)])
    keyed_vector("keyed-time-backwards", "a clock stepping back neither frees entries nor adds tokens", c,
                 [(S, 1, 2), (0, 1, 1), (S, 1, 1), (S + 200 * MS, 1, 2)])
    c16 = dict(c, capacity=16)
    keyed_vector("keyed-two-sets", "keys spread over two sets, each holding eight", c16,
                 [(0, k, 2) for k in range(1, 21)] + [(0, k, 1) for k in range(1, 21)])
    keyed_vector("keyed-large-keys", "keys anywhere in u64", c,
                 [(0, MAX, 1), (0, MAX, 1), (0, MAX, 1), (0, 2**63, 1), (0, ZERO_KEY, 1)])
    keyed_vector("keyed-refill-per-key", "a key refills at the configured rate while others stay spent", c,
                 [(0, 1, 2), (0, 2, 2), (100 * MS, 1, 1), (100 * MS, 2, 2), (200 * MS, 2, 2)])
    write("keyed-error-capacity-zero", "keyed_limiter", "a table needs at least one set of 8 entries",
          {"rate": 1, "period_ns": S, "burst": 1, "capacity": 0}, error_field="capacity")


# ---- concurrency --------------------------------------------------------
def concurrency():
    def vector(name, description, max_in_flight, ops):
        n, steps = 0, []
        for op in ops:
            if op == "acquire":
                if n >= max_in_flight:
                    e = dict(reason="concurrency_limited", remaining=0)
                else:
                    n += 1
                    e = dict(reason="admitted", remaining=max_in_flight - n)
            else:
                e = dict(released=n > 0)
                n = max(0, n - 1)
            e["in_flight"] = n
            steps.append({"at": 0, "op": op, "expect": e})
        write(name, "concurrency_limiter", description, {"max_in_flight": max_in_flight}, steps)

    vector("concurrency-cap", "two in flight at most", 2, ["acquire"] * 3)
    vector("concurrency-release-frees", "a release lets the next one in", 2, ["acquire"] * 3 + ["release", "acquire", "acquire"])
    vector("concurrency-stray-release", "a release with nothing in flight is refused, not wrapped", 1,
           ["release", "acquire", "release", "release", "acquire", "acquire"])
    vector("concurrency-one", "a cap of one is a mutex", 1, ["acquire", "acquire", "release", "acquire"])
    vector("concurrency-drain", "everything released leaves zero in flight", 3,
           ["acquire"] * 3 + ["release"] * 3 + ["acquire"] * 4)
    vector("concurrency-large", "a large cap counts down", 1000, ["acquire"] * 5)
    vector("concurrency-alternate", "acquire/release pairs never accumulate", 1, ["acquire", "release"] * 5)
    vector("concurrency-refused-does-not-count", "a refused acquire holds nothing", 1,
           ["acquire", "acquire", "acquire", "release", "release", "acquire"])
    vector("concurrency-exact-remaining", "remaining counts the permits left", 4, ["acquire"] * 4 + ["release", "acquire"])
    write("concurrency-error-zero", "concurrency_limiter", "a cap of 0 is refused by name", {"max_in_flight": 0},
          error_field="max_in_flight")


if __name__ == "__main__":
    limiters()
    keyed()
    concurrency()
