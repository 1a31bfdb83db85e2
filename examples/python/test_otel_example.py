"""examples/python/otel_metrics.py as a user runs it: the export rule's
counts after eight requests, under the filter's metric names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_export_rule_counts_five_admitted_and_three_limited() -> None:
    out = subprocess.run(
        [sys.executable, str(HERE / "otel_metrics.py")], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.count("-> 200 admitted") == 5 and out.count("-> 429 rate_limited") == 3, out
    assert 'weir_admitted{weir_rule="export"} 5\n' in out, out
    assert 'weir_limited{weir_rule="export"} 3\n' in out, out
    assert 'weir_admitted{weir_rule="per_client"} 8\n' in out, out
