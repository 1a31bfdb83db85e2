//! Gives libweir.so its SONAME, `libweir.so.<abi>`, so programs linked
//! against it record the ABI they were built for: the major version, or
//! `0.<minor>` before 1.0 (where a minor release may break the ABI).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let abi = if major == "0" { format!("0.{}", env!("CARGO_PKG_VERSION_MINOR")) } else { major.to_owned() };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libweir.so.{abi}");
}
