"""Reference model of the circuit breaker and the adaptive concurrency limit,
written from the algorithm descriptions in core's module docs rather than
from the Rust code. It writes their conformance vectors:

    python3 core/tests/vectors/reference/breaker_limit.py

Floats follow the docs' formulas in the same order of operations, so the
estimates match core's to the bit.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vector_file import write  # noqa: E402

MAX = 2**64 - 1
S = 10**9
MS = 10**6
PPM = 10**6


# ---- circuit breaker ------------------------------------------------------
class Breaker:
    DEFAULTS = dict(window="count", window_calls=100, window_ns=100 * S, buckets=100, minimum_calls=100,
                    failure_rate_threshold=50.0, slow_call_rate_threshold=100.0, slow_call_ns=60 * S,
                    consecutive_failures=0, open_ns=60 * S, half_open_probes=10, half_open_max_ns=0)

    def __init__(self, **config):
        c = dict(self.DEFAULTS, **config)
        self.c = c
        ppm = lambda p: 0 if p == 0 else max(1, int(math.floor(p * 10000 + 0.5)))
        self.fppm, self.sppm = ppm(c["failure_rate_threshold"]), ppm(c["slow_call_rate_threshold"])
        bound = lambda r, n: max(1, -(-(r * n) // PPM))
        p = c["half_open_probes"]
        if self.fppm:
            self.fail_bound = bound(self.fppm, p)
        elif c["consecutive_failures"]:
            self.fail_bound = 1
        else:
            self.fail_bound = MAX
        self.slow_bound = bound(self.sppm, p) if self.sppm else MAX
        self.state, self.gen = "closed", 0
        self.head = self.filled = self.streak = 0
        self.out, self.probes = set(), [0, 0, 0]  # places in flight; returned, failed, slow
        self.open_until = 0
        self.bits = {}  # count window: slot -> (failed, slow)
        self.buckets = {}  # time window: slot -> [seq, calls, failed, slow]

    # window
    def bucket_ns(self):
        return self.c["window_ns"] // self.c["buckets"]

    def window_record(self, now, slot, failed, slow):
        if self.c["window"] == "count":
            self.bits[slot] = (failed, slow)
            return
        n = now // self.bucket_ns()
        idx, seq = n % self.c["buckets"], n
        held = self.buckets.get(idx)
        if held is None or not (held[0] == seq or 0 < held[0] - seq < self.c["buckets"]):
            held = [seq, 0, 0, 0]
        held[1] += 1
        held[2] += int(failed)
        held[3] += int(slow)
        self.buckets[idx] = held

    def tally(self, now):
        if self.c["window"] == "count":
            f = sum(1 for v in self.bits.values() if v[0])
            s = sum(1 for v in self.bits.values() if v[1])
            return self.filled, f, s
        seq = now // self.bucket_ns()
        calls = f = s = 0
        for b in self.buckets.values():
            if 0 <= seq - b[0] < self.c["buckets"]:
                calls, f, s = calls + b[1], f + b[2], s + b[3]
        return calls, f, s

    def clear(self):
        self.bits, self.buckets = {}, {}

    def counts(self, now):
        calls, f, s = self.tally(now)
        return dict(calls=calls, failures=f, slow=s, consecutive_failures=self.streak)

    def trips(self, k):
        if self.c["consecutive_failures"] and k["consecutive_failures"] >= self.c["consecutive_failures"]:
            return "consecutive_failures"
        if k["calls"] < self.c["minimum_calls"]:
            return None
        if self.fppm and k["failures"] * PPM >= self.fppm * k["calls"]:
            return "failure_rate"
        if self.sppm and k["slow"] * PPM >= self.sppm * k["calls"]:
            return "slow_call_rate"
        return None

    def move(self, kind):
        self.state, self.gen = kind, (self.gen + 1) & 0xFFFF
        self.head = self.filled = self.streak = 0
        self.out, self.probes = set(), [0, 0, 0]

    def open(self, now):
        self.move("open")
        self.open_until = min(now + self.c["open_ns"], MAX)

    def probe_counts(self):
        return dict(calls=self.probes[0], failures=self.probes[1], slow=self.probes[2], consecutive_failures=0)

    def taken(self):
        return len(self.out) + self.probes[0]

    # operations
    def acquire(self, now):
        st = self.state
        admit = lambda remaining, probe, place=0: (dict(reason="admitted", retry_after=0, remaining=remaining),
                                                   (self.gen, probe, place))
        refuse = lambda reason, after: (dict(reason=reason, retry_after=after, remaining=0), None)
        if st in ("closed", "disabled"):
            return admit(0, False) + ([],)
        if st == "forced_open":
            return refuse("circuit_open", MAX) + ([],)
        if st == "open":
            if now < self.open_until:
                return refuse("circuit_open", self.open_until - now) + ([],)
            self.move("half_open")
            self.out = {0}
            self.clear()
            t = dict(frm="open", to="half_open", cause="wait_over", calls=0, failures=0, slow=0,
                     consecutive_failures=0)
            return admit(self.c["half_open_probes"] - 1, True) + ([t],)
        # half_open
        if self.c["half_open_max_ns"] and now >= self.open_until + self.c["half_open_max_ns"]:
            t = dict(frm="half_open", to="open", cause="probes_timed_out", **self.probe_counts())
            self.open(now)
            return refuse("circuit_open", self.c["open_ns"]) + ([t],)
        if self.taken() >= self.c["half_open_probes"]:
            return refuse("circuit_half_open", 0) + ([],)
        place = min(set(range(30)) - self.out)
        self.out.add(place)
        return admit(self.c["half_open_probes"] - self.taken(), True, place) + ([],)

    def record(self, now, permit, failed, duration):
        gen, probe, place = permit
        if gen != self.gen:
            return []
        slow = duration > self.c["slow_call_ns"]
        if self.state == "closed" and not probe:
            slot = self.head
            self.streak = self.streak + 1 if failed else 0
            if self.c["window"] == "count":
                n = self.c["window_calls"]
                self.head = (self.head + 1) % n
                self.filled = min(self.filled + 1, n)
            self.window_record(now, slot, failed, slow)
            k = self.counts(now)
            cause = self.trips(k)
            if cause is None:
                return []
            self.open(now)
            return [dict(frm="closed", to="open", cause=cause, **k)]
        if self.state == "half_open" and probe and place in self.out:
            self.out.remove(place)
            self.probes[0] += 1
            self.probes[1] += int(failed)
            self.probes[2] += int(slow)
            k = self.probe_counts()
            if self.probes[1] >= self.fail_bound:
                self.open(now)
                return [dict(frm="half_open", to="open", cause="probes_failed", **k)]
            if self.probes[2] >= self.slow_bound:
                self.open(now)
                return [dict(frm="half_open", to="open", cause="probes_slow", **k)]
            if self.probes[0] >= self.c["half_open_probes"]:
                self.move("closed")
                return [dict(frm="half_open", to="closed", cause="probes_passed", **k)]
        return []

    def release(self, permit):
        gen, probe, place = permit
        if gen != self.gen:
            return False
        if self.state in ("closed", "disabled") and not probe:
            return True
        if self.state == "half_open" and probe and place in self.out:
            self.out.remove(place)
            return True
        return False

    def command(self, now, to, cause):
        if self.state == to and to != "closed":
            return []
        k = self.stats(now)["window"]
        frm = self.state
        self.move(to)
        if to == "closed":
            self.clear()
        return [dict(frm=frm, to=to, cause=cause, **k)]

    def stats(self, now):
        zero = dict(calls=0, failures=0, slow=0, consecutive_failures=0)
        s = dict(state=self.state, window=zero, probes_issued=0, probes_returned=0, open_left=0)
        if self.state == "closed":
            s["window"] = self.counts(now)
        elif self.state == "half_open":
            s["probes_issued"], s["probes_returned"] = self.taken(), self.probes[0]
        elif self.state == "open":
            s["open_left"] = max(0, self.open_until - now)
        elif self.state == "forced_open":
            s["open_left"] = MAX
        return s


def transitions_json(ts):
    out = []
    for t in ts:
        t = dict(t)
        t["from"] = t.pop("frm")
        out.append(t)
    return out


def breaker_vector(name, description, config, script):
    """`script`: (at, op, args) triples; the model computes each `expect`."""
    b = Breaker(**config)
    permits, steps = [], []
    for at, op, args in script:
        e, ts = {}, []
        if op in ("acquire", "call"):
            d, permit, ts = b.acquire(at)
            e.update(d)
            e["probe"] = bool(permit and permit[1])
            if permit and op == "acquire":
                permits.append(permit)
            elif permit:
                ts = ts + b.record(at, permit, args["failed"], args.get("duration_ns", 0))
        elif op == "record":
            ts = b.record(at, permits[args["permit"]], args["failed"], args.get("duration_ns", 0))
        elif op == "release":
            e["released"] = b.release(permits[args["permit"]])
        elif op == "force_open":
            ts = b.command(at, "forced_open", "forced_open")
        elif op == "disable":
            ts = b.command(at, "disabled", "disabled")
        elif op == "reset":
            ts = b.command(at, "closed", "reset")
        e["transitions"] = transitions_json(ts)
        s = b.stats(at)
        e["state"] = s["state"]
        e.update(s["window"])
        e.update(probes_issued=s["probes_issued"], probes_returned=s["probes_returned"], open_left=s["open_left"])
        step = {"at": at, "op": op}
        if args:
            step["args"] = args
        step["expect"] = e
        steps.append(step)
    write(name, "breaker", description, config, steps)


def calls(at, outcomes, duration=0, spacing=0):
    """One `call` step per outcome (True = failed), `spacing` ns apart."""
    return [(at + i * spacing, "call", {"failed": f, "duration_ns": duration}) for i, f in enumerate(outcomes)]


def breakers():
    T, F = False, True
    count4 = dict(window_calls=4, minimum_calls=4, open_ns=10 * S, half_open_probes=2)
    breaker_vector("breaker-count-window-trips", "2 of the last 4 calls failed (50%): open, refusing with the time left",
                   count4, calls(0, [T, F, T, F]) + [(3 * S, "acquire", {}), (10 * S - 1, "acquire", {})])
    breaker_vector("breaker-minimum-calls", "failures below minimum_calls never trip; the call that reaches it does",
                   dict(window_calls=10, minimum_calls=5, failure_rate_threshold=50.0),
                   calls(0, [F, F, F, F]) + calls(1, [F]))
    breaker_vector("breaker-count-window-slides", "the window keeps only the last 3 calls: old failures slide out",
                   dict(window_calls=3, minimum_calls=3, failure_rate_threshold=67.0),
                   calls(0, [F, T, T, F, T, F, T, T, T]))
    breaker_vector("breaker-half-open-probes-bounded",
                   "half-open lets exactly 3 probes through; a released probe frees its place once; all pass: closed",
                   dict(window_calls=2, minimum_calls=2, open_ns=S, half_open_probes=3),
                   calls(0, [F, F]) + [(S, "acquire", {}), (S, "acquire", {}), (S, "acquire", {}),
                                       (S, "acquire", {}), (S, "release", {"permit": 1}), (S, "release", {"permit": 1}),
                                       (S, "acquire", {}), (S, "acquire", {}),
                                       (S + 5, "record", {"permit": 0, "failed": T}),
                                       (S + 6, "record", {"permit": 2, "failed": T}),
                                       (S + 7, "record", {"permit": 3, "failed": T}),
                                       (S + 8, "acquire", {})])
    breaker_vector("breaker-half-open-reopens-early",
                   "2 of 4 probes failed reach 50% whatever the others do: open at once; late probes are ignored",
                   dict(window_calls=2, minimum_calls=2, open_ns=S, half_open_probes=4),
                   calls(0, [F, F]) + [(S, "acquire", {}) for _ in range(4)]
                   + [(S + 1, "record", {"permit": 0, "failed": F}), (S + 2, "record", {"permit": 1, "failed": F}),
                      (S + 3, "record", {"permit": 2, "failed": T}), (S + 4, "acquire", {})])
    breaker_vector("breaker-consecutive-failures",
                   "3 failures in a row open the breaker with the rates off; one failed probe reopens it",
                   dict(window_calls=10, minimum_calls=10, failure_rate_threshold=0, slow_call_rate_threshold=0,
                        consecutive_failures=3, open_ns=5 * S, half_open_probes=2),
                   calls(0, [F, F, T, F, F, F]) + [(5 * S, "call", {"failed": F}), (5 * S, "acquire", {}),
                                                   (10 * S, "call", {"failed": T}), (10 * S, "call", {"failed": T})])
    breaker_vector("breaker-slow-calls",
                   "calls longer than slow_call_ns count as slow (failed or not); 50% slow opens the breaker",
                   dict(window_calls=4, minimum_calls=4, failure_rate_threshold=0, slow_call_rate_threshold=50.0,
                        slow_call_ns=100 * MS),
                   calls(0, [T], 100 * MS) + calls(1, [F], 100 * MS + 1) + calls(2, [T], 50 * MS)
                   + calls(3, [T], 200 * MS))
    timed = dict(window="time", window_ns=10 * S, buckets=10, minimum_calls=4, open_ns=S)
    breaker_vector("breaker-time-window-forgets",
                   "a 10 s window in 1 s buckets: failures older than the window stop counting",
                   timed, calls(0, [F, F, F], spacing=S) + calls(12 * S, [T]) + calls(13 * S, [F]))
    breaker_vector("breaker-time-window-trips", "4 calls within 10 s, 2 failed: open",
                   timed, calls(0, [T, F, T], spacing=3 * S) + calls(9 * S + 999, [F]))
    breaker_vector("breaker-late-outcomes-ignored",
                   "an outcome admitted before the breaker opened is dropped, as is a second report of a probe",
                   dict(window_calls=2, minimum_calls=2, open_ns=S, half_open_probes=2),
                   [(0, "acquire", {})] + calls(0, [F, F]) + [(1, "record", {"permit": 0, "failed": T}),
                                                              (S, "acquire", {}),
                                                              (S + 1, "record", {"permit": 1, "failed": T}),
                                                              (S + 2, "record", {"permit": 1, "failed": T}),
                                                              (S + 3, "release", {"permit": 1})])
    breaker_vector("breaker-forced-open-and-disabled",
                   "forced open refuses for good until reset; disabled admits and records nothing",
                   dict(window_calls=2, minimum_calls=2),
                   calls(0, [F]) + [(1, "force_open", {}), (2, "acquire", {}), (3, "force_open", {}),
                                    (4, "reset", {}), (5, "disable", {})] + calls(6, [F, F, F])
                   + [(7, "reset", {})] + calls(8, [F]))
    breaker_vector("breaker-half-open-timeout",
                   "a probe that never reports: after half_open_max_ns the breaker opens again",
                   dict(window_calls=2, minimum_calls=2, open_ns=S, half_open_probes=1, half_open_max_ns=2 * S),
                   calls(0, [F, F]) + [(S, "acquire", {}), (2 * S, "acquire", {}), (3 * S, "acquire", {}),
                                       (4 * S - 1, "acquire", {}), (4 * S, "call", {"failed": T})])
    errors = [
        ("window-calls-zero", dict(window_calls=0), "window_calls"),
        ("window-calls-too-many", dict(window_calls=8193), "window_calls"),
        ("minimum-above-window", dict(window_calls=10, minimum_calls=11), "minimum_calls"),
        ("threshold-above-100", dict(failure_rate_threshold=100.5), "failure_rate_threshold"),
        ("slow-threshold-negative", dict(slow_call_rate_threshold=-1.0), "slow_call_rate_threshold"),
        ("no-rule", dict(failure_rate_threshold=0, slow_call_rate_threshold=0), "failure_rate_threshold"),
        ("probes-zero", dict(half_open_probes=0), "half_open_probes"),
        ("open-zero", dict(open_ns=0), "open_ns"),
        ("buckets-zero", dict(window="time", buckets=0), "buckets"),
        ("window-not-multiple", dict(window="time", window_ns=10 * S + 1, buckets=10), "window_ns"),
    ]
    for name, config, field in errors:
        write(f"breaker-error-{name}", "breaker", f"{field} is refused by name", config, error_field=field)


# ---- adaptive concurrency limit -------------------------------------------
ALGORITHMS = {
    "gradient2": dict(initial_limit=20, min_limit=20, max_limit=200, smoothing=0.2, rtt_tolerance=1.5,
                      long_window=600, queue_size=4),
    "vegas": dict(initial_limit=20, min_limit=1, max_limit=1000, smoothing=1.0, alpha=3, beta=6,
                  probe_multiplier=30),
    "aimd": dict(initial_limit=20, min_limit=20, max_limit=200, backoff_ratio=0.9, timeout_ns=5 * S),
}
WARMUP = 10


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


class Limit:
    def __init__(self, algorithm, **config):
        self.a = algorithm
        self.c = dict(ALGORITHMS[algorithm], **config)
        self.min, self.max = float(self.c["min_limit"]), float(self.c["max_limit"])
        self.limit, self.in_flight = self.c["initial_limit"], 0
        self.est, self.base, self.samples = float(self.c["initial_limit"]), 0.0, 0

    def limit_of(self, est):
        return clamp(int(est), self.c["min_limit"], self.c["max_limit"])

    def acquire(self):
        if self.in_flight >= self.limit:
            return dict(reason="concurrency_limited", retry_after=0, remaining=0), None
        self.in_flight += 1
        return dict(reason="admitted", retry_after=0, remaining=self.limit - self.in_flight), self.in_flight

    def release(self, in_flight, rtt, outcome):
        if outcome != "ignored":
            self.learn(float(max(rtt, 1)), float(in_flight), outcome == "dropped")
        self.limit = self.limit_of(self.est)
        self.in_flight = max(0, self.in_flight - 1)
        return self.limit

    def learn(self, rtt, in_flight, dropped):
        c, est0 = self.c, self.est
        counted, probe = self.samples, False
        if self.a == "gradient2":
            self.samples = min(counted + 1, WARMUP)
        elif self.a == "vegas":
            nxt = counted + 1
            if nxt >= c["probe_multiplier"] * est0:
                nxt, probe = 0, True
            self.samples = nxt
        keep = False
        if self.a == "gradient2":
            n = counted + 1
            if n <= WARMUP:
                long = self.base + (rtt - self.base) / n
            else:
                w = 2.0 / (c["long_window"] + 1.0)
                long = self.base * (1.0 - w) + rtt * w
            self.base = long * 0.95 if long / rtt > 2.0 else long
            seen = long
        elif self.a == "vegas":
            if probe or self.base == 0.0 or rtt < self.base:
                self.base, seen, keep = rtt, rtt, True
            else:
                seen = self.base
        else:
            seen = self.base
        if not keep:
            self.est = self.estimate(self.est, seen, rtt, in_flight, dropped)

    def estimate(self, est, base, rtt, in_flight, dropped):
        c = self.c
        if self.a == "gradient2":
            gradient = clamp(c["rtt_tolerance"] * base / rtt, 0.5, 1.0)
            target = est * gradient + float(c["queue_size"])
            nxt = clamp(est * (1.0 - c["smoothing"]) + target * c["smoothing"], self.min, self.max)
            # App-limited (under half the limit in flight): growth is held, a decrease applies.
            if in_flight < est / 2.0 and nxt > est:
                return est
            # Admitted above what the estimate now allows: a queue already cut, no second cut.
            if in_flight > est and nxt < est:
                return est
            return nxt
        if self.a == "vegas":
            queue = math.ceil(est * (1.0 - base / rtt))
            step = float(max(1, len(str(int(est))) - 1))
            if dropped:
                target = est - step
            elif in_flight * 2.0 < est:
                return est
            elif queue <= step:
                target = est + c["beta"] * step
            elif queue < c["alpha"] * step:
                target = est + step
            elif queue > c["beta"] * step:
                target = est - step
            else:
                return est
            return (1.0 - c["smoothing"]) * est + c["smoothing"] * clamp(target, self.min, self.max)
        if dropped or rtt > c["timeout_ns"]:
            return clamp(math.floor(est * c["backoff_ratio"]), self.min, self.max)
        if in_flight * 2.0 >= est:
            return clamp(est + 1.0, self.min, self.max)
        return est


def limit_vector(name, description, algorithm, config, script):
    """`script`: (op, args) pairs; the model computes each `expect`."""
    m = Limit(algorithm, **config)
    permits, steps = [], []
    for op, args in script:
        e = {}
        if op == "acquire":
            d, permit = m.acquire()
            e.update(d)
            if permit:
                permits.append(permit)
        elif op == "release":
            m.release(permits[args["permit"]], args["rtt_ns"], args.get("outcome", "success"))
            permits[args["permit"]] = None
        elif op == "cycle":
            for _ in range(args.get("rounds", 1)):
                held = []
                for _ in range(args["concurrent"]):
                    _, p = m.acquire()
                    if p is None:
                        break
                    held.append(p)
                for p in held:
                    m.release(p, args["rtt_ns"], args.get("outcome", "success"))
        e.update(limit=m.limit, in_flight=m.in_flight, estimate_milli=int(m.est * 1000.0),
                 baseline_rtt_ns=int(m.base))
        step = {"at": 0, "op": op}
        if args:
            step["args"] = args
        step["expect"] = e
        steps.append(step)
    write(name, "adaptive_limit", description, dict(algorithm=algorithm, **config), steps)


def cycle(concurrent, rtt_ns, rounds=1, outcome=None):
    args = dict(concurrent=concurrent, rtt_ns=rtt_ns, rounds=rounds)
    if outcome:
        args["outcome"] = outcome
    return ("cycle", args)


def limits():
    ms = MS
    limit_vector("adaptive-gradient2-grows-under-steady-latency",
                 "steady 10 ms with the limit in use: +queue_size x smoothing per sample, up to max_limit",
                 "gradient2", {}, [cycle(20, 10 * ms), cycle(40, 10 * ms, 3), cycle(300, 10 * ms, 20)])
    limit_vector("adaptive-gradient2-shrinks-when-latency-rises",
                 "after 10 ms settles the baseline, 4x slower samples halve the target: the limit falls 94 -> 19, "
                 "the samples admitted above the falling estimate cutting nothing",
                 "gradient2", dict(min_limit=5, initial_limit=50, max_limit=100),
                 [cycle(50, 10 * ms, 4), cycle(100, 40 * ms), cycle(100, 40 * ms, 3)])
    limit_vector("adaptive-gradient2-tolerates-jitter",
                 "samples up to rtt_tolerance x the long-term RTT do not shrink the limit",
                 "gradient2", dict(max_limit=1000),
                 [cycle(20, 10 * ms, 2), cycle(40, 15 * ms, 2), cycle(40, 16 * ms)])
    limit_vector("adaptive-gradient2-app-limited-holds",
                 "fewer than half the limit in flight: steady or falling latency does not grow the limit while "
                 "the baseline learns; the 20th in flight of a limit of 40 is no longer app-limited and grows it",
                 "gradient2", dict(initial_limit=40, max_limit=400),
                 [cycle(19, 10 * ms, 3), cycle(19, 8 * ms, 3), cycle(20, 10 * ms)])
    limit_vector("adaptive-gradient2-app-limited-shrinks",
                 "fewer than half the limit in flight, a latency rise still shrinks it (x0.9 + 0.8 per sample at "
                 "the gradient's floor of 0.5); fast samples after it, still app-limited, do not grow it back",
                 "gradient2", dict(initial_limit=40, min_limit=5, max_limit=400),
                 [cycle(10, 10 * ms), cycle(10, 40 * ms, 2), cycle(3, 10 * ms, 3)])
    limit_vector("adaptive-gradient2-cuts-once-per-queue",
                 "slow answers admitted with more in flight than the estimate now allows measured a queue already "
                 "cut: of 8 answers 3x slower, those admitted within the falling estimate cut it, the rest do not; "
                 "the next round, admitted under the new limit, cuts again",
                 "gradient2", dict(initial_limit=8, min_limit=1, max_limit=100, rtt_tolerance=1.0, queue_size=1),
                 [cycle(8, 10 * ms, 2), cycle(8, 30 * ms), cycle(8, 30 * ms)])
    limit_vector("adaptive-gradient2-recovers-after-overload",
                 "a long overload inflates the long-term RTT; when latency drops it decays 5% per sample",
                 "gradient2", dict(min_limit=10, initial_limit=40, max_limit=100),
                 [cycle(40, 100 * ms, 20), cycle(40, 10 * ms, 5), cycle(40, 10 * ms, 10)])
    limit_vector("adaptive-refuses-at-the-limit",
                 "a limit of 2 admits 2; an ignored release frees a slot without teaching anything",
                 "gradient2", dict(initial_limit=2, min_limit=1, max_limit=2),
                 [("acquire", {}), ("acquire", {}), ("acquire", {}),
                  ("release", dict(permit=0, rtt_ns=10 * ms, outcome="ignored")), ("acquire", {}),
                  ("release", dict(permit=1, rtt_ns=10 * ms)), ("release", dict(permit=2, rtt_ns=10 * ms))])
    limit_vector("adaptive-vegas-grows-without-queue",
                 "RTT at the no-load RTT: no queue, the limit grows by beta x log10(limit) per sample",
                 "vegas", {}, [cycle(20, 10 * ms), cycle(40, 10 * ms, 3), cycle(100, 10 * ms, 2)])
    limit_vector("adaptive-vegas-shrinks-with-queue",
                 "RTT twice the no-load RTT implies a queue of half the limit: it shrinks by log10(limit)",
                 "vegas", dict(initial_limit=100, max_limit=100),
                 [cycle(100, 10 * ms), cycle(100, 20 * ms), cycle(100, 20 * ms, 3)])
    limit_vector("adaptive-vegas-drop-and-probe",
                 "a drop shrinks; every probe_multiplier x limit samples the no-load RTT is re-taken",
                 "vegas", dict(initial_limit=10, probe_multiplier=2, max_limit=40),
                 [cycle(10, 10 * ms), cycle(10, 12 * ms, outcome="dropped"), cycle(10, 30 * ms, 6),
                  cycle(40, 30 * ms, 2)])
    limit_vector("adaptive-aimd-increase-and-backoff",
                 "+1 per sample with the limit in use, x0.9 on a drop, a sample over the timeout is a drop",
                 "aimd", dict(min_limit=5),
                 [cycle(20, 10 * ms), cycle(30, 10 * ms, 2), cycle(1, 10 * ms, outcome="dropped"),
                  cycle(1, 6 * S), cycle(2, 10 * ms, 5)])
    limit_vector("adaptive-aimd-bounds", "AIMD stays within [min_limit, max_limit]", "aimd",
                 dict(min_limit=3, initial_limit=4, max_limit=6),
                 [cycle(10, ms, 5), cycle(1, ms, 20, "dropped")])
    errors = [
        ("min-zero", "gradient2", dict(min_limit=0), "min_limit"),
        ("max-below-min", "gradient2", dict(min_limit=20, max_limit=10, initial_limit=20), "max_limit"),
        ("max-too-large", "vegas", dict(max_limit=1_000_001), "max_limit"),
        ("initial-out-of-range", "gradient2", dict(initial_limit=300), "initial_limit"),
        ("smoothing-zero", "gradient2", dict(smoothing=0.0), "smoothing"),
        ("tolerance-below-one", "gradient2", dict(rtt_tolerance=0.9), "rtt_tolerance"),
        ("long-window-zero", "gradient2", dict(long_window=0), "long_window"),
        ("vegas-beta-below-alpha", "vegas", dict(alpha=4, beta=3), "beta"),
        ("aimd-backoff-one", "aimd", dict(backoff_ratio=1.0), "backoff_ratio"),
        ("aimd-timeout-zero", "aimd", dict(timeout_ns=0), "timeout_ns"),
    ]
    for name, algorithm, config, field in errors:
        write(f"adaptive-error-{name}", "adaptive_limit", f"{field} is refused by name",
              dict(algorithm=algorithm, **config), error_field=field)


if __name__ == "__main__":
    breakers()
    limits()
