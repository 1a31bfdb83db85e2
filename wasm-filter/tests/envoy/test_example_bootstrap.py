"""examples/envoy/envoy.yaml, started as a user would start it: the same file,
with only its ports moved to free ones and the wasm path made absolute."""
from __future__ import annotations

import yaml

from harness import ROOT, WASM, Envoy, Upstream, request

EXAMPLE = ROOT / "examples/envoy/envoy.yaml"


def _example(port_a: int, port_b: int) -> dict:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["admin"]["address"]["socket_address"]["port_value"] = 0
    (listener,) = config["static_resources"]["listeners"]
    listener["address"]["socket_address"]["port_value"] = 0
    ports = {"service_a": port_a, "service_b": port_b}
    for cluster in config["static_resources"]["clusters"]:
        (group,) = cluster["load_assignment"]["endpoints"]
        (endpoint,) = group["lb_endpoints"]
        endpoint["endpoint"]["address"]["socket_address"]["port_value"] = ports[cluster["name"]]
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    wasm = next(f for f in hcm["http_filters"] if f["name"] == "envoy.filters.http.wasm")
    wasm["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"] = str(WASM)
    return config


def test_example_serves_limits_and_picks_through_both_copies() -> None:
    a, b = Upstream(), Upstream()
    try:
        with Envoy(_example(a.port, b.port)) as envoy:
            # The per-client limit (20/s, bursts of 40) admits at least the
            # burst, then refuses with 429 and tells when to come back.
            admitted, remaining = 0, []
            for _ in range(400):
                status, headers, body = request(envoy.port, "/api/hello")
                if status == 429:
                    break
                assert status == 200 and body == b"upstream\n", (status, body)
                admitted += 1
                # headers_on_success: each answer says what is left.
                assert int(headers["x-ratelimit-limit"]) == 40
                remaining.append(int(headers["x-ratelimit-remaining"]))
            assert status == 429, f"no refusal after {admitted} requests"
            assert admitted >= 40, admitted
            assert int(headers["retry-after"]) >= 1
            assert remaining[0] == 39 and min(remaining) <= 1, remaining
            # Outside /api only the service rule applies: no per-client limit.
            assert request(envoy.port, "/health")[0] == 200
            served = admitted + 1
            assert a.hits + b.hits == served
            assert a.hits > 0 and b.hits > 0, (a.hits, b.hits)

            picked = "wasmcustom.weir.service.picked.service_{}"
            stats = envoy.settled_stats(
                lambda s: s.get(picked.format("a"), 0) + s.get(picked.format("b"), 0) == served
            )
            assert stats[picked.format("a")] == a.hits
            assert stats[picked.format("b")] == b.hits
            assert stats["wasmcustom.weir.per_client.limited"] == 1
            # stats_tags lifts the rule name into a tag.
            prometheus = envoy.get_admin("/stats/prometheus")
            assert 'weir_limited{weir_rule="per_client"} 1' in prometheus.splitlines()
    finally:
        a.close()
        b.close()
