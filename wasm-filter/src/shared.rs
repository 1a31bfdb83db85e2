//! Envoy shared data as weir-policy's bytes + CAS store: the filter's
//! limits run core's kernels over it (`weir_policy::shared_data`), and the
//! host's CAS is what makes a limit exact across worker threads.

use crate::host::{self, Status};
pub use weir_policy::shared_data::{ensure, gcra_acquire, SharedData, StateError, Store};

pub struct EnvoyStore;

impl Store for EnvoyStore {
    fn get(&self, key: &str) -> Result<(Vec<u8>, u32), Status> {
        host::shared_get(key)
    }
    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), Status> {
        host::shared_set(key, value, cas)
    }
}
