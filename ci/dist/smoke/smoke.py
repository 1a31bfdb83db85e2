"""The Python smoke program of the release checks: weir as installed from a
wheel. A limiter of burst 3 admits exactly 3 and refuses the 4th with a
retry time; a bad burst is refused naming the field.

    python smoke.py VERSION
"""
import importlib.metadata
import sys

import weir


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"python smoke: {what}")


want = sys.argv[1]
dist = importlib.metadata.distribution("weir")
check(dist.version == want, f"installed weir {dist.version}, want {want}")
tags = [line.split(": ", 1)[1] for line in (dist.read_text("WHEEL") or "").splitlines() if line.startswith("Tag: ")]

limiter = weir.Limiter(1, per=3600, burst=3)
now = weir.monotonic_ns()
for i in range(1, 4):
    d = limiter.try_acquire(now=now)
    check(d.admitted, f"request {i} refused ({d.reason}) within the burst of 3")
d = limiter.try_acquire(now=now)
check(not d.admitted and d.reason == "rate_limited" and d.retry_after_ns > 0,
      f"request 4: {d.reason}, retry after {d.retry_after_ns} ns; want rate_limited with a retry time")
try:
    weir.Limiter(1, burst=0)
    check(False, "burst 0 was accepted")
except weir.ConfigError as e:
    check("burst" in str(e), f"burst 0 refused without naming the field: {e}")
print(f"python {sys.version_info.major}.{sys.version_info.minor} ({', '.join(tags)}): weir {dist.version} "
      f"admitted 3, refused the 4th ({d.reason}, retry after {d.retry_after:.0f} s)")
