//! The proxy-wasm 0.2.1 ABI calls (module `env`) and the WASI calls a
//! filter built for wasm32-wasip1 makes, implemented against [`VmData`].

use crate::state::{lock, status, LogLine, Metrics};
use crate::vm::VmData;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use wasmtime::{Caller, Extern, Linker, Module, Result, Val, ValType};

type C<'a> = Caller<'a, VmData>;

fn memory(caller: &mut C<'_>) -> Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(wasmtime::Error::msg("module exports no memory")),
    }
}

fn read(caller: &mut C<'_>, ptr: u32, len: u32) -> Result<Vec<u8>> {
    let mem = memory(caller)?;
    let mut buf = vec![0u8; len as usize];
    mem.read(&*caller, ptr as usize, &mut buf)?;
    Ok(buf)
}

fn read_str(caller: &mut C<'_>, ptr: u32, len: u32) -> Result<String> {
    Ok(String::from_utf8_lossy(&read(caller, ptr, len)?).into_owned())
}

fn write(caller: &mut C<'_>, ptr: u32, bytes: &[u8]) -> Result<()> {
    let mem = memory(caller)?;
    mem.write(&mut *caller, ptr as usize, bytes)?;
    Ok(())
}

/// Hands `bytes` to the module in memory it allocates itself, as Envoy does,
/// and stores the pointer and length at the two out-pointers.
fn give(caller: &mut C<'_>, bytes: &[u8], data_out: u32, size_out: u32) -> Result<()> {
    let alloc = ["proxy_on_memory_allocate", "malloc"]
        .iter()
        .find_map(|name| caller.get_export(name).and_then(Extern::into_func))
        .ok_or_else(|| wasmtime::Error::msg("module exports no allocator"))?;
    let ptr = alloc.typed::<u32, u32>(&*caller)?.call(&mut *caller, bytes.len() as u32)?;
    write(caller, ptr, bytes)?;
    write(caller, data_out, &ptr.to_le_bytes())?;
    write(caller, size_out, &(bytes.len() as u32).to_le_bytes())
}

/// The proxy-wasm map layout: count, (key len, value len)*, (key NUL value NUL)*.
pub(crate) fn encode_map(pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = (pairs.len() as u32).to_le_bytes().to_vec();
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

pub(crate) fn decode_map(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let word =
        |at: usize| -> Option<usize> { Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize) };
    let n = word(0)?;
    let mut sizes = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        sizes.push((word(4 + 8 * i)?, word(8 + 8 * i)?));
    }
    let mut at = 4 + 8 * n;
    let mut out = Vec::with_capacity(sizes.len());
    for (k, v) in sizes {
        let key = String::from_utf8_lossy(bytes.get(at..at + k)?).into_owned();
        at += k + 1;
        let value = String::from_utf8_lossy(bytes.get(at..at + v)?).into_owned();
        at += v + 1;
        out.push((key, value));
    }
    Some(out)
}

fn map_mut(data: &mut VmData, map_type: u32) -> Option<&mut Vec<(String, String)>> {
    match map_type {
        0 => Some(&mut data.request_headers),
        1 => Some(&mut data.request_trailers),
        2 => Some(&mut data.response_headers),
        3 => Some(&mut data.response_trailers),
        _ => None,
    }
}

