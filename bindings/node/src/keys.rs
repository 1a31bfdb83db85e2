//! How the keyed tables hash string keys: each table keeps the
//! `KeyHasher` its constructor's `seed` chose, so a secret given once
//! reaches every key the table sees (and every worker thread it is shared
//! with). JS hands secrets over as UTF-8 bytes in a Uint8Array.

use napi::sys;
use weir_host::units::UnitError;
use weir_host::{HashSeed, KeyHasher};

use crate::fast::Callback;
use crate::layout::hash_key;
use crate::scratch::{status, Scratch};

/// A keyed table and the hash its string keys are placed by.
pub struct Seeded<T> {
    pub table: T,
    pub keys: KeyHasher,
}

/// The bytes of a Uint8Array argument; `None` for anything else.
///
/// # Safety
/// `env` is the running callback's; `value` belongs to it.
unsafe fn uint8_bytes(env: sys::napi_env, value: sys::napi_value) -> Option<Vec<u8>> {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe {
        let mut kind = 0;
        let mut len = 0usize;
        let mut data = std::ptr::null_mut();
        let mut buffer = std::ptr::null_mut();
        let mut offset = 0usize;
        let ok = sys::napi_get_typedarray_info(env, value, &mut kind, &mut len, &mut data, &mut buffer, &mut offset);
        if ok != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
            return None;
        }
        if len == 0 {
            return Some(Vec::new());
        }
        if data.is_null() {
            return None;
        }
        // napi reports `len` bytes at `data` for this live Uint8Array, which
        // JS cannot touch while this native call runs.
        Some(std::slice::from_raw_parts(data.cast::<u8>(), len).to_vec())
    }
}

/// The hasher a constructor's first argument asks for: absent or
/// `undefined` is the public hash; a Uint8Array secret seeds it (an empty
/// one is refused by name); anything else is refused too.
///
/// # Safety
/// `env` and `info` are the ones Node passed to the running callback.
pub unsafe fn seed_arg(env: sys::napi_env, info: sys::napi_callback_info) -> Result<KeyHasher, UnitError> {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe {
        let Some(value) = crate::fast::first_arg(env, info) else { return Ok(KeyHasher::UNSEEDED) };
        if is_undefined(env, value) {
            return Ok(KeyHasher::UNSEEDED);
        }
        match uint8_bytes(env, value) {
            Some(secret) => KeyHasher::from_secret(&secret),
            None => Err(UnitError::new("seed", "a string or a Uint8Array")),
        }
    }
}

/// The two arguments of a call, each `None` when absent.
///
/// # Safety
/// `env` and `info` are the ones Node passed to the running callback.
unsafe fn two_args(env: sys::napi_env, info: sys::napi_callback_info) -> [Option<sys::napi_value>; 2] {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe {
        let mut argc = 2usize;
        let mut argv = [std::ptr::null_mut(); 2];
        let ok =
            sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), std::ptr::null_mut(), std::ptr::null_mut());
        if ok != sys::Status::napi_ok {
            return [None, None];
        }
        [(argc >= 1).then_some(argv[0]), (argc >= 2).then_some(argv[1])]
    }
}

/// Whether `value` is JS `undefined`.
///
/// # Safety
/// As [`uint8_bytes`].
unsafe fn is_undefined(env: sys::napi_env, value: sys::napi_value) -> bool {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe {
        let mut kind = 0;
        sys::napi_typeof(env, value, &mut kind) == sys::Status::napi_ok && kind == sys::ValueType::napi_undefined
    }
}

/// In: the key's UTF-8 bytes and the seed's secret (or `undefined`) as
/// Uint8Array arguments. Out: a status (bad handle for arguments of
/// another kind), the hash as a u64. Any secret is accepted here,
/// the empty one included: the cross-runtime vectors pin it.
unsafe extern "C" fn hash_key(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let [key, seed] = two_args(env, info);
        let key = key.and_then(|v| uint8_bytes(env, v));
        let keys = match seed {
            None => Some(KeyHasher::UNSEEDED),
            Some(v) if is_undefined(env, v) => Some(KeyHasher::UNSEEDED),
            Some(v) => uint8_bytes(env, v).map(|secret| KeyHasher::seeded(HashSeed::from_secret(&secret))),
        };
        crate::fast::run(|s: Scratch| match (key, keys) {
            (Some(key), Some(keys)) => {
                s.status(status::OK);
                s.set_u(hash_key::HASH, keys.hash(&key));
            }
            _ => s.bad_handle(),
        });
        std::ptr::null_mut()
    }
}

pub const FNS: &[(&str, Callback)] = &[("hashKey", hash_key)];
