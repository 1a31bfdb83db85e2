"""Reference model of the quantile estimator, the hot-key detector and the
hedging decision, written from the descriptions in core's module docs
rather than from the Rust code. It writes their conformance vectors:

    python3 core/tests/vectors/reference/quantile_hot_hedge.py
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vector_file import write  # noqa: E402

MAX = 2**64 - 1
S = 10**9
MS = 10**6
US = 10**3


# ---- quantile estimator ---------------------------------------------------
ROWS = 38  # the default geometry: exact below 64, 32 buckets per power of two


def bucket_bounds(v):
    """(lower, width) of the bucket holding v in an unbounded geometry."""
    if v < 64:
        return v, 1
    width = 1 << (v.bit_length() - 1 - 5)
    return v // width * width, width


def bucket_index(lower, width):
    """Buckets in ascending order: exact ones, then 32 per power of two."""
    if width == 1:
        return lower
    shift = width.bit_length() - 1
    return 32 * shift + (lower >> shift)


LAST = ROWS * 32 - 1


def clamp_value(v):
    """The bucket a value is counted in: past the range, the last one."""
    lower, width = bucket_bounds(v)
    if bucket_index(lower, width) > LAST:
        shift = (LAST >> 5) - 1
        return ((LAST & 31) | 32) << shift, 1 << shift
    return lower, width


class Quantiles:
    def __init__(self, window_ns=10 * S, sub_windows=4):
        self.sub = window_ns // sub_windows
        self.n = sub_windows
        self.words = {}  # (slot, lower) -> [epoch, count]

    def record(self, now, value, count=1):
        epoch = now // self.sub
        lower, width = clamp_value(value)
        key = (epoch % self.n, lower)
        held = self.words.get(key)
        if held is None or held[0] < epoch:
            held = [epoch, 0]  # an older lap of the ring starts over
        held[1] += count  # a newer sub-window (time went back) takes it
        self.words[key] = held

    def window(self, now):
        epoch = now // self.sub
        live = {epoch - age for age in range(self.n) if epoch - age >= 0}
        counts = {}
        for (slot, lower), (e, c) in self.words.items():
            if e in live and c > 0:
                counts[lower] = counts.get(lower, 0) + c
        return counts

    def count(self, now):
        return sum(self.window(now).values())

    def quantile(self, q, now):
        counts = self.window(now)
        n = sum(counts.values())
        if n == 0:
            return None
        rank = min(n, max(1, math.ceil(q * n)))
        seen = 0
        for lower in sorted(counts):
            seen += counts[lower]
            if seen >= rank:
                _, width = clamp_value(lower)
                return lower + width // 2

    def merge(self, other, now):
        epoch = now // other.sub
        for (slot, lower), (e, c) in list(other.words.items()):
            if epoch - other.n < e <= epoch and c > 0:
                key = (slot, lower)
                held = self.words.get(key)
                if held is None or held[0] < e:
                    held = [e, 0]
                held[1] += c
                self.words[key] = held


def quantile_vector(name, description, config, script):
    main, other = Quantiles(**config), Quantiles(**config)
    steps = []
    for at, op, args in script:
        step = {"at": at, "op": op}
        if args:
            step["args"] = args
        expect = {}
        if op == "record":
            target = other if args.get("into") == "other" else main
            target.record(at, args["value"], args.get("count", 1))
        elif op == "quantile":
            expect["value"] = main.quantile(args["q"], at)
        elif op == "merge":
            main.merge(other, at)
        elif op == "bucket":
            lower, width = clamp_value(args["value"])
            expect["lower"] = lower
            expect["upper"] = MAX if bucket_index(lower, width) == LAST else lower + width
        expect["count"] = main.count(at)
        step["expect"] = expect
        steps.append(step)
    write(name, "quantile", description, config, steps)


def quantiles():
    ms = [(0, "record", {"value": i * MS}) for i in range(1, 101)]
    quantile_vector(
        "quantile-percentiles", "1..100 ms once each: p50 is 50 ms, p95 95 ms, within 1/64", {},
        ms + [(0, "quantile", {"q": q}) for q in (0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 1.0)])
    quantile_vector(
        "quantile-empty", "an empty window has no quantile and a count of 0", {},
        [(0, "quantile", {"q": 0.5}), (5 * S, "quantile", {"q": 0.99})])
    quantile_vector(
        "quantile-small-values-exact", "values below 64 have buckets of their own", {},
        [(0, "record", {"value": v}) for v in (0, 1, 2, 3, 31, 32, 63)]
        + [(0, "quantile", {"q": q}) for q in (0.1, 0.3, 0.5, 0.6, 0.8, 1.0)])
    quantile_vector(
        "quantile-buckets", "bucket bounds: exact below 64, then 32 per power of two; past 2^42 the last", {},
        [(0, "bucket", {"value": v}) for v in (0, 63, 64, 65, 127, 128, 1000, 10**6, 10**9, 2**42 - 1, 2**42, MAX)])
    quantile_vector(
        "quantile-window-forgets", "a burst of slow samples leaves the p99 once it is a window old",
        {"window_ns": 4 * S, "sub_windows": 4},
        [(0, "record", {"value": 500 * MS, "count": 10})]
        + [(t * S, "record", {"value": MS, "count": 100}) for t in range(1, 4)]
        + [(3 * S, "quantile", {"q": 0.99}), (3999 * MS, "quantile", {"q": 0.99}),
           (4 * S, "quantile", {"q": 0.99}), (4 * S, "record", {"value": MS, "count": 100}),
           (4 * S, "quantile", {"q": 0.99}), (5 * S, "record", {"value": 2 * MS, "count": 100}),
           (5 * S, "quantile", {"q": 0.5})])
    quantile_vector(
        "quantile-rotation", "one sample per sub-window: the count climbs to sub_windows and stays",
        {"window_ns": 3 * S, "sub_windows": 3},
        [(t * S + 1, "record", {"value": (t + 1) * 1000}) for t in range(6)]
        + [(5 * S + 2, "quantile", {"q": 0.0}), (5 * S + 2, "quantile", {"q": 1.0}), (20 * S, "quantile", {"q": 1.0})])
    quantile_vector(
        "quantile-merge", "two estimators of one config add sub-window by sub-window",
        {"window_ns": 2 * S, "sub_windows": 2},
        [(0, "record", {"value": 10 * MS, "count": 3}),
         (0, "record", {"value": 20 * MS, "count": 5, "into": "other"}),
         (S, "record", {"value": 30 * MS, "count": 2, "into": "other"}),
         (S, "merge", {}), (S, "quantile", {"q": 0.3}), (S, "quantile", {"q": 0.5}), (S, "quantile", {"q": 0.95}),
         (2 * S, "quantile", {"q": 0.5})])
    quantile_vector(
        "quantile-time-backwards", "a record with a clock behind joins the newer sub-window its bucket holds",
        {"window_ns": 2 * S, "sub_windows": 2},
        [(2 * S, "record", {"value": 7 * US}), (0, "record", {"value": 7 * US}),
         (2 * S, "quantile", {"q": 1.0}), (0, "quantile", {"q": 1.0}), (3 * S, "quantile", {"q": 1.0})])
    quantile_vector(
        "quantile-lognormal-like", "a long tail: p50, p90, p99, p99.9 of a skewed sample", {},
        [(0, "record", {"value": int(MS * math.exp(0.05 * i)), "count": max(1, 200 - i)}) for i in range(0, 160, 3)]
        + [(0, "quantile", {"q": q}) for q in (0.5, 0.9, 0.99, 0.999)])
    quantile_vector(
        "quantile-one-sub-window", "one sub-window: a tumbling window",
        {"window_ns": S, "sub_windows": 1},
        [(0, "record", {"value": 5 * MS}), (999 * MS, "record", {"value": 6 * MS}),
         (999 * MS, "quantile", {"q": 1.0}), (S, "quantile", {"q": 1.0}), (S, "record", {"value": 1 * MS}),
         (S, "quantile", {"q": 1.0})])
    for name, config, field in [
        ("quantile-error-sub-windows-zero", {"sub_windows": 0}, "sub_windows"),
        ("quantile-error-sub-windows-too-many", {"sub_windows": 5}, "sub_windows"),
        ("quantile-error-window-short", {"window_ns": 3 * MS, "sub_windows": 4}, "window_ns"),
        ("quantile-error-window-not-multiple", {"window_ns": 10 * S + 1, "sub_windows": 4}, "window_ns"),
    ]:
        write(name, "quantile", f"{field} refused: {config}", config, error_field=field)


# ---- hot keys ---------------------------------------------------------------
WAYS = 16
ZERO_KEY = 0x9E3779B97F4A7C15


def set_index(key, sets):
    key = ZERO_KEY if key == 0 else key
    mixed = ((key * 0x9E3779B97F4A7C15) & MAX) >> 32
    return (mixed * sets) >> 32


class HotKeys:
    def __init__(self, capacity, half_life_ns=10 * S):
        self.sets = [{"period": 0, "ways": [[0, 0, 0] for _ in range(WAYS)]} for _ in range(capacity // WAYS)]
        self.half = half_life_ns

    @staticmethod
    def halve(count, error, n):
        return (count >> n, error >> n) if n < 32 else (0, 0)

    def record(self, now, key):
        s = self.sets[set_index(key, len(self.sets))]
        period = now // self.half
        if s["period"] < period:
            n = period - s["period"]
            for w in s["ways"]:
                w[1], w[2] = self.halve(w[1], w[2], n)
            s["period"] = period
        for w in s["ways"]:
            if w[0] == key:  # a key keeps its counter, even emptied by fading
                w[1] = min(w[1] + 1, 2**32 - 1)
                return
        least = min(s["ways"], key=lambda w: w[1])  # the first of the smallest
        least[0], least[1], least[2] = key, least[1] + 1, least[1]

    def read(self, s, now):
        pending = max(0, now // self.half - s["period"])
        out = []
        for k, c, e in s["ways"]:
            c, e = self.halve(c, e, pending)
            out.append((k, c, e))
        return out

    def top(self, now, k):
        every = [(key, c, e) for s in self.sets for key, c, e in self.read(s, now) if c > 0]
        every.sort(key=lambda t: (-(t[1] - t[2]), -t[1], t[0]))
        return [{"key": key, "count": c, "error": e} for key, c, e in every[:k]]

    def estimate(self, now, key):
        ways = self.read(self.sets[set_index(key, len(self.sets))], now)
        for k, c, e in ways:
            if k == key and c > 0:
                return c, e
        if all(c > 0 for _, c, _ in ways):
            least = min(c for _, c, _ in ways)
            return least, least
        return 0, 0

    def total(self, now):
        return sum(c for s in self.sets for _, c, _ in self.read(s, now))


def hot_vector(name, description, config, script):
    h = HotKeys(**config)
    steps = []
    for at, op, args in script:
        step = {"at": at, "op": op, "args": args}
        expect = {}
        if op == "record":
            for _ in range(args.get("count", 1)):
                h.record(at, args["key"])
        elif op == "top":
            expect["keys"] = h.top(at, args["k"])
        elif op == "estimate":
            expect["count"], expect["error"] = h.estimate(at, args["key"])
        expect["total"] = h.total(at)
        step["expect"] = expect
        steps.append(step)
    write(name, "hot_keys", description, config, steps)


def keys_in_set(target, sets, n, start=1):
    """The first n keys from `start` that land in set `target`."""
    out, k = [], start
    while len(out) < n:
        if set_index(k, sets) == target:
            out.append(k)
        k += 1
    return out


def hot_keys():
    one = keys_in_set(0, 1, 30)
    hot_vector("hot-keys-counts", "three keys counted exactly while the set has room", {"capacity": 16},
               [(0, "record", {"key": 7, "count": 5}), (0, "record", {"key": 9, "count": 3}),
                (0, "record", {"key": 11}), (0, "top", {"k": 5}), (0, "estimate", {"key": 9}),
                (0, "estimate", {"key": 12})])
    hot_vector("hot-keys-take-over", "a 17th key takes the smallest counter: count min+1, error min",
               {"capacity": 16},
               [(0, "record", {"key": k, "count": 2 + i}) for i, k in enumerate(one[:16])]
               + [(0, "record", {"key": one[16]}), (0, "top", {"k": 3}), (0, "estimate", {"key": one[16]}),
                  (0, "estimate", {"key": one[0]}), (0, "estimate", {"key": one[17]})])
    hot_vector("hot-keys-ranked-by-guarantee", "a churned counter with a large count but all error ranks last",
               {"capacity": 16},
               [(0, "record", {"key": k, "count": 10}) for k in one[:15]]
               + [(0, "record", {"key": k}) for k in one[15:30]]
               + [(0, "top", {"k": 16})])
    hot_vector("hot-keys-decay", "counts halve every half-life: a silent key fades, a busy one stays",
               {"capacity": 32, "half_life_ns": S},
               [(0, "record", {"key": 1, "count": 64}), (0, "record", {"key": 2, "count": 8}),
                (S, "top", {"k": 2}), (S, "record", {"key": 2, "count": 40}), (3 * S, "top", {"k": 2}),
                (40 * S, "top", {"k": 2}), (40 * S, "estimate", {"key": 1})])
    hot_vector("hot-keys-no-decay", "half_life_ns u64::MAX: counts never halve", {"capacity": 16, "half_life_ns": MAX},
               [(0, "record", {"key": 3, "count": 9}), (10**18, "top", {"k": 1})])
    hot_vector("hot-keys-key-zero", "key 0 is a key like any other", {"capacity": 16},
               [(0, "record", {"key": 0, "count": 2}), (0, "record", {"key": 5}), (0, "top", {"k": 2}),
                (0, "estimate", {"key": 0})])
    hot_vector("hot-keys-large-keys", "keys over 2^53 are written as strings", {"capacity": 64},
               [(0, "record", {"key": MAX, "count": 3}), (0, "record", {"key": 2**63 + 5, "count": 2}),
                (0, "record", {"key": 2**53 + 1}), (0, "top", {"k": 3})])
    zipfish = [(0, "record", {"key": 1000 + r, "count": max(1, 120 // r)}) for r in range(1, 200)]
    hot_vector("hot-keys-skewed", "a skewed stream over 199 keys in 64 counters: the heaviest come out on top",
               {"capacity": 64}, zipfish + [(0, "top", {"k": 10})])
    hot_vector("hot-keys-top-short", "top(k) with fewer keys than k fills what it has", {"capacity": 32},
               [(0, "record", {"key": 4}), (0, "top", {"k": 8}), (0, "top", {"k": 0})])
    hot_vector("hot-keys-sets", "keys land in their own sets: two sets of 16 each take 16 keys",
               {"capacity": 32},
               [(0, "record", {"key": k, "count": 1 + k % 3}) for k in keys_in_set(0, 2, 16) + keys_in_set(1, 2, 16)]
               + [(0, "top", {"k": 4})])
    hot_vector("hot-keys-time-backwards", "a record with a clock behind the set's period is not halved again",
               {"capacity": 16, "half_life_ns": S},
               [(5 * S, "record", {"key": 1, "count": 4}), (2 * S, "record", {"key": 1, "count": 4}),
                (5 * S, "top", {"k": 1}), (6 * S, "top", {"k": 1})])
    for name, config, field in [
        ("hot-keys-error-capacity-zero", {"capacity": 0}, "capacity"),
        ("hot-keys-error-half-life-short", {"capacity": 16, "half_life_ns": MS - 1}, "half_life_ns"),
    ]:
        write(name, "hot_keys", f"{field} refused: {config}", config, error_field=field)


# ---- hedging ----------------------------------------------------------------
class Budget:
    def __init__(self, ratio=0.1, min_per_second=10, window_ns=10 * S, buckets=10):
        self.ppm = round(ratio * 10**6)
        self.bucket_ns = window_ns // buckets
        self.buckets = buckets
        self.floor = min_per_second * self.bucket_ns * buckets // S
        self.counts = {}  # bucket number -> [requests, retries]

    def window(self, now):
        n = now // self.bucket_ns
        live = [c for b, c in self.counts.items() if n - self.buckets < b <= n]
        return sum(c[0] for c in live), sum(c[1] for c in live)

    def deposit(self, now):
        self.counts.setdefault(now // self.bucket_ns, [0, 0])[0] += 1

    def withdraw(self, now, deadline_left):
        if deadline_left == 0:
            return "deadline_too_close"
        requests, retries = self.window(now)
        if retries < requests * self.ppm // 10**6 + self.floor:
            self.counts.setdefault(now // self.bucket_ns, [0, 0])[1] += 1
            return "admitted"
        return "budget_exhausted"


class Hedge:
    def __init__(self, quantile=0.95, floor_ns=MS, ceiling_ns=S, max_hedges=1, min_samples=20, **budget):
        self.floor, self.ceiling, self.max, self.min_samples = floor_ns, ceiling_ns, max_hedges, min_samples
        self.budget = Budget(**budget)

    def plan(self, now, a):
        q, samples = a.get("quantile_ns"), a.get("samples", 0)
        delay = self.ceiling if q is None or samples < self.min_samples else min(max(q, self.floor), self.ceiling)
        left = a.get("deadline_left_ns", MAX)
        if a["hedges_sent"] >= self.max:
            return dict(action="stop", reason="attempts_exhausted", due=MAX, delay=delay)
        due = min(MAX, a["started_at"] + (a["hedges_sent"] + 1) * delay)
        if left != MAX and max(0, due - now) >= left:
            return dict(action="stop", reason="deadline_too_close", due=due, delay=delay)
        return dict(action="wait" if now < due else "send", reason="admitted", due=due, delay=delay)

    def next(self, now, a):
        d = self.plan(now, a)
        if d["action"] == "send":
            spent = self.budget.withdraw(now, a.get("deadline_left_ns", MAX))
            if spent != "admitted":
                d.update(action="stop", reason=spent)
        return d


def hedge_vector(name, description, config, script):
    h = Hedge(**config)
    steps = []
    for at, op, args in script:
        step = {"at": at, "op": op, "args": args}
        if op == "deposit":
            for _ in range(args.get("count", 1)):
                h.budget.deposit(at)
            expect = {}
        elif op == "plan":
            expect = h.plan(at, args)
        else:
            expect = h.next(at, args)
        expect["requests"], expect["retries"] = h.budget.window(at)
        step["expect"] = expect
        steps.append(step)
    write(name, "hedge", description, config, steps)


def ask(started_at=0, sent=0, q=None, samples=1000, left=None):
    a = {"started_at": started_at, "hedges_sent": sent, "samples": samples}
    if q is not None:
        a["quantile_ns"] = q
    if left is not None:
        a["deadline_left_ns"] = left
    return a


def hedges():
    p95 = 40 * MS
    hedge_vector("hedge-waits-then-sends", "before the p95 wait; at it, send and spend a retry", {},
                 [(0, "deposit", {"count": 10}), (0, "next", ask(q=p95)), (39 * MS, "next", ask(q=p95)),
                  (40 * MS, "next", ask(q=p95))])
    hedge_vector("hedge-at-most-n", "max_hedges 2: hedges due at 1x and 2x the delay, then stop",
                 {"max_hedges": 2},
                 [(0, "next", ask(q=p95)), (40 * MS, "next", ask(q=p95)), (60 * MS, "next", ask(sent=1, q=p95)),
                  (80 * MS, "next", ask(sent=1, q=p95)), (200 * MS, "next", ask(sent=2, q=p95))])
    hedge_vector("hedge-floor", "a quantile under the floor waits the floor", {"floor_ns": 5 * MS},
                 [(0, "next", ask(q=MS)), (5 * MS, "next", ask(q=MS))])
    hedge_vector("hedge-ceiling", "a quantile over the ceiling waits the ceiling", {"ceiling_ns": 100 * MS},
                 [(0, "next", ask(q=3 * S)), (100 * MS, "next", ask(q=3 * S))])
    hedge_vector("hedge-too-few-samples", "under min_samples (or no estimate) the delay is the ceiling",
                 {"min_samples": 50, "ceiling_ns": 300 * MS},
                 [(0, "next", ask(q=p95, samples=49)), (0, "next", ask(samples=0)), (0, "next", ask(q=p95, samples=50))])
    hedge_vector("hedge-budget-exhausted", "each hedge spends the retry budget; with none left, stop",
                 {"min_per_second": 0, "ratio": 0.1},
                 [(0, "deposit", {"count": 20}), (50 * MS, "next", ask(q=p95)), (50 * MS, "next", ask(q=p95)),
                  (50 * MS, "next", ask(q=p95)), (50 * MS, "plan", ask(q=p95))])
    hedge_vector("hedge-deadline", "a hedge due at or past the deadline is not sent", {},
                 [(0, "next", ask(q=p95, left=40 * MS)), (0, "next", ask(q=p95, left=40 * MS + 1)),
                  (40 * MS, "next", ask(q=p95, left=0)), (40 * MS, "next", ask(q=p95, left=1))])
    hedge_vector("hedge-late-caller", "a caller asking late sends at once, and the next may be due too",
                 {"max_hedges": 3, "min_per_second": 100},
                 [(500 * MS, "next", ask(q=p95)), (500 * MS, "next", ask(sent=1, q=p95)),
                  (500 * MS, "next", ask(sent=2, q=p95)), (500 * MS, "next", ask(sent=3, q=p95))])
    hedge_vector("hedge-quantile-moves", "the delay follows the estimate at each ask", {"max_hedges": 2},
                 [(0, "next", ask(q=p95)), (30 * MS, "next", ask(q=20 * MS)), (30 * MS, "next", ask(sent=1, q=20 * MS)),
                  (45 * MS, "next", ask(sent=1, q=20 * MS))])
    hedge_vector("hedge-overflow", "a due time past u64 saturates and waits", {"ceiling_ns": MAX, "floor_ns": 0},
                 [(0, "next", ask(started_at=MAX - 5, q=MAX)), (0, "plan", ask(started_at=MAX - 5, q=10, sent=0))])
    hedge_vector("hedge-zero-delay", "floor and ceiling 0: every hedge at once (parallel copies)",
                 {"floor_ns": 0, "ceiling_ns": 0, "max_hedges": 2},
                 [(7, "next", ask(started_at=7, q=p95)), (7, "next", ask(started_at=7, sent=1, q=p95)),
                  (7, "next", ask(started_at=7, sent=2, q=p95))])
    for name, config, field in [
        ("hedge-error-quantile-zero", {"quantile": 0.0}, "quantile"),
        ("hedge-error-quantile-above-one", {"quantile": 1.5}, "quantile"),
        ("hedge-error-ceiling-below-floor", {"floor_ns": 10 * MS, "ceiling_ns": MS}, "ceiling_ns"),
        ("hedge-error-max-hedges-zero", {"max_hedges": 0}, "max_hedges"),
        ("hedge-error-max-hedges-many", {"max_hedges": 17}, "max_hedges"),
        ("hedge-error-budget-ratio", {"ratio": -1.0}, "ratio"),
    ]:
        write(name, "hedge", f"{field} refused: {config}", config, error_field=field)


if __name__ == "__main__":
    quantiles()
    hot_keys()
    hedges()
