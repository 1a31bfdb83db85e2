//! Version macros for the header and the version of the linked library.

use std::ffi::c_char;

/// Major version of the header (and of the crate it came from).
pub const WEIR_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const WEIR_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const WEIR_VERSION_PATCH: u32 = 0;

/// The version of the library actually linked, `"MAJOR.MINOR.PATCH"`;
/// compare it with the `WEIR_VERSION_*` macros of the header compiled
/// against. Static; never NULL.
#[no_mangle]
pub extern "C" fn weir_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}
