//! Envoy in front of the upstream: a bootstrap bare, with weir (the wasm
//! filter, or the dynamic module `libweir_envoy.so`) or with Envoy's own
//! protection, started on free loopback ports and waited for.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::procs::{free_port, Guard};

pub struct Envoy {
    pub port: u16,
    pub admin: u16,
    pub log: PathBuf,
    _proc: Guard,
}

/// A JSON string literal holding `s`.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How weir is loaded: `weir_filter.wasm`, or the dynamic module.
#[derive(Debug, Clone, Copy)]
pub enum Weir<'a> {
    Wasm(&'a Path),
    Module(&'a Path),
}

/// What stands between the listener and the router.
#[derive(Debug, Clone, Copy)]
pub enum Front<'a> {
    /// Envoy as it ships: nothing.
    Bare,
    /// weir, loaded as given, with this plugin configuration.
    Weir(Weir<'a>, &'a str),
    /// Envoy's `local_ratelimit` and `adaptive_concurrency`.
    Native,
}

/// The module's filter entry. Its counters go under the wasm filter's
/// namespace (`wasmcustom`), so both cases read the same stat names.
fn module_filter(plugin: &str) -> String {
    format!(
        r#"{{"name": "envoy.filters.http.dynamic_modules", "typed_config": {{
  "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
  "dynamic_module_config": {{"name": "weir_envoy", "metrics_namespace": "wasmcustom"}},
  "filter_name": "weir",
  "filter_config": {{"@type": "type.googleapis.com/google.protobuf.StringValue", "value": {}}}}}}},"#,
        json_string(plugin)
    )
}

fn wasm_filter(wasm: &Path, plugin: &str) -> String {
    format!(
        r#"{{"name": "envoy.filters.http.wasm", "typed_config": {{
  "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
  "config": {{"name": "weir", "root_id": "weir", "failure_policy": "FAIL_RELOAD",
    "configuration": {{"@type": "type.googleapis.com/google.protobuf.StringValue", "value": {}}},
    "vm_config": {{"vm_id": "weir", "runtime": "envoy.wasm.runtime.v8", "code": {{"local": {{"filename": {}}}}}}}}}}}}},"#,
        json_string(plugin),
        json_string(&wasm.display().to_string())
    )
}

/// The bootstrap: one listener routing everything to the upstream, Envoy's
/// defaults otherwise (connection pool, circuit breakers, 15 s route timeout),
/// so "without weir" is Envoy as it ships.
pub fn bootstrap(port: u16, admin: u16, upstream: u16, front: Front<'_>) -> String {
    let filter = match front {
        Front::Weir(Weir::Wasm(wasm), plugin) => wasm_filter(wasm, plugin),
        Front::Weir(Weir::Module(_), plugin) => module_filter(plugin),
        Front::Native => crate::scenario::envoy_native_filters(),
        Front::Bare => String::new(),
    };
    format!(
        r#"{{"admin": {{"address": {{"socket_address": {{"address": "127.0.0.1", "port_value": {admin}}}}}}},
"static_resources": {{
 "listeners": [{{"name": "main", "address": {{"socket_address": {{"address": "127.0.0.1", "port_value": {port}}}}},
  "filter_chains": [{{"filters": [{{"name": "envoy.filters.network.http_connection_manager", "typed_config": {{
   "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
   "stat_prefix": "demo",
   "route_config": {{"virtual_hosts": [{{"name": "all", "domains": ["*"],
     "routes": [{{"match": {{"prefix": "/"}}, "route": {{"cluster": "upstream"}}}}]}}]}},
   "http_filters": [{filter}
    {{"name": "envoy.filters.http.router", "typed_config": {{"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}}}]
  }}}}]}}]}}],
 "clusters": [{{"name": "upstream", "type": "STATIC", "connect_timeout": "1s",
  "load_assignment": {{"cluster_name": "upstream", "endpoints": [{{"lb_endpoints": [{{"endpoint": {{"address":
   {{"socket_address": {{"address": "127.0.0.1", "port_value": {upstream}}}}}}}}}]}}]}}}}]
}}}}"#
    )
}

/// A GET on the admin port; the body.
pub fn admin_get(admin: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", admin))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nhost: admin\r\nconnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or_default();
    Ok(if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() })
}

/// The payload of a chunked body (the admin answers that way).
pub fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16) else { break };
        let Some(chunk) = rest.get(..n) else { break };
        if n == 0 {
            break;
        }
        out.push_str(chunk);
        body = rest.get(n..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}

impl Envoy {
    /// Starts Envoy with `concurrency` workers and waits until it is LIVE.
    pub fn start(
        binary: &Path,
        dir: &Path,
        name: &str,
        upstream: u16,
        front: Front<'_>,
        concurrency: u32,
    ) -> Result<Envoy, String> {
        let (port, admin) = (free_port().map_err(|e| e.to_string())?, free_port().map_err(|e| e.to_string())?);
        let config = dir.join(format!("{name}.json"));
        let log = dir.join(format!("{name}.log"));
        std::fs::write(&config, bootstrap(port, admin, upstream, front)).map_err(|e| e.to_string())?;
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        if let Front::Weir(Weir::Module(module), _) = front {
            // Envoy finds `libweir_envoy.so` by name in this folder.
            command.env("ENVOY_DYNAMIC_MODULES_SEARCH_PATH", module.parent().unwrap_or(Path::new(".")));
        }
        let child = command
            .arg("-c")
            .arg(&config)
            .args(["--concurrency", &concurrency.to_string(), "--disable-hot-restart", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut envoy = Envoy { port, admin, log, _proc: Guard::new(child) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = envoy._proc.exited() {
                return Err(format!("envoy exited ({status}):\n{}", envoy.log_tail()));
            }
            if admin_get(admin, "/ready").is_ok_and(|b| b.trim() == "LIVE") {
                return Ok(envoy);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("envoy not ready within 60 s:\n{}", envoy.log_tail()))
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        text.get(start..).unwrap_or_default().to_owned()
    }

    /// The protection's counters with non-zero values: weir's
    /// (`wasmcustom.weir.<rule>.<outcome>`), or Envoy's own
    /// (`http.demo.adaptive_concurrency.*`, `ceiling.http_local_rate_limit.*`).
    pub fn protection_counters(&self) -> Vec<(String, u64)> {
        let body =
            admin_get(self.admin, "/stats?filter=weir|adaptive_concurrency|http_local_rate_limit").unwrap_or_default();
        counters(&body)
    }
}

/// The non-zero counters of an admin `/stats` body, without the wasm
/// namespace or the listener's prefix.
pub fn counters(body: &str) -> Vec<(String, u64)> {
    body.lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(": ")?;
            let v: u64 = value.trim().parse().ok()?;
            let name = name.trim_start_matches("wasmcustom.").trim_start_matches("http.demo.");
            (v > 0).then(|| (name.to_owned(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_admin_bodies() {
        assert_eq!(dechunk("5\r\nLIVE\n\r\n0\r\n\r\n"), "LIVE\n");
        assert_eq!(dechunk("3\r\nab:\r\n2\r\n 1\r\n0\r\n\r\n"), "ab: 1");
        assert_eq!(dechunk("zz\r\n"), "");
    }

    #[test]
    fn json_strings_escape() {
        assert_eq!(json_string(r#"{"a": "b\c"}"#), r#""{\"a\": \"b\\c\"}""#);
    }
}
