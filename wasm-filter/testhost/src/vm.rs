//! One filter instance (one worker's VM) and the calls a proxy makes into it.

use crate::abi;
use crate::exchange::{Outcome, Request, Upstream};
use crate::state::{Host, Shared};
use std::fmt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wasmtime::{Config, Engine, Instance, Linker, Module, Store, TypedFunc, WasmParams, WasmResults};

/// A compiled filter module, shareable by every VM and thread.
#[derive(Clone)]
pub struct Plugin {
    engine: Engine,
    module: Module,
}

impl Plugin {
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let bytes =
            std::fs::read(path.as_ref()).map_err(|e| Error::Load(format!("{}: {e}", path.as_ref().display())))?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut config = Config::new();
        // Tests compile once and run briefly: a fast compile beats fast code.
        config.cranelift_opt_level(wasmtime::OptLevel::None);
        let engine = Engine::new(&config).map_err(|e| Error::Load(e.to_string()))?;
        let module = Module::new(&engine, bytes).map_err(|e| Error::Load(e.to_string()))?;
        Ok(Self { engine, module })
    }

    /// `module::name` of every import, for checking what a filter needs.
    pub fn imports(&self) -> Vec<String> {
        self.module.imports().map(|i| format!("{}::{}", i.module(), i.name())).collect()
    }

    /// Names of the functions the module exports, sorted.
    pub fn exported_functions(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.module.exports().filter(|e| e.ty().func().is_some()).map(|e| e.name().to_string()).collect();
        names.sort();
        names
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The module could not be read, compiled or linked.
    Load(String),
    /// The module trapped; the VM is unusable afterwards, as in Envoy.
    Trap(String),
    /// A call into a VM that trapped before.
    Dead,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(m) => write!(f, "cannot load filter: {m}"),
            Error::Trap(m) => write!(f, "filter trapped: {m}"),
            Error::Dead => write!(f, "filter VM trapped earlier"),
        }
    }
}

impl std::error::Error for Error {}

/// A response the filter sent itself: status, details, body, headers.
pub(crate) type LocalResponse = (u32, String, Vec<u8>, Vec<(String, String)>);

/// The state a VM's host calls read and write.
pub(crate) struct VmData {
    pub host: Arc<Shared>,
    pub index: usize,
    pub vm_config: Vec<u8>,
    pub plugin_config: Vec<u8>,
    pub request_headers: Vec<(String, String)>,
    pub request_trailers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub response_trailers: Vec<(String, String)>,
    pub properties: Vec<(Vec<String>, Vec<u8>)>,
    pub local_response: Option<LocalResponse>,
    pub tick_period_ms: u32,
}

/// One instance of the filter, like one Envoy worker's VM.
pub struct Vm {
    store: Store<VmData>,
    instance: Instance,
    root_id: u32,
    next_id: u32,
    dead: bool,
}

impl Host {
    /// Starts a VM of `plugin` and configures it with `config`; a refused
    /// configuration is an `Ok` VM whose [`Vm::configured`] is false.
    pub fn start(&self, plugin: &Plugin, config: &[u8]) -> Result<Vm, Error> {
        let mut vm = self.instantiate(plugin)?;
        vm.configure(config)?;
        Ok(vm)
    }

    /// A VM that has run `_initialize` and `proxy_on_vm_start` only.
    pub fn instantiate(&self, plugin: &Plugin) -> Result<Vm, Error> {
        let load = |e: wasmtime::Error| Error::Load(format!("{e:#}"));
        let mut linker = Linker::new(&plugin.engine);
        let done = abi::link(&mut linker).map_err(load)?;
        abi::link_rest(&mut linker, &plugin.module, &done).map_err(load)?;
        let index = self.shared.vms.fetch_add(1, Ordering::SeqCst) as usize;
        let data = VmData {
            host: self.shared.clone(),
            index,
            vm_config: Vec::new(),
            plugin_config: Vec::new(),
            request_headers: Vec::new(),
            request_trailers: Vec::new(),
            response_headers: Vec::new(),
            response_trailers: Vec::new(),
            properties: Vec::new(),
            local_response: None,
            tick_period_ms: 0,
        };
        // What Envoy's host refuses to load: no ABI version marker, no
        // allocator to hand the module data in.
        let exports = plugin.exported_functions();
        let has = |name: &str| exports.iter().any(|e| e == name);
        if !["proxy_abi_version_0_1_0", "proxy_abi_version_0_2_0", "proxy_abi_version_0_2_1"].iter().any(|v| has(v)) {
            return Err(Error::Load("missing or unknown proxy-wasm ABI version".into()));
        }
        if !has("malloc") && !has("proxy_on_memory_allocate") {
            return Err(Error::Load("module exports no malloc or proxy_on_memory_allocate".into()));
        }
        let mut store = Store::new(&plugin.engine, data);
        let instance = linker.instantiate(&mut store, &plugin.module).map_err(load)?;
        let mut vm = Vm { store, instance, root_id: 1, next_id: 2, dead: false };
        for init in ["_initialize", "_start"] {
            if vm.instance.get_func(&mut vm.store, init).is_some() {
                vm.call::<(), ()>(init, ())?;
                break;
            }
        }
        vm.callback::<(u32, u32), ()>("proxy_on_context_create", (vm.root_id, 0), ())?;
        if vm.callback::<(u32, u32), u32>("proxy_on_vm_start", (vm.root_id, 0), 1)? == 0 {
            return Err(Error::Load("proxy_on_vm_start refused to start".into()));
        }
        Ok(vm)
    }
}

