//! Writes `ffi/src/twins.rs`: the `_now` twin of every entry point marked
//! with a `// twin NAME: doc` line comment above its `#[no_mangle]`. A twin
//! takes its sibling's arguments less `now` (and `draw`), and calls the
//! sibling with the clock weir-host chose for the handle's state (and
//! `weir_draw()`), so the two never differ in anything but where the time
//! comes from. cbindgen reads the written file like any other source.
//!
//! `cargo run --manifest-path ffi/twins/Cargo.toml` rewrites the file;
//! `-- --check` fails if the committed file is stale.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

const OUTPUT: &str = "twins.rs";

/// The arguments a twin reads inside the call instead of taking them.
const READ_INSIDE: [(&str, &str); 2] = [("now", "now_of::<{handle}>()"), ("draw", "weir_host::draw()")];

struct Param {
    name: String,
    ty: String,
}

struct Twin {
    sibling: String,
    doc: Vec<String>,
    params: Vec<Param>,
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    match run(check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("weir-ffi-twins: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(check: bool) -> Result<(), String> {
    let ffi = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = ffi.join("src");
    let mut twins = Vec::new();
    for path in sources(&src)? {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        twins.extend(parse(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let formatted = rustfmt(&render(&twins), &ffi.join("..").join("rustfmt.toml"))?;
    let output = src.join(OUTPUT);
    if check {
        let committed = std::fs::read_to_string(&output).unwrap_or_default();
        if committed != formatted {
            return Err(
                "ffi/src/twins.rs is stale: run `cargo run --manifest-path ffi/twins/Cargo.toml` and commit it".into(),
            );
        }
        return Ok(());
    }
    std::fs::write(&output, formatted).map_err(|e| format!("{}: {e}", output.display()))
}

fn sources(src: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != OUTPUT))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The twins declared in one source file, in file order.
fn parse(text: &str) -> Result<Vec<Twin>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut twins = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(marker) = lines[i].strip_prefix("// twin ") else {
            i += 1;
            continue;
        };
        let line = i + 1;
        let (name, first) = marker.split_once(": ").ok_or(format!("line {line}: expected `// twin NAME: doc`"))?;
        let mut doc = vec![first.to_owned()];
        i += 1;
        while let Some(more) = lines.get(i).and_then(|l| l.strip_prefix("// ")) {
            doc.push(more.to_owned());
            i += 1;
        }
        while lines.get(i).is_some_and(|l| l.starts_with("#[")) {
            i += 1;
        }
        let mut signature = String::new();
        while let Some(l) = lines.get(i) {
            signature.push_str(l.trim());
            i += 1;
            if l.ends_with('{') {
                break;
            }
        }
        let twin = twin_of(&signature, doc).map_err(|e| format!("line {line}: {e}"))?;
        if name != format!("{}_now", twin.sibling) {
            return Err(format!(
                "line {line}: the twin of `{}` is named `{}_now`, got `{name}`",
                twin.sibling, twin.sibling
            ));
        }
        twins.push(twin);
    }
    Ok(twins)
}

fn twin_of(signature: &str, doc: Vec<String>) -> Result<Twin, String> {
    let rest = signature
        .strip_prefix("pub unsafe extern \"C\" fn ")
        .ok_or("a twin follows an `pub unsafe extern \"C\" fn` entry point")?;
    let (sibling, rest) = rest.split_once('(').ok_or("no parameter list")?;
    let (list, ret) = rest.rsplit_once(')').ok_or("no parameter list")?;
    if ret.trim() != "-> weir_status {" {
        return Err(format!("`{sibling}` must return weir_status to have a twin"));
    }
    let params: Vec<Param> = list
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, ty) = p.split_once(": ").ok_or(format!("parameter `{p}` is not `name: type`"))?;
            Ok(Param { name: name.to_owned(), ty: ty.to_owned() })
        })
        .collect::<Result<_, String>>()?;
    if !params.iter().any(|p| p.name == "now" && p.ty == "u64") {
        return Err(format!("`{sibling}` has no `now: u64` to read inside the call"));
    }
    if !params.first().is_some_and(|p| p.ty.starts_with("*const weir_")) {
        return Err(format!("`{sibling}` must take its handle first"));
    }
    Ok(Twin { sibling: sibling.to_owned(), doc, params })
}

fn render(twins: &[Twin]) -> String {
    let mut types: Vec<&str> = twins
        .iter()
        .flat_map(|t| &t.params)
        .filter_map(|p| p.ty.rsplit(' ').next().filter(|t| t.starts_with("weir_")))
        .collect();
    types.extend(twins.iter().map(|t| t.sibling.as_str()));
    types.sort_unstable();
    types.dedup();
    let mut out = String::from(
        "//! The `_now` twins: each entry point marked `// twin` in this crate,\n\
         //! with `now` read inside the call from its handle's clock.\n\
         //! Generated by `cargo run --manifest-path ffi/twins/Cargo.toml` from\n\
         //! those marks; do not edit.\n\n",
    );
    let _ = writeln!(out, "use crate::handle::now_of;\nuse crate::status::weir_status;");
    let _ = writeln!(out, "use crate::{{{}}};", types.join(", "));
    for twin in twins {
        let handle = twin.params[0].ty.trim_start_matches("*const ");
        let kept: Vec<&Param> =
            twin.params.iter().filter(|p| READ_INSIDE.iter().all(|(name, _)| *name != p.name)).collect();
        let args: Vec<String> = twin
            .params
            .iter()
            .map(|p| match READ_INSIDE.iter().find(|(name, _)| *name == p.name) {
                Some((_, read)) => read.replace("{handle}", handle),
                None => p.name.clone(),
            })
            .collect();
        out.push('\n');
        for line in &twin.doc {
            let _ = writeln!(out, "/// {line}");
        }
        let _ = writeln!(out, "///\n/// # Safety\n/// As `{}`.\n#[no_mangle]", twin.sibling);
        if kept.len() > 7 {
            out.push_str("#[allow(clippy::too_many_arguments)]\n");
        }
        let params: Vec<String> = kept.iter().map(|p| format!("{}: {}", p.name, p.ty)).collect();
        let _ = writeln!(
            out,
            "pub unsafe extern \"C\" fn {}_now({}) -> weir_status {{\n    \
             // SAFETY: a twin's contract is its sibling's.\n    \
             unsafe {{ {}({}) }}\n}}",
            twin.sibling,
            params.join(", "),
            twin.sibling,
            args.join(", ")
        );
    }
    out
}

fn rustfmt(source: &str, config: &Path) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--config-path"])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("rustfmt: {e}"))?;
    child.stdin.take().ok_or("rustfmt: no stdin")?.write_all(source.as_bytes()).map_err(|e| format!("rustfmt: {e}"))?;
    let output = child.wait_with_output().map_err(|e| format!("rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!("rustfmt refused the generated source:\n{source}"));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt: {e}"))
}
