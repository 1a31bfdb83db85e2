//! Version macros for the header and the version of the linked library.
//!
//! The workspace's `[workspace.package] version` is the one version of every
//! artifact. cbindgen copies only literal constants into the header, so the
//! numbers are spelled out here and checked against the crate's version at
//! compile time; `ci/dist/version.sh --set X.Y.Z` rewrites them with the rest.

use std::ffi::c_char;

/// Major version of the header (and of the crate it came from).
pub const WEIR_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const WEIR_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const WEIR_VERSION_PATCH: u32 = 0;

/// A decimal number of Cargo's version parts (digits only, checked by Cargo).
const fn decimal(digits: &str) -> u32 {
    let bytes = digits.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

const _: () = assert!(
    WEIR_VERSION_MAJOR == decimal(env!("CARGO_PKG_VERSION_MAJOR"))
        && WEIR_VERSION_MINOR == decimal(env!("CARGO_PKG_VERSION_MINOR"))
        && WEIR_VERSION_PATCH == decimal(env!("CARGO_PKG_VERSION_PATCH")),
    "WEIR_VERSION_* differ from the workspace version: run ci/dist/version.sh --set <version>"
);

/// The version of the library actually linked, `"MAJOR.MINOR.PATCH"`;
/// compare it with the `WEIR_VERSION_*` macros of the header compiled
/// against. Static; never NULL.
#[no_mangle]
pub extern "C" fn weir_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}
