"""Replays weir's conformance vectors (core/tests/vectors, format in its
README) through this package's public classes, with explicit `now`, so the
Python package is held to the same traces as core and every other host.

`replay(vector)` raises `AssertionError` naming the step that differs."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import weir
from weir import _weir

Vector = Dict[str, Any]
Step = Dict[str, Any]


def num(v: Any) -> int:
    """A vector integer: a JSON number or a string of decimal digits."""
    if isinstance(v, bool):
        raise TypeError(f"not an integer: {v!r}")
    if isinstance(v, str):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, int):
        return v
    raise TypeError(f"not an integer: {v!r}")


def _ns(c: Dict[str, Any], name: str, default: Optional[int] = None) -> Any:
    """A duration field as exact `weir.Nanos`, or the default (None: omitted)."""
    if name in c:
        return weir.Nanos(num(c[name]))
    return None if default is None else weir.Nanos(default)


def _int(c: Dict[str, Any], name: str) -> Optional[int]:
    return num(c[name]) if name in c else None


def _arg(step: Step, name: str) -> int:
    return num(step["args"][name])


def _opt(step: Step, name: str) -> Optional[int]:
    args = step.get("args") or {}
    return num(args[name]) if name in args else None


class _Checker:
    def __init__(self, name: str) -> None:
        self.name = name

    def num(self, i: int, step: Step, field: str, got: int) -> None:
        want = step.get("expect", {}).get(field)
        if want is not None:
            assert got == num(want), f"{self.name} step {i} ({step}): {field} = {got}, want {num(want)}"

    def text(self, i: int, step: Step, field: str, got: str) -> None:
        want = step.get("expect", {}).get(field)
        if want is not None:
            assert got == want, f"{self.name} step {i} ({step}): {field} = {got!r}, want {want!r}"

    def flag(self, i: int, step: Step, field: str, got: bool) -> None:
        want = step.get("expect", {}).get(field)
        if want is not None:
            assert got is want, f"{self.name} step {i} ({step}): {field} = {got}, want {want}"

    def decision(self, i: int, step: Step, d: Any) -> None:
        self.text(i, step, "reason", d.reason)
        self.num(i, step, "retry_after", d.retry_after_ns)
        self.num(i, step, "remaining", d.remaining)
        self.num(i, step, "reset_after", d.reset_after_ns)
        assert bool(d) == (d.reason == "admitted"), f"{self.name} step {i}: truthiness disagrees with reason"


def _kw(**fields: Any) -> Dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def build(primitive: str, c: Dict[str, Any]) -> Any:
    """The object a vector of `primitive` drives, built from its config."""
    if primitive == "limiter":
        return weir.Limiter(_int(c, "rate") or 0, per=_ns(c, "period_ns", 10**9), burst=_int(c, "burst") or 0)
    if primitive == "keyed_limiter":
        capacity = _int(c, "capacity") or 0
        if capacity % 8:
            raise weir.ConfigError("capacity must be a multiple of 8", "capacity", "capacity", "a multiple of 8")
        return weir.KeyedLimiter(
            _int(c, "rate") or 0, per=_ns(c, "period_ns", 10**9), burst=_int(c, "burst") or 0, capacity=capacity
        )
    if primitive == "multi_limiter":
        rates = [(_int(r, "rate") or 0, _ns(r, "period_ns", 10**9), _int(r, "burst") or 0) for r in c.get("rates", [])]
        return weir.MultiLimiter(rates)
    if primitive == "concurrency_limiter":
        return weir.ConcurrencyLimiter(_int(c, "max_in_flight") or 0)
    if primitive == "shedder":
        return weir.Shedder(
            **_kw(
                window=_ns(c, "window_ns"),
                buckets=_int(c, "buckets"),
                cpu_threshold=_int(c, "cpu_threshold"),
                cpu_decay=c.get("cpu_decay"),
                cool_off=_ns(c, "cool_off_ns"),
                max_queue=_int(c, "max_queue"),
            )
        )
    if primitive == "throttle":
        return weir.Throttle(
            **_kw(
                k=c.get("k"),
                window=_ns(c, "window_ns"),
                buckets=_int(c, "buckets"),
                min_requests=_int(c, "min_requests"),
                max_reject_probability=c.get("max_reject_probability"),
            )
        )
    if primitive == "backoff":
        return _backoff(c)
    if primitive == "retry_budget":
        budget = weir.RetryBudget(
            **_kw(
                ratio=c.get("ratio"),
                min_per_second=_int(c, "min_per_second"),
                window=_ns(c, "window_ns"),
                buckets=_int(c, "buckets"),
            )
        )
        return budget, weir.RetryPolicy(_backoff(c), budget)
    if primitive == "deadline":
        return weir.Deadline(**_kw(timeout=_ns(c, "timeout_ns"), margin=_ns(c, "margin_ns")))
    if primitive == "breaker":
        return _breaker(c)
    if primitive == "adaptive_limit":
        return _adaptive(c)
    if primitive == "picker":
        return _weir.PickerCore(
            _int(c, "capacity") or 0,
            **_kw(
                tau=_ns(c, "tau_ns"),
                force_pick=_ns(c, "force_pick_ns"),
                success_floor=c.get("success_floor"),
                cpu_ceiling=_int(c, "cpu_ceiling"),
                latency_bias=_ns(c, "latency_bias_ns"),
                initial_latency=_ns(c, "initial_latency_ns"),
            ),
        )
    if primitive == "singleflight":
        return _weir.FlightTable(_int(c, "capacity") or 0)
    if primitive == "quantile":
        window = _kw(window=_ns(c, "window_ns"), sub_windows=_int(c, "sub_windows"))
        return weir.LatencyQuantiles(**window), weir.LatencyQuantiles(**window)
    if primitive == "hot_keys":
        half_life = num(c["half_life_ns"]) if "half_life_ns" in c else None
        return weir.HotKeys(
            _int(c, "capacity") or 0,
            **_kw(half_life=None if half_life is None else float("inf") if half_life == 2**64 - 1 else weir.Nanos(half_life)),
        )
    if primitive == "hedge":
        return weir.Hedger(
            **_kw(
                quantile=c.get("quantile"),
                floor=_ns(c, "floor_ns"),
                ceiling=None if "ceiling_ns" not in c else float("inf") if num(c["ceiling_ns"]) == 2**64 - 1 else _ns(c, "ceiling_ns"),
                max_hedges=_int(c, "max_hedges"),
                min_samples=_int(c, "min_samples"),
                budget_ratio=c.get("ratio"),
                budget_min_per_second=_int(c, "min_per_second"),
                budget_window=_ns(c, "window_ns"),
                budget_buckets=_int(c, "buckets"),
            )
        )
    raise KeyError(f"no replay for primitive {primitive!r}")


_BREAKER_DURATIONS = {
    "window_ns": "window_duration",
    "slow_call_ns": "slow_call_duration",
    "open_ns": "open_duration",
    "half_open_max_ns": "half_open_max_wait",
}


def _breaker(c: Dict[str, Any]) -> weir.CircuitBreaker:
    kw: Dict[str, Any] = {}
    for name, value in c.items():
        if name in _BREAKER_DURATIONS:
            kw[_BREAKER_DURATIONS[name]] = weir.Nanos(num(value))
        elif name in ("failure_rate_threshold", "slow_call_rate_threshold", "window"):
            kw[name] = value
        else:
            kw[name] = num(value)
    kw.setdefault("window", "count")
    return weir.CircuitBreaker(**kw)


def _adaptive(c: Dict[str, Any]) -> weir.AdaptiveLimiter:
    kw: Dict[str, Any] = {}
    for name, value in c.items():
        if name == "timeout_ns":
            kw["timeout"] = weir.Nanos(num(value))
        elif name in ("algorithm", "smoothing", "rtt_tolerance", "backoff_ratio"):
            kw[name] = value
        else:
            kw[name] = num(value)
    return weir.AdaptiveLimiter(**kw)


def _moves(ck: _Checker, i: int, step: Step, got: List[Any]) -> None:
    want = step.get("expect", {}).get("transitions")
    if want is None:
        return
    assert len(want) == len(got), f"{ck.name} step {i} ({step}): transitions {got}, want {want}"
    for w, g in zip(want, got):
        fields = {
            "from": g.from_state,
            "to": g.to_state,
            "cause": g.cause,
            "calls": g.calls,
            "failures": g.failures,
            "slow": g.slow,
            "consecutive_failures": g.consecutive_failures,
        }
        for name, value in w.items():
            want_value = value if isinstance(value, str) else num(value)
            assert fields[name] == want_value, f"{ck.name} step {i} ({step}): transition {name} = {fields[name]!r}"


def _run_breaker(b: weir.CircuitBreaker, steps: List[Step], ck: _Checker) -> None:
    permits: List[Any] = []
    for i, step in enumerate(steps):
        now, op = num(step["at"]), step["op"]
        args = step.get("args") or {}
        if op in ("acquire", "call"):
            call = (bool(args["failed"]), _opt(step, "duration_ns") or 0) if op == "call" else None
            d, permit, moves = b._acquire_moves(now, call)
            ck.decision(i, step, d)
            ck.flag(i, step, "probe", permit is not None and permit.probe)
            if permit is not None and op == "acquire":
                permits.append(permit)
        elif op == "record":
            moves = b._record_moves(now, permits[_arg(step, "permit")], bool(args["failed"]), _opt(step, "duration_ns") or 0)
        elif op == "release":
            moves = []
            ck.flag(i, step, "released", b.release(permits[_arg(step, "permit")]))
        elif op in ("force_open", "disable", "reset"):
            moves = b._command_moves(now, op)
        else:
            raise AssertionError(f"unknown op {op}")
        _moves(ck, i, step, moves)
        s = b.stats(now)
        ck.text(i, step, "state", s["state"])
        for name in ("calls", "failures", "slow", "consecutive_failures", "probes_issued", "probes_returned"):
            ck.num(i, step, name, s[name])
        ck.num(i, step, "open_left", s["open_left_ns"])


def _run_adaptive(lim: weir.AdaptiveLimiter, steps: List[Step], ck: _Checker) -> None:
    permits: List[Any] = []
    for i, step in enumerate(steps):
        op = step["op"]
        args = step.get("args") or {}
        outcome = args.get("outcome", "success")
        if op == "acquire":
            d, permit = lim.try_acquire(0)
            ck.decision(i, step, d)
            if permit is not None:
                permits.append(permit)
        elif op == "release":
            n = _arg(step, "permit")
            assert permits[n] is not None, f"{ck.name} step {i}: permit {n} released twice"
            lim.release(permits[n], outcome, weir.Nanos(_arg(step, "rtt_ns")))
            permits[n] = None
        elif op == "cycle":
            rtt = weir.Nanos(_arg(step, "rtt_ns"))
            for _ in range(_opt(step, "rounds") or 1):
                held = []
                for _ in range(_arg(step, "concurrent")):
                    _, permit = lim.try_acquire(0)
                    if permit is None:
                        break
                    held.append(permit)
                for permit in held:
                    lim.release(permit, outcome, rtt)
        else:
            raise AssertionError(f"unknown op {op}")
        s = lim.stats()
        ck.num(i, step, "limit", s["limit"])
        ck.num(i, step, "in_flight", s["in_flight"])
        ck.num(i, step, "estimate_milli", int(s["estimate"] * 1000))
        ck.num(i, step, "baseline_rtt_ns", int(s["baseline_rtt_ns"]))


def _backoff(c: Dict[str, Any]) -> weir.Backoff:
    return weir.Backoff(
        **_kw(
            base=_ns(c, "base_ns"),
            cap=_ns(c, "cap_ns"),
            multiplier=c.get("multiplier"),
            jitter=c.get("jitter"),
            attempts=_int(c, "max_attempts"),
            advised_cap=_ns(c, "advised_cap_ns"),
        )
    )


def _header(ck: _Checker, i: int, step: Step, parse: Callable[[], int]) -> None:
    try:
        ns = parse()
    except ValueError as e:
        assert "ns" not in step.get("expect", {}), f"{ck.name} step {i}: refused ({e}), expected a value"
        ck.text(i, step, "error", str(e).rsplit(": ", 1)[-1])
        return
    assert "error" not in step.get("expect", {}), f"{ck.name} step {i}: parsed {ns}, expected an error"
    ck.num(i, step, "ns", ns)


def _format(ck: _Checker, i: int, step: Step, fmt: Callable[[], str]) -> None:
    try:
        text = fmt()
    except ValueError as e:
        assert "value" not in step.get("expect", {}), f"{ck.name} step {i}: refused ({e}), expected a value"
        ck.text(i, step, "error", str(e).rsplit(": ", 1)[-1])
        return
    assert "error" not in step.get("expect", {}), f"{ck.name} step {i}: wrote {text}, expected an error"
    ck.text(i, step, "value", text)


def _run_tail(primitive: str, obj: Any, steps: List[Step], ck: _Checker) -> None:
    """quantile, hot_keys and hedge."""
    for i, step in enumerate(steps):
        now, op = num(step["at"]), step["op"]
        args = step.get("args") or {}
        want = step.get("expect", {})
        if primitive == "quantile":
            q, other = obj
            if op == "record":
                (other if args.get("into") == "other" else q).record_ns(_arg(step, "value"), _opt(step, "count") or 1, now)
            elif op == "quantile":
                got = q.quantile_ns(args["q"], now)
                if "value" in want:
                    assert got == (None if want["value"] is None else num(want["value"])), f"{ck.name} step {i}: value {got}"
            elif op == "merge":
                q.merge(other, now)
            elif op == "bucket":
                lower, upper = weir.LatencyQuantiles.bucket_bounds_ns(_arg(step, "value"))
                ck.num(i, step, "lower", lower)
                ck.num(i, step, "upper", upper)
            else:
                raise AssertionError(f"unknown op {op}")
            ck.num(i, step, "count", q.count(now))
        elif primitive == "hot_keys":
            if op == "record":
                for _ in range(_opt(step, "count") or 1):
                    obj._record_hashed(_arg(step, "key"), now)
            elif op == "top":
                got = obj._top_hashed(_arg(step, "k"), now)
                if "keys" in want:
                    expected = [(num(k["key"]), num(k["count"]), num(k["error"])) for k in want["keys"]]
                    assert got == expected, f"{ck.name} step {i}: keys {got}, want {expected}"
            elif op == "estimate":
                count, error = obj._estimate_hashed(_arg(step, "key"), now)
                ck.num(i, step, "count", count)
                ck.num(i, step, "error", error)
            else:
                raise AssertionError(f"unknown op {op}")
            ck.num(i, step, "total", obj.total(now))
        elif primitive == "hedge":
            if op == "deposit":
                for _ in range(_opt(step, "count") or 1):
                    obj._deposit(now)
            elif op in ("next", "plan"):
                action, reason, due, delay = obj._ask(
                    now,
                    _arg(step, "started_at"),
                    _arg(step, "hedges_sent"),
                    _opt(step, "quantile_ns"),
                    _opt(step, "samples") or 0,
                    _opt(step, "deadline_left_ns"),
                    op == "next",
                )
                ck.text(i, step, "action", action)
                ck.text(i, step, "reason", reason)
                ck.num(i, step, "due", due)
                ck.num(i, step, "delay", delay)
            else:
                raise AssertionError(f"unknown op {op}")
            requests, retries = obj._budget(now)
            ck.num(i, step, "requests", requests)
            ck.num(i, step, "retries", retries)


def _set_rate(obj: Any, i: int, step: Step, now: int, ck: _Checker) -> None:
    """A live change to core's config: accepted, or refused naming the field
    `expect.error` gives."""
    a = step["args"]
    kernel = (num(a["rate"]), num(a.get("period_ns", 10**9)), num(a["burst"]), now)
    want = step.get("expect", {}).get("error")
    try:
        if "index" in a:
            obj._set_config(num(a["index"]), *kernel)
        else:
            obj._set_config(*kernel)
    except weir.ConfigError as e:
        assert want is not None, f"{ck.name} step {i}: set_rate refused: {e}"
        assert e.core_field == want or e.field == want, f"{ck.name} step {i}: refused for {e.field}, want {want}"
        return
    assert want is None, f"{ck.name} step {i}: set_rate accepted, want an error naming {want}"


def _run(primitive: str, obj: Any, steps: List[Step], ck: _Checker) -> None:
    if primitive in ("quantile", "hot_keys", "hedge"):
        return _run_tail(primitive, obj, steps, ck)
    if primitive == "breaker":
        return _run_breaker(obj, steps, ck)
    if primitive == "adaptive_limit":
        return _run_adaptive(obj, steps, ck)
    for i, step in enumerate(steps):
        now, op = num(step["at"]), step["op"]
        if primitive in ("limiter", "keyed_limiter", "multi_limiter") and op == "set_rate":
            _set_rate(obj, i, step, now, ck)
        elif primitive == "limiter":
            assert op == "acquire", op
            ck.decision(i, step, obj.try_acquire(_arg(step, "cost"), now))
        elif primitive == "multi_limiter":
            assert op == "acquire", op
            ck.decision(i, step, obj.try_acquire(_arg(step, "cost"), now))
        elif primitive == "keyed_limiter":
            assert op == "acquire", op
            ck.decision(i, step, obj.try_acquire_hashed(_arg(step, "key"), _arg(step, "cost"), now))
            ck.num(i, step, "live", obj.live(now))
        elif primitive == "concurrency_limiter":
            if op == "acquire":
                ck.decision(i, step, obj.try_acquire())
            elif op == "release":
                ck.flag(i, step, "released", obj.release())
            else:
                raise AssertionError(f"unknown op {op}")
            ck.num(i, step, "in_flight", obj.in_flight)
        elif primitive == "shedder":
            if op == "acquire":
                ck.decision(i, step, obj.try_acquire(now))
            elif op == "done":
                obj.done(_arg(step, "started_at"), now)
            elif op == "cpu":
                ck.num(i, step, "cpu", int(obj.record_cpu(_arg(step, "permille"))))
            else:
                raise AssertionError(f"unknown op {op}")
            stats = obj.stats(now)
            ck.num(i, step, "in_flight", stats["in_flight"])
            ck.num(i, step, "max_in_flight", stats["max_in_flight"])
        elif primitive == "throttle":
            ck.num(i, step, "reject_probability_ppm", int(obj.stats(now)["reject_probability"] * 1e6))
            if op == "acquire":
                ck.decision(i, step, obj.try_acquire(now, _arg(step, "draw")))
            elif op == "record":
                obj.record(bool(step["args"]["success"]), now)
            elif op == "forget":
                obj.forget(_arg(step, "acquired_at"))
            else:
                raise AssertionError(f"unknown op {op}")
        elif primitive == "backoff":
            if op == "delay":
                d = obj.delay_ns(_arg(step, "retry"), _arg(step, "draw"), _opt(step, "previous_ns") or 0)
                ck.num(i, step, "delay_ns", d)
            elif op == "next":
                reason, d = obj.next_ns(
                    _arg(step, "attempt"), _opt(step, "draw") or 0, _opt(step, "previous_ns") or 0, _opt(step, "advised_ns")
                )
                ck.text(i, step, "reason", reason)
                ck.num(i, step, "delay_ns", d)
            elif op == "parse_retry_after":
                value, unix = step["args"]["value"], _opt(step, "now_unix_s") or 0
                _header(ck, i, step, lambda: _weir.parse_retry_after_ns(value, unix))
            else:
                raise AssertionError(f"unknown op {op}")
        elif primitive == "retry_budget":
            budget, policy = obj
            if op == "deposit":
                for _ in range(_opt(step, "count") or 1):
                    budget.deposit(now)
            elif op == "withdraw":
                ck.decision(i, step, budget.withdraw(_opt(step, "delay_ns") or 0, _opt(step, "deadline_left_ns"), now))
            elif op == "retry":
                d, delay = policy.decide(
                    _arg(step, "attempt"),
                    _opt(step, "previous_ns") or 0,
                    _opt(step, "advised_ns"),
                    _opt(step, "deadline_left_ns"),
                    now,
                    _opt(step, "draw") or 0,
                    bool(_opt(step, "no_retry")),
                )
                ck.decision(i, step, d)
                ck.num(i, step, "delay_ns", delay)
            else:
                raise AssertionError(f"unknown op {op}")
            stats = budget.stats(now)
            ck.num(i, step, "requests", stats["requests"])
            ck.num(i, step, "retries", stats["retries"])
        elif primitive == "deadline":
            if op == "budget":
                got = obj.budget_ns(_opt(step, "deadline_ns"), now)
                ck.text(i, step, "reason", "admitted" if got is not None else "deadline_exceeded")
                ck.num(i, step, "timeout_ns", got or 0)
            elif op in ("parse_grpc_timeout", "parse_millis"):
                fn = _weir.parse_grpc_timeout_ns if op == "parse_grpc_timeout" else _weir.parse_millis_ns
                value = step["args"]["value"]
                _header(ck, i, step, lambda: fn(value))
            elif op in ("format_grpc_timeout", "format_millis"):
                fmt = _weir.format_grpc_timeout_ns if op == "format_grpc_timeout" else _weir.format_millis_ns
                ns, buf = _arg(step, "ns"), _opt(step, "buf_len") or 32
                _format(ck, i, step, lambda: fmt(ns, buf))
            else:
                raise AssertionError(f"unknown op {op}")
        elif primitive == "picker":
            if op == "add":
                got = obj._add(_arg(step, "id"), now)
                ck.text(i, step, "reason", "admitted" if got is not None else "table_full")
                if got is not None:
                    ck.num(i, step, "index", got)
            elif op == "remove":
                ck.flag(i, step, "ok", obj._remove(_arg(step, "index")))
            elif op == "set_up":
                ck.flag(i, step, "ok", obj._set_up(_arg(step, "index"), bool(step["args"]["up"])))
            elif op == "pick":
                got = obj._pick(now, _arg(step, "draw"))
                ck.text(i, step, "reason", "admitted" if got is not None else "no_node")
                if got is not None:
                    ck.num(i, step, "index", got[0])
                    ck.num(i, step, "gen", got[1])
                    ck.flag(i, step, "forced", got[2])
            elif op == "done":
                ok = obj._done(
                    _arg(step, "index"),
                    _arg(step, "gen"),
                    _arg(step, "latency_ns"),
                    bool(step["args"]["success"]),
                    _opt(step, "cpu_permille"),
                    now,
                )
                ck.flag(i, step, "ok", ok)
            elif op == "node":
                n = obj._node(_arg(step, "index"))
                assert n is not None, f"step {i}: no slot"
                ck.text(i, step, "state", n["state"])
                ck.num(i, step, "in_flight", n["in_flight"])
                ck.num(i, step, "latency_ns", int(n["latency_ns"]))
                ck.num(i, step, "success_ppm", int(n["success"] * 1e6))
                ck.num(i, step, "cpu_permille", n["cpu_permille"])
                ck.num(i, step, "id", n["id"])
            else:
                raise AssertionError(f"unknown op {op}")
        elif primitive == "singleflight":
            if op == "begin":
                role, slot, gen = obj._begin(_arg(step, "key"))
                ck.text(i, step, "role", role)
                if role != "table_full":
                    ck.num(i, step, "slot", slot)
                    ck.num(i, step, "gen", gen)
            elif op in ("finish", "leave", "is_done"):
                fn = {"finish": obj._finish, "leave": obj._leave, "is_done": obj._is_done}[op]
                got = fn(_arg(step, "slot"), _arg(step, "gen"))
                ck.flag(i, step, "done" if op == "is_done" else "ok", got)
            else:
                raise AssertionError(f"unknown op {op}")
            ck.num(i, step, "occupied", obj.occupied)
            slot = _opt(step, "slot")
            if slot is not None and "waiters" in step.get("expect", {}):
                state = obj._slot_state(slot)
                assert state is not None
                ck.num(i, step, "waiters", state[1])
        else:
            raise KeyError(f"no replay for primitive {primitive!r}")


PRIMITIVES = (
    "limiter",
    "keyed_limiter",
    "multi_limiter",
    "concurrency_limiter",
    "shedder",
    "throttle",
    "backoff",
    "retry_budget",
    "deadline",
    "picker",
    "singleflight",
    "breaker",
    "adaptive_limit",
    "quantile",
    "hot_keys",
    "hedge",
)


def replay(vector: Vector) -> None:
    """Replays one vector; `AssertionError` on the first difference."""
    primitive = vector["primitive"]
    config = vector.get("config", {})
    ck = _Checker(f"{primitive}: {vector.get('description', '')}")
    want = vector.get("expect_config_error")
    if want is not None:
        try:
            build(primitive, config)
        except weir.ConfigError as e:
            assert e.core_field == want["field"], f"{ck.name}: error names {e.core_field!r}, want {want['field']!r}: {e}"
            return
        raise AssertionError(f"{ck.name}: config was accepted, want an error naming {want['field']!r}")
    _run(primitive, build(primitive, config), vector["steps"], ck)
