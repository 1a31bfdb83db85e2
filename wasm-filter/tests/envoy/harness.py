"""Real Envoy around weir_filter.wasm: start it on loopback ports it picks
itself, a loopback upstream the test controls, wrk load, stats reads.
Every process started here is recorded in $WEIR_ENVOY_PIDS (one pid a line)
so the suite script can stop them even if the test run itself dies."""
from __future__ import annotations

import http.server
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import envoy as envoy_pkg

ROOT = Path(__file__).resolve().parents[3]
WASM = Path(os.environ.get("WEIR_FILTER_WASM", ROOT / "target/wasm32-wasip1/release/weir_filter.wasm"))
# The dynamic module's build for this venv's Envoy release; Envoy finds it
# by name in this folder, and the Envoys started here inherit the setting.
MODULE_DIR = Path(os.environ.get("WEIR_ENVOY_MODULE_DIR", ROOT / "target/release"))
os.environ["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"] = str(MODULE_DIR)


def envoy_binary() -> str:
    return str(Path(envoy_pkg.__file__).parent / "_bin" / "envoy")


def _record(pid: int) -> None:
    path = os.environ.get("WEIR_ENVOY_PIDS")
    if path:
        with open(path, "a") as f:
            f.write(f"{pid}\n")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def wasm_filter(plugin_config: dict, failure_policy: str = "FAIL_CLOSED") -> dict:
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "weir",
                "root_id": "weir",
                "failure_policy": failure_policy,
                "configuration": {
                    "@type": "type.googleapis.com/google.protobuf.StringValue",
                    "value": json.dumps(plugin_config),
                },
                "vm_config": {
                    "vm_id": "weir",
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": str(WASM)}},
                },
            },
        },
    }


def module_filter(plugin_config: dict) -> dict:
    """weir as an Envoy dynamic module (libweir_envoy.so), same JSON."""
    return {
        "name": "envoy.filters.http.dynamic_modules",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
            "dynamic_module_config": {"name": "weir_envoy"},
            "filter_name": "weir",
            "filter_config": {
                "@type": "type.googleapis.com/google.protobuf.StringValue",
                "value": json.dumps(plugin_config),
            },
        },
    }


class Loader:
    """How a test puts weir into Envoy: the wasm filter or the dynamic
    module, and the prefix Envoy gives each one's counters."""

    def __init__(self, name: str, make, stats_prefix: str) -> None:
        self.name = name
        self.filter = make
        self.stats_prefix = stats_prefix

    def stat(self, rule: str, outcome: str) -> str:
        return f"{self.stats_prefix}.weir.{rule}.{outcome}"


LOADERS = {
    "wasm": Loader("wasm", wasm_filter, "wasmcustom"),
    "module": Loader("module", module_filter, "dynamicmodulescustom"),
}


ROUTER = {
    "name": "envoy.filters.http.router",
    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
}


def cluster_route(header: str) -> dict:
    """A route whose cluster is named by a request header (what `pick` sets)."""
    return {"match": {"prefix": "/"}, "route": {"cluster_header": header}}


def bootstrap(http_filters: list, route: dict, clusters: list | None = None) -> dict:
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "ingress",
        "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route]}]},
        "http_filters": http_filters + [ROUTER],
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "main",
                    "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
                    "filter_chains": [
                        {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}
                    ],
                }
            ],
            "clusters": clusters or [],
        },
    }


DIRECT_OK = {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": "ok"}}}


def upstream_cluster(name: str, port: int) -> dict:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}],
        },
    }


