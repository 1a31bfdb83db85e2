"""Reference model of the shedder and the throttle (rolling windows of
packed buckets), written from the algorithm descriptions in core's docs
rather than from the Rust code. It writes their conformance vectors:

    python3 core/tests/vectors/reference/shedder_throttle.py
"""
import math

from vector_file import write

MAX = 2**64 - 1
S = 10**9
MS = 10**6
US = 10**3
SEQ_MASK = 2**24 - 1
COUNTER_MAX = 2**20 - 1
NO_RT = COUNTER_MAX
MAX_BUCKETS = 128


class Window:
    def __init__(self, window_ns, buckets, b_init):
        self.bucket_ns = window_ns // buckets
        self.n = buckets
        self.b_init = b_init
        self.slots = [[SEQ_MASK - MAX_BUCKETS, 0, b_init] for _ in range(MAX_BUCKETS)]

    def update(self, now, f):
        seq = (now // self.bucket_ns) & SEQ_MASK
        slot = self.slots[(now // self.bucket_ns) % self.n]
        held = slot[0]
        if held == seq or ((held - seq) & SEQ_MASK) < self.n:
            a, b = slot[1], slot[2]
            target = held
        else:
            a, b, target = 0, self.b_init, seq
        a, b = f(a, b)
        slot[0], slot[1], slot[2] = target, a, b

    def fold(self, now, min_age, acc, f):
        seq = (now // self.bucket_ns) & SEQ_MASK
        for held, a, b in self.slots[: self.n]:
            age = (seq - held) & SEQ_MASK
            if min_age <= age < self.n:
                acc = f(acc, a, b)
        return acc


class Shedder:
    def __init__(self, c):
        self.window_ns = c.get("window_ns", 10 * S)
        self.buckets = c.get("buckets", 100)
        self.threshold = float(c.get("cpu_threshold", 800))
        self.decay = c.get("cpu_decay", 0.95)
        self.cool_off = c.get("cool_off_ns", S)
        self.max_queue = c.get("max_queue", 0)
        self.w = Window(self.window_ns, self.buckets, NO_RT)
        self.bucket_ns = self.w.bucket_ns
        self.in_flight = 0
        self.cpu = 0.0
        self.last_shed = None

    def estimate(self, now):
        max_pass, min_rt = self.w.fold(now, 1, (0, MAX), lambda acc, a, b: (max(acc[0], a), min(acc[1], b)))
        min_rt_ns = MS if min_rt >= NO_RT else min_rt * US
        max_pass = max(1, max_pass)
        return (max_pass * min_rt_ns * 2 + self.bucket_ns) // (self.bucket_ns * 2)

    def acquire(self, now):
        cooling = self.last_shed is not None and now >= self.last_shed and now - self.last_shed < self.cool_off
        est = self.estimate(now)
        if self.max_queue and self.in_flight >= self.max_queue:
            return dict(reason="queue_full", retry_after=self.bucket_ns, remaining=0, reset_after=0)
        over = self.in_flight > 1 and self.in_flight > est
        if self.cpu >= self.threshold:
            if over:
                self.last_shed = now if self.last_shed is None else max(self.last_shed, now)
                return dict(reason="cpu_overloaded", retry_after=max(self.cool_off, self.bucket_ns), remaining=0,
                            reset_after=0)
        elif cooling and over:
            return dict(reason="cooling_off", retry_after=self.bucket_ns, remaining=0, reset_after=0)
        self.in_flight += 1
        return dict(reason="admitted", retry_after=0, remaining=max(0, est - self.in_flight), reset_after=0)

    def done(self, started, now):
        self.in_flight = max(0, self.in_flight - 1)
        rt = min(max(max(0, now - started) // US, 1), NO_RT - 1)
        self.w.update(now, lambda a, b: (min(a + 1, COUNTER_MAX), min(b, rt)))

    def record_cpu(self, sample):
        self.cpu = self.cpu * self.decay + float(sample) * (1.0 - self.decay)
        return self.cpu


class Throttle:
    def __init__(self, c):
        self.k = float(c.get("k", 2.0))
        self.min_requests = c.get("min_requests", 20)
        self.max_p = float(c.get("max_reject_probability", 0.9))
        self.w = Window(c.get("window_ns", 10 * S), c.get("buckets", 40), 0)

    def counts(self, now):
        return self.w.fold(now, 0, (0, 0), lambda acc, a, b: (acc[0] + a, acc[1] + b))

    def p(self, now):
        req, acc = self.counts(now)
        if req < self.min_requests:
            return 0.0
        p = (float(req) - self.k * float(acc)) / (float(req) + 1.0)
        return min(max(p, 0.0), self.max_p)

    def acquire(self, now, draw):
        threshold = min(int(self.p(now) * 2.0**64), MAX)
        self.w.update(now, lambda a, b: (min(a + 1, COUNTER_MAX), b))
        if draw < threshold:
            return dict(reason="throttled", retry_after=self.w.bucket_ns, remaining=0, reset_after=0)
        return dict(reason="admitted", retry_after=0, remaining=0, reset_after=0)

    def record(self, now, success):
        if success:
            self.w.update(now, lambda a, b: (a, min(b + 1, COUNTER_MAX)))


def shedder_vector(name, description, config, script):
    """script: list of (at, op, arg) with op in acquire / done / cpu."""
    m, steps = Shedder(config), []
    for at, op, arg in script:
        if op == "acquire":
            e = m.acquire(at)
            step = {"at": at, "op": "acquire", "expect": e}
        elif op == "done":
            m.done(arg, at)
            step = {"at": at, "op": "done", "args": {"started_at": arg}, "expect": {}}
        else:
            step = {"at": at, "op": "cpu", "args": {"permille": arg}, "expect": {"cpu": int(m.record_cpu(arg))}}
        step["expect"]["in_flight"] = m.in_flight
        step["expect"]["max_in_flight"] = m.estimate(at)
        steps.append(step)
    write(name, "shedder", description, config, steps)


def throttle_vector(name, description, config, script):
    """script: list of (at, op, arg) with op in acquire (draw) / record (success)."""
    m, steps = Throttle(config), []
    for at, op, arg in script:
        ppm = int(m.p(at) * 1e6)
        if op == "acquire":
            e = m.acquire(at, arg)
            e["reject_probability_ppm"] = ppm
            steps.append({"at": at, "op": "acquire", "args": {"draw": arg}, "expect": e})
        else:
            m.record(at, arg)
            steps.append({"at": at, "op": "record", "args": {"success": arg}, "expect": {"reject_probability_ppm": ppm}})
    write(name, "throttle", description, config, steps)


def history(start, n, rt, step=0):
    """n requests started at `start` (spaced by `step`), each done rt later."""
    out = []
    for i in range(n):
        out.append((start + i * step, "acquire", None))
    for i in range(n):
        out.append((start + i * step + rt, "done", start + i * step))
    return out


def shedders():
    fast = {"window_ns": S, "buckets": 10, "cpu_decay": 0.0}
    shedder_vector("shedder-low-cpu-never-sheds", "below the CPU threshold and with no cap, nothing is shed", fast,
                   [(0, "acquire", None)] * 20)
    shedder_vector("shedder-queue-cap", "max_queue refuses past a fixed in-flight count, whatever the CPU",
                   dict(fast, max_queue=3), [(0, "acquire", None)] * 4 + [(5 * MS, "done", 0), (5 * MS, "acquire", None)])
    overload = history(0, 20, 10 * MS) + [(150 * MS, "cpu", 900)] + [(150 * MS, "acquire", None)] * 5
    shedder_vector("shedder-cpu-overload",
                   "CPU at 900 > 800: requests past max_pass * min_rt / bucket in flight are shed", fast, overload)
    shedder_vector("shedder-cool-off",
                   "after a shed the estimate stays enforced for 1 s although the CPU fell, then it lifts", fast,
                   overload + [(200 * MS, "cpu", 100)] + [(200 * MS, "acquire", None)] * 2
                   + [(1150 * MS, "acquire", None), (1151 * MS, "acquire", None)])
    shedder_vector("shedder-cpu-smoothing", "CPU samples are smoothed: cpu = 0.95 * previous + 0.05 * sample",
                   {"window_ns": S, "buckets": 10}, [(0, "cpu", 1000)] * 8 + [(0, "cpu", 0)] * 3)
    shedder_vector("shedder-window-forgets", "history older than the window no longer sets the estimate", fast,
                   history(0, 30, 10 * MS) + [(500 * MS, "acquire", None), (2 * S, "acquire", None)])
    shedder_vector("shedder-current-bucket-excluded",
                   "only finished buckets set the estimate: the running one is still filling", fast,
                   history(0, 10, 5 * MS) + [(20 * MS, "acquire", None), (100 * MS, "acquire", None)])
    shedder_vector("shedder-rt-clock-backwards", "a done whose clock went back records the minimum 1 us", fast,
                   [(10 * MS, "acquire", None), (5 * MS, "done", 10 * MS), (150 * MS, "acquire", None)])
    shedder_vector("shedder-threshold-inclusive", "CPU exactly at the threshold counts as overloaded",
                   dict(fast, cpu_threshold=500), history(0, 4, 50 * MS) + [(100 * MS, "cpu", 500)]
                   + [(100 * MS, "acquire", None)] * 4)
    shedder_vector("shedder-single-in-flight-never-shed", "one request in flight is never shed by the CPU rule",
                   dict(fast, cpu_threshold=1), [(0, "cpu", 1000), (0, "acquire", None), (0, "acquire", None),
                                                 (1 * MS, "done", 0), (1 * MS, "done", 0), (1 * MS, "acquire", None)])
    shedder_vector("shedder-slow-rt-saturates", "response times past ~1.05 s saturate rather than wrap", fast,
                   [(0, "acquire", None), (5 * S, "done", 0), (5 * S + 100 * MS, "acquire", None)])
    shedder_vector("shedder-estimate-grows-with-throughput", "more passes per bucket raise the in-flight estimate",
                   fast, history(0, 200, 40 * MS) + [(150 * MS, "cpu", 1000)] + [(150 * MS, "acquire", None)] * 82)
    err = lambda name, desc, cfg, field: write(name, "shedder", desc, cfg, error_field=field)
    err("shedder-error-buckets-zero", "zero buckets are refused", {"buckets": 0}, "buckets")
    err("shedder-error-buckets-too-many", "more than 128 buckets are refused", {"buckets": 129}, "buckets")
    err("shedder-error-window-not-multiple", "the window must split into whole buckets",
        {"window_ns": S + 1, "buckets": 10}, "window_ns")
    err("shedder-error-threshold-zero", "a CPU threshold of 0 is refused", {"cpu_threshold": 0}, "cpu_threshold")
    err("shedder-error-threshold-above-1000", "a CPU threshold above 1000 permille is refused",
        {"cpu_threshold": 1001}, "cpu_threshold")
    err("shedder-error-decay-one", "a decay of 1 would never move", {"cpu_decay": 1.0}, "cpu_decay")


def throttles():
    c = {"window_ns": S, "buckets": 10, "min_requests": 5}
    fail = lambda t, n: [(t, "acquire", MAX // 2), (t, "record", False)] * n
    ok = lambda t, n: [(t, "acquire", MAX // 2), (t, "record", True)] * n
    throttle_vector("throttle-min-requests", "under min_requests nothing is refused, even when all fail",
                    c, [(0, "acquire", 0), (0, "record", False)] * 5)
    throttle_vector("throttle-all-failing", "with every request failing, p rises and draws below it are refused",
                    c, fail(0, 10) + [(0, "acquire", 0)] * 3)
    throttle_vector("throttle-max-probability", "p is capped at max_reject_probability so some requests probe",
                    dict(c, max_reject_probability=0.5), fail(0, 40) + [(0, "acquire", MAX // 2 - 1),
                                                                       (0, "acquire", MAX // 2 + 1)])
    throttle_vector("throttle-healthy", "a backend that accepts everything is never throttled", c,
                    ok(0, 50) + [(0, "acquire", 0)])
    throttle_vector("throttle-recovery", "successes after failures bring p back to 0", c,
                    fail(0, 10) + ok(100 * MS, 20) + [(100 * MS, "acquire", 0)])
    throttle_vector("throttle-window-forgets", "failures older than the window are forgotten", c,
                    fail(0, 20) + [(500 * MS, "acquire", 0), (1100 * MS, "acquire", 0)])
    throttle_vector("throttle-k-one", "k = 1 refuses as soon as requests exceed accepts", dict(c, k=1.0),
                    ok(0, 5) + fail(0, 1) + [(0, "acquire", 0)])
    throttle_vector("throttle-k-two-tolerates-half", "k = 2 tolerates half of the requests failing", c,
                    (ok(0, 1) + fail(0, 1)) * 10 + [(0, "acquire", 0)])
    throttle_vector("throttle-never", "max_reject_probability 0 never refuses",
                    dict(c, max_reject_probability=0.0), fail(0, 20) + [(0, "acquire", 0)])
    throttle_vector("throttle-time-backwards", "a clock stepping back counts into the newer bucket", c,
                    fail(500 * MS, 10) + fail(400 * MS, 10) + [(500 * MS, "acquire", 0)])
    throttle_vector("throttle-refused-count-as-requests",
                    "locally refused requests count as requests, as in the SRE book", dict(c, min_requests=1),
                    fail(0, 2) + [(0, "acquire", 0)] * 5)
    err = lambda name, desc, cfg, field: write(name, "throttle", desc, cfg, error_field=field)
    err("throttle-error-k-below-one", "k below 1 would refuse healthy traffic", {"k": 0.5}, "k")
    err("throttle-error-probability-above-one", "a probability above 1 is refused", {"max_reject_probability": 1.5},
        "max_reject_probability")
    err("throttle-error-buckets-zero", "zero buckets are refused", {"buckets": 0}, "buckets")
    err("throttle-error-window-short", "a window shorter than 1 ms per bucket is refused",
        {"window_ns": 10, "buckets": 10}, "window_ns")


if __name__ == "__main__":
    shedders()
    throttles()