/// Links every call this host implements and returns their names.
pub(crate) fn link(linker: &mut Linker<VmData>) -> Result<HashSet<(&'static str, &'static str)>> {
    let mut done = HashSet::new();
    let mut env = |name: &'static str| {
        done.insert(("env", name));
        name
    };

    linker.func_wrap("env", env("proxy_log"), |mut c: C<'_>, level: u32, ptr: u32, len: u32| -> Result<u32> {
        let message = read_str(&mut c, ptr, len)?;
        let vm = c.data().index;
        lock(&c.data().host.logs).push(LogLine { level, vm, message });
        Ok(status::OK)
    })?;
    linker.func_wrap("env", env("proxy_get_log_level"), |mut c: C<'_>, out: u32| -> Result<u32> {
        write(&mut c, out, &0u32.to_le_bytes())?;
        Ok(status::OK)
    })?;
    linker.func_wrap("env", env("proxy_get_current_time_nanoseconds"), |mut c: C<'_>, out: u32| -> Result<u32> {
        let now = c.data().host.clock.load(Ordering::SeqCst);
        write(&mut c, out, &now.to_le_bytes())?;
        Ok(status::OK)
    })?;
    linker.func_wrap("env", env("proxy_set_tick_period_milliseconds"), |mut c: C<'_>, ms: u32| -> u32 {
        c.data_mut().tick_period_ms = ms;
        status::OK
    })?;
    linker.func_wrap(
        "env",
        env("proxy_get_buffer_bytes"),
        |mut c: C<'_>, kind: u32, start: u32, max: u32, data_out: u32, size_out: u32| -> Result<u32> {
            let buffer = match kind {
                6 => c.data().vm_config.clone(),
                7 => c.data().plugin_config.clone(),
                _ => return Ok(status::NOT_FOUND),
            };
            let start = (start as usize).min(buffer.len());
            let end = start.saturating_add(max as usize).min(buffer.len());
            let slice = buffer.get(start..end).unwrap_or_default().to_vec();
            give(&mut c, &slice, data_out, size_out)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_get_header_map_value"),
        |mut c: C<'_>, map: u32, kp: u32, kl: u32, data_out: u32, size_out: u32| -> Result<u32> {
            let key = read_str(&mut c, kp, kl)?.to_ascii_lowercase();
            let Some(pairs) = map_mut(c.data_mut(), map) else { return Ok(status::BAD_ARGUMENT) };
            let Some(value) = pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()) else {
                return Ok(status::NOT_FOUND);
            };
            give(&mut c, value.as_bytes(), data_out, size_out)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_get_header_map_pairs"),
        |mut c: C<'_>, map: u32, data_out: u32, size_out: u32| -> Result<u32> {
            let Some(pairs) = map_mut(c.data_mut(), map) else { return Ok(status::BAD_ARGUMENT) };
            let bytes = encode_map(pairs);
            give(&mut c, &bytes, data_out, size_out)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_set_header_map_pairs"),
        |mut c: C<'_>, map: u32, ptr: u32, len: u32| -> Result<u32> {
            let bytes = read(&mut c, ptr, len)?;
            let Some(pairs) = decode_map(&bytes) else { return Ok(status::BAD_ARGUMENT) };
            let Some(target) = map_mut(c.data_mut(), map) else { return Ok(status::BAD_ARGUMENT) };
            *target = pairs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
            Ok(status::OK)
        },
    )?;
    for (name, op) in [(env("proxy_add_header_map_value"), 0u8), (env("proxy_replace_header_map_value"), 1u8)] {
        linker.func_wrap(
            "env",
            name,
            move |mut c: C<'_>, map: u32, kp: u32, kl: u32, vp: u32, vl: u32| -> Result<u32> {
                let key = read_str(&mut c, kp, kl)?.to_ascii_lowercase();
                let value = read_str(&mut c, vp, vl)?;
                let Some(pairs) = map_mut(c.data_mut(), map) else { return Ok(status::BAD_ARGUMENT) };
                if op == 1 {
                    pairs.retain(|(k, _)| *k != key);
                }
                pairs.push((key, value));
                Ok(status::OK)
            },
        )?;
    }
    linker.func_wrap(
        "env",
        env("proxy_remove_header_map_value"),
        |mut c: C<'_>, map: u32, kp: u32, kl: u32| -> Result<u32> {
            let key = read_str(&mut c, kp, kl)?.to_ascii_lowercase();
            let Some(pairs) = map_mut(c.data_mut(), map) else { return Ok(status::BAD_ARGUMENT) };
            pairs.retain(|(k, _)| *k != key);
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_get_property"),
        |mut c: C<'_>, pp: u32, pl: u32, data_out: u32, size_out: u32| -> Result<u32> {
            let raw = read(&mut c, pp, pl)?;
            let path: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let Some(value) = c.data().properties.iter().find(|(p, _)| *p == path).map(|(_, v)| v.clone()) else {
                return Ok(status::NOT_FOUND);
            };
            give(&mut c, &value, data_out, size_out)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_get_shared_data"),
        |mut c: C<'_>, kp: u32, kl: u32, data_out: u32, size_out: u32, cas_out: u32| -> Result<u32> {
            let key = read_str(&mut c, kp, kl)?;
            let Some((value, cas)) = c.data().host.shared_get(&key) else { return Ok(status::NOT_FOUND) };
            give(&mut c, &value, data_out, size_out)?;
            write(&mut c, cas_out, &cas.to_le_bytes())?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_set_shared_data"),
        |mut c: C<'_>, kp: u32, kl: u32, vp: u32, vl: u32, cas: u32| -> Result<u32> {
            let key = read_str(&mut c, kp, kl)?;
            let value = read(&mut c, vp, vl)?;
            Ok(c.data().host.shared_set(&key, &value, cas))
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_send_local_response"),
        |mut c: C<'_>, code: u32, dp: u32, dl: u32, bp: u32, bl: u32, hp: u32, hl: u32, _grpc: i32| -> Result<u32> {
            let details = read_str(&mut c, dp, dl)?;
            let body = read(&mut c, bp, bl)?;
            let raw = read(&mut c, hp, hl)?;
            let headers = if hl == 0 { Vec::new() } else { decode_map(&raw).unwrap_or_default() };
            c.data_mut().local_response = Some((code, details, body, headers));
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        env("proxy_define_metric"),
        |mut c: C<'_>, kind: u32, np: u32, nl: u32, id_out: u32| -> Result<u32> {
            if kind > 2 {
                return Ok(status::BAD_ARGUMENT);
            }
            let name = read_str(&mut c, np, nl)?;
            let id = {
                let mut metrics = lock(&c.data().host.metrics);
                let Metrics { ids, values } = &mut *metrics;
                let next = values.len() as u32 + 1;
                let id = *ids.entry(name.clone()).or_insert(next);
                if id == next {
                    values.push((name, kind, 0));
                }
                id
            };
            write(&mut c, id_out, &id.to_le_bytes())?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap("env", env("proxy_increment_metric"), |c: C<'_>, id: u32, by: i64| -> u32 {
        let mut metrics = lock(&c.data().host.metrics);
        match metrics.values.get_mut((id as usize).wrapping_sub(1)) {
            Some(m) => {
                m.2 = m.2.saturating_add(by);
                status::OK
            }
            None => status::NOT_FOUND,
        }
    })?;
    linker.func_wrap("env", env("proxy_record_metric"), |c: C<'_>, id: u32, value: u64| -> u32 {
        let mut metrics = lock(&c.data().host.metrics);
        match metrics.values.get_mut((id as usize).wrapping_sub(1)) {
            Some(m) => {
                m.2 = value as i64;
                status::OK
            }
            None => status::NOT_FOUND,
        }
    })?;
    linker.func_wrap("env", env("proxy_get_metric"), |mut c: C<'_>, id: u32, out: u32| -> Result<u32> {
        let value = lock(&c.data().host.metrics).values.get((id as usize).wrapping_sub(1)).map(|m| m.2);
        let Some(value) = value else { return Ok(status::NOT_FOUND) };
        write(&mut c, out, &(value as u64).to_le_bytes())?;
        Ok(status::OK)
    })?;
    for name in ["proxy_set_effective_context", "proxy_continue_stream", "proxy_close_stream"] {
        linker.func_wrap("env", env(name), |_: C<'_>, _: u32| -> u32 { status::OK })?;
    }
    linker.func_wrap("env", env("proxy_done"), |_: C<'_>| -> u32 { status::OK })?;

    let mut wasi = |name: &'static str| {
        done.insert(("wasi_snapshot_preview1", name));
        name
    };
    const W: &str = "wasi_snapshot_preview1";
    linker.func_wrap(W, wasi("fd_write"), |mut c: C<'_>, fd: u32, iovs: u32, n: u32, written: u32| -> Result<u32> {
        let mut text = Vec::new();
        for i in 0..n {
            let iov = read(&mut c, iovs + 8 * i, 8)?;
            let ptr = u32::from_le_bytes([iov[0], iov[1], iov[2], iov[3]]);
            let len = u32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]);
            text.extend(read(&mut c, ptr, len)?);
        }
        write(&mut c, written, &(text.len() as u32).to_le_bytes())?;
        let message = format!("fd {fd}: {}", String::from_utf8_lossy(&text).trim_end());
        let vm = c.data().index;
        lock(&c.data().host.logs).push(LogLine { level: if fd == 2 { 4 } else { 2 }, vm, message });
        Ok(0)
    })?;
    linker.func_wrap(W, wasi("environ_sizes_get"), |mut c: C<'_>, count: u32, size: u32| -> Result<u32> {
        write(&mut c, count, &0u32.to_le_bytes())?;
        write(&mut c, size, &0u32.to_le_bytes())?;
        Ok(0)
    })?;
    linker.func_wrap(W, wasi("environ_get"), |_: C<'_>, _: u32, _: u32| -> u32 { 0 })?;
    linker.func_wrap(
        W,
        wasi("clock_time_get"),
        |mut c: C<'_>, _id: u32, _precision: u64, out: u32| -> Result<u32> {
            let now = c.data().host.clock.load(Ordering::SeqCst);
            write(&mut c, out, &now.to_le_bytes())?;
            Ok(0)
        },
    )?;
    linker.func_wrap(W, wasi("random_get"), |mut c: C<'_>, ptr: u32, len: u32| -> Result<u32> {
        // Deterministic bytes: tests must replay the same way every run.
        let bytes: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
        write(&mut c, ptr, &bytes)?;
        Ok(0)
    })?;
    linker.func_wrap(W, wasi("proc_exit"), |_: C<'_>, code: u32| -> Result<()> {
        Err(wasmtime::Error::msg(format!("proc_exit({code})")))
    })?;
    Ok(done)
}

/// Links the imports of `module` this host does not implement: each call is
/// recorded and answered "unimplemented", as a host lacking it would.
pub(crate) fn link_rest(
    linker: &mut Linker<VmData>,
    module: &Module,
    done: &HashSet<(&'static str, &'static str)>,
) -> Result<()> {
    for import in module.imports() {
        let (m, n) = (import.module(), import.name());
        if done.contains(&(m, n)) {
            continue;
        }
        let Some(ty) = import.ty().func().cloned() else { continue };
        let label = format!("{m}::{n}");
        let code = if m == "env" { status::UNIMPLEMENTED as i32 } else { 52 };
        linker.func_new(m, n, ty.clone(), move |c, _params, results| {
            lock(&c.data().host.unimplemented).push(label.clone());
            for (slot, t) in results.iter_mut().zip(ty.results()) {
                *slot = match t {
                    ValType::I64 => Val::I64(code as i64),
                    ValType::F32 => Val::F32(0),
                    ValType::F64 => Val::F64(0),
                    _ => Val::I32(code),
                };
            }
            Ok(())
        })?;
    }
    Ok(())
}