class Envoy:
    """One Envoy process; `port` is its listener, `admin` its admin port."""

    def __init__(self, config: dict, concurrency: int = 2, expect_start: bool = True, timeout: float = 30):
        self.dir = tempfile.TemporaryDirectory(prefix="weir-envoy-")
        d = Path(self.dir.name)
        (d / "envoy.yaml").write_text(json.dumps(config))
        self.log_path = d / "envoy.log"
        admin_path = d / "admin"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                envoy_binary(), "-c", str(d / "envoy.yaml"), "--concurrency", str(concurrency),
                "--admin-address-path", str(admin_path), "--disable-hot-restart",
                "--log-level", "info", "--component-log-level", "wasm:debug",
            ],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        _record(self.proc.pid)
        self.admin = self.port = None
        if not expect_start:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"envoy exited {self.proc.returncode}:\n{self.logs()[-3000:]}")
            if admin_path.exists() and admin_path.read_text().strip():
                self.admin = int(admin_path.read_text().strip().rsplit(":", 1)[1])
                try:
                    if self.get_admin("/ready").strip() == "LIVE":
                        self.port = self._listener_port()
                        return
                except (urllib.error.URLError, ConnectionError, ValueError):
                    pass
            time.sleep(0.1)
        self.close()
        raise RuntimeError(f"envoy not ready in {timeout}s:\n{self.logs()[-3000:]}")

    def _listener_port(self) -> int:
        listeners = json.loads(self.get_admin("/listeners?format=json"))
        addr = listeners["listener_statuses"][0]["local_address"]["socket_address"]
        return int(addr["port_value"])

    def get_admin(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}{path}", timeout=5) as r:
            return r.read().decode()

    def stats(self) -> dict[str, int]:
        out = {}
        for line in self.get_admin("/stats").splitlines():
            name, _, value = line.partition(": ")
            if value.strip().lstrip("-").isdigit():
                out[name] = int(value)
        return out

    def settled_stats(self, done, timeout: float = 10.0) -> dict[str, int]:
        """Stats once `done(stats)` holds: the filter batches its counters and
        each worker flushes them on its own tick, which a loaded machine
        delays. Returns the last reading either way so asserts show it."""
        deadline = time.monotonic() + timeout
        stats = self.stats()
        while not done(stats) and time.monotonic() < deadline:
            time.sleep(0.1)
            stats = self.stats()
        return stats

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        stop(self.proc)
        self.log.close()
        self.dir.cleanup()

    def __enter__(self) -> "Envoy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def request(port: int, path: str = "/", headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def wrk(port: int, seconds: int = 3, threads: int = 2, connections: int = 8, path: str = "/") -> dict:
    """Runs wrk; returns total requests, non-2xx count and latency percentiles (us)."""
    proc = subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    _record(proc.pid)
    try:
        out, _ = proc.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)

    def pct(p: str) -> float | None:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return None
        scale = {"us": 1, "ms": 1000, "s": 1_000_000}[m.group(2)]
        return float(m.group(1)) * scale

    if not total:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    return {
        "total": int(total.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_us": pct("50"),
        "p99_us": pct("99"),
        "raw": out,
    }


class Upstream:
    """A loopback HTTP server whose answers the test sets: status, latency
    (one value, or a list the requests cycle through), extra headers."""

    def __init__(self) -> None:
        self.status = 200
        self.latency: float | list[float] = 0.0
        self.headers: dict[str, str] = {}
        self.hits = 0
        # The request headers of the last request served, lowercased.
        self.last_headers: dict[str, str] = {}
        self._lock = threading.Lock()
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                with upstream._lock:
                    upstream.hits += 1
                    n = upstream.hits
                    upstream.last_headers = {k.lower(): v for k, v in self.headers.items()}
                latency = upstream.latency
                if isinstance(latency, list):
                    latency = latency[n % len(latency)]
                if latency:
                    time.sleep(latency)
                body = b"upstream\n"
                self.send_response(upstream.status)
                for k, v in upstream.headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client (Envoy, at the end of a wrk run) went away

        class Server(http.server.ThreadingHTTPServer):
            # The default backlog of 5 drops connections Envoy opens in a
            # burst, which would show up as 503s no filter decided.
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset_hits(self) -> None:
        with self._lock:
            self.hits = 0

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
