//! `HotKeys`: the most requested keys in fixed memory, as a napi class.

use napi::bindgen_prelude::{BigInt, Either, Uint8Array};
use napi_derive::napi;
use weir_core::hot_keys::HotKeysConfig;
use weir_host::{HotKeys, KeyHasher};

use crate::quantile::{now, refused};

#[napi]
pub struct NativeHotKeys {
    inner: HotKeys,
}

/// One entry of `top`: the key as given (a string when its bytes are
/// UTF-8), its hash, and its count with the error bound.
#[napi(object)]
pub struct HotKeyEntry {
    pub key: Option<Either<String, Uint8Array>>,
    pub hash: BigInt,
    pub count: BigInt,
    pub error: BigInt,
}

fn bytes(key: &Either<String, Uint8Array>) -> &[u8] {
    match key {
        Either::A(s) => s.as_bytes(),
        Either::B(b) => b,
    }
}

#[napi]
impl NativeHotKeys {
    /// `seed`: the secret's bytes, or null for the public hash.
    #[napi(constructor)]
    pub fn new(capacity: BigInt, half_life_ns: BigInt, seed: Option<Uint8Array>) -> napi::Result<Self> {
        let hasher = match seed {
            Some(s) => KeyHasher::from_secret(&s).map_err(|e| {
                crate::errors::set_parts(e.field, e.rule, "''");
                napi::Error::from_reason(e.to_string())
            })?,
            None => KeyHasher::UNSEEDED,
        };
        let config = HotKeysConfig { half_life_ns: half_life_ns.get_u64().1 };
        Ok(Self { inner: HotKeys::new(capacity.get_u64().1, config, hasher).map_err(refused)? })
    }

    #[napi]
    pub fn record(&self, key: Either<String, Uint8Array>) {
        self.inner.record(bytes(&key));
    }

    #[napi]
    pub fn record_hashed(&self, hash: BigInt, at: BigInt) {
        self.inner.record_hashed_at(at.get_u64().1, hash.get_u64().1);
    }

    #[napi]
    pub fn top(&self, k: u32, at: Option<BigInt>) -> Vec<HotKeyEntry> {
        self.inner
            .top_at(now(at), k as usize)
            .into_iter()
            .map(|e| HotKeyEntry {
                key: e.key.map(|b| match String::from_utf8(b.to_vec()) {
                    Ok(s) => Either::A(s),
                    Err(_) => Either::B(Uint8Array::new(b.to_vec())),
                }),
                hash: BigInt::from(e.hash),
                count: BigInt::from(e.count),
                error: BigInt::from(e.error),
            })
            .collect()
    }

    /// `[count, error]` of a key (a string or bytes) or, given a BigInt, of
    /// a hash.
    #[napi]
    pub fn estimate(&self, key: Either<BigInt, Either<String, Uint8Array>>, at: Option<BigInt>) -> Vec<BigInt> {
        let hash = match &key {
            Either::A(h) => h.get_u64().1,
            Either::B(k) => self.inner.hash(bytes(k)),
        };
        let (count, error) = self.inner.estimate_hashed_at(now(at), hash);
        vec![BigInt::from(count), BigInt::from(error)]
    }

    #[napi]
    pub fn total(&self, at: Option<BigInt>) -> BigInt {
        BigInt::from(self.inner.total_at(now(at)))
    }
}