impl Vm {
    fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P) -> Result<R, Error> {
        if self.dead {
            return Err(Error::Dead);
        }
        let func: TypedFunc<P, R> = self
            .instance
            .get_typed_func(&mut self.store, name)
            .map_err(|e| Error::Load(format!("export {name}: {e}")))?;
        func.call(&mut self.store, params).map_err(|e| {
            self.dead = true;
            Error::Trap(format!("{name}: {e:#}"))
        })
    }

    /// Calls an optional `proxy_on_*` callback. Envoy's host looks callbacks
    /// up once and skips those a module does not export, answering what the
    /// ABI defines for a missing one (`absent`); so does this host.
    fn callback<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P, absent: R) -> Result<R, Error> {
        if self.dead {
            return Err(Error::Dead);
        }
        if self.instance.get_func(&mut self.store, name).is_none() {
            return Ok(absent);
        }
        self.call(name, params)
    }

    /// Hands the VM a plugin configuration; `Ok(false)` if it refused it.
    pub fn configure(&mut self, config: &[u8]) -> Result<bool, Error> {
        self.store.data_mut().plugin_config = config.to_vec();
        let ok: u32 = self.callback("proxy_on_configure", (self.root_id, config.len() as u32), 1)?;
        Ok(ok != 0)
    }

    /// The tick period the filter asked for, in milliseconds (0: none).
    pub fn tick_period_ms(&self) -> u32 {
        self.store.data().tick_period_ms
    }

    /// Runs the root context's `on_tick`.
    pub fn tick(&mut self) -> Result<(), Error> {
        self.callback("proxy_on_tick", self.root_id, ())
    }

    /// Whether an earlier call trapped.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// One full exchange: request headers through the filter; if it lets
    /// the request through, `upstream` answers (the clock moves by its
    /// latency) and the response headers go through the filter; then the
    /// stream is logged and closed.
    pub fn http(&mut self, request: &Request, upstream: &Upstream) -> Result<Outcome, Error> {
        let stream = self.begin(request)?;
        if !stream.answered() {
            self.store.data().host.clock.fetch_add(upstream.latency_ns, Ordering::SeqCst);
        }
        self.finish(stream, upstream)
    }

    /// The request half of an exchange: the stream stays open (in flight)
    /// until [`Vm::finish`] or [`Vm::reset`], so a test can hold many
    /// requests in flight at once. The clock does not move.
    pub fn begin(&mut self, request: &Request) -> Result<Stream, Error> {
        let id = self.next_id;
        self.next_id += 1;
        self.install(&request.headers, &request.properties);
        self.callback::<(u32, u32), ()>("proxy_on_context_create", (id, self.root_id), ())?;
        let n = request.headers.len() as u32;
        let action: u32 = self.callback("proxy_on_request_headers", (id, n, 0u32), 0)?;
        let mut out = Outcome { request_action: action, ..Outcome::default() };
        let local = self.store.data_mut().local_response.take();
        if let Some((status, details, body, headers)) = local {
            out.status = status;
            out.details = details;
            out.body = body;
            out.headers = headers;
        } else {
            out.reached_upstream = true;
            out.upstream_request_headers = self.store.data().request_headers.clone();
        }
        Ok(Stream { id, properties: request.properties.clone(), out })
    }

    /// The response half: if the request reached the upstream, `upstream`
    /// answers through the filter's response path; then the stream is
    /// logged and closed.
    pub fn finish(&mut self, stream: Stream, upstream: &Upstream) -> Result<Outcome, Error> {
        let Stream { id, properties, mut out } = stream;
        if out.reached_upstream {
            self.install(&out.upstream_request_headers, &properties);
            let mut headers = vec![(":status".to_string(), upstream.status.to_string())];
            headers.extend(upstream.headers.iter().cloned());
            self.store.data_mut().response_headers = headers;
            let n = self.store.data().response_headers.len() as u32;
            let _: u32 = self.callback("proxy_on_response_headers", (id, n, 1u32), 0)?;
            out.status = upstream.status;
            out.headers = self.store.data().response_headers.clone();
        }
        self.close(id)?;
        Ok(out)
    }

    /// Ends a stream without any response headers, as a reset or a
    /// timeout does: only the log and close callbacks run.
    pub fn reset(&mut self, stream: Stream) -> Result<Outcome, Error> {
        let Stream { id, properties, out } = stream;
        self.install(&out.upstream_request_headers, &properties);
        self.close(id)?;
        Ok(out)
    }

    fn install(&mut self, headers: &[(String, String)], properties: &[(Vec<String>, Vec<u8>)]) {
        let d = self.store.data_mut();
        d.request_headers = headers.to_vec();
        d.properties = properties.to_vec();
        d.response_headers.clear();
        d.local_response = None;
    }

    fn close(&mut self, id: u32) -> Result<(), Error> {
        self.callback::<u32, ()>("proxy_on_log", id, ())?;
        let _: u32 = self.callback("proxy_on_done", id, 1)?;
        self.callback::<u32, ()>("proxy_on_delete", id, ())
    }
}

/// A request the filter has seen and that has not finished yet.
#[derive(Debug)]
pub struct Stream {
    id: u32,
    properties: Vec<(Vec<String>, Vec<u8>)>,
    out: Outcome,
}

impl Stream {
    /// Whether the filter answered the request itself.
    pub fn answered(&self) -> bool {
        !self.out.reached_upstream
    }

    /// The outcome so far: the local answer, or the headers sent upstream.
    pub fn outcome(&self) -> &Outcome {
        &self.out
    }
}
