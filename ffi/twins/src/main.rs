//! Writes the `_now` twin of every C entry point in ffi/src marked with a
//! `// twin NAME: doc` line comment above its `#[no_mangle]`, right after
//! the marked function. A twin takes its sibling's arguments less `now`
//! (and `draw`), reads them inside the call from the clock weir-host chose
//! for the handle's state (and `weir_draw()`), and runs the sibling's own
//! body: the two never differ in anything but where the time comes from.
//! The body is copied rather than called so the twin inlines the frame
//! exactly as the sibling does (a call would share, and so stop inlining,
//! the sibling's panic-guard closure). cbindgen reads the twins like any
//! other source.
//!
//! `cargo run --manifest-path ffi/twins/Cargo.toml` rewrites them;
//! `-- --check` fails if a committed twin is stale.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// The line that says a function was written here, not by hand.
const WRITTEN: &str = "// Written by ffi/twins from the `// twin` mark above; edit that, not this.";

/// The arguments a twin reads inside the call instead of taking them.
const READ_INSIDE: [(&str, &str); 2] = [("now", "crate::handle::now_of::<{handle}>()"), ("draw", "weir_host::draw()")];

struct Param {
    name: String,
    ty: String,
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
    let config = ffi.join("..").join("rustfmt.toml");
    let mut stale = Vec::new();
    for path in sources(&ffi.join("src"))? {
        let name = path.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let written = rewrite(&text).map_err(|e| format!("ffi/src/{name}: {e}"))?;
        let written = if written == text { written } else { rustfmt(&written, &config)? };
        if written == text {
            continue;
        }
        if check {
            stale.push(format!("ffi/src/{name}"));
        } else {
            std::fs::write(&path, written).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    if stale.is_empty() {
        return Ok(());
    }
    Err(format!(
        "stale `_now` twins in {}: run `cargo run --manifest-path ffi/twins/Cargo.toml` and commit them",
        stale.join(", ")
    ))
}

fn sources(src: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// `text` with every written twin dropped and written again from its mark.
fn rewrite(text: &str) -> Result<String, String> {
    let lines = without_twins(text.lines().collect());
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let Some(marker) = lines[i].strip_prefix("// twin ") else {
            out.push(lines[i].to_owned());
            i += 1;
            continue;
        };
        let line = i + 1;
        let (name, first) = marker.split_once(": ").ok_or(format!("line {line}: expected `// twin NAME: doc`"))?;
        let mut doc = vec![first.to_owned()];
        out.push(lines[i].to_owned());
        i += 1;
        while let Some(more) = lines.get(i).and_then(|l| l.strip_prefix("// ")) {
            doc.push(more.to_owned());
            out.push(lines[i].to_owned());
            i += 1;
        }
        let start = i;
        while lines.get(i).is_some_and(|l| *l != "}") {
            i += 1;
        }
        if i == lines.len() {
            return Err(format!("line {line}: no function ends after the mark"));
        }
        i += 1;
        let sibling = &lines[start..i];
        out.extend(sibling.iter().map(|l| (*l).to_owned()));
        out.push(String::new());
        out.extend(twin(name, &doc, sibling).map_err(|e| format!("line {line}: {e}"))?);
    }
    let mut written = out.join("\n");
    written.push('\n');
    Ok(written)
}

/// `lines` less the twins this program wrote (each with the blank line
/// before it).
fn without_twins(lines: Vec<&str>) -> Vec<&str> {
    let mut keep = vec![true; lines.len()];
    for (at, _) in lines.iter().enumerate().filter(|(_, l)| **l == WRITTEN) {
        let mut start = at;
        while start > 0 && lines[start - 1].starts_with("///") {
            start -= 1;
        }
        if start > 0 && lines[start - 1].is_empty() {
            start -= 1;
        }
        let end = lines[at..].iter().position(|l| *l == "}").map_or(lines.len() - 1, |p| at + p);
        keep[start..=end].iter_mut().for_each(|k| *k = false);
    }
    lines.into_iter().zip(keep).filter_map(|(l, k)| k.then_some(l)).collect()
}

/// The twin `name` of `sibling` (its attributes, signature and body).
fn twin(name: &str, doc: &[String], sibling: &[&str]) -> Result<Vec<String>, String> {
    let fn_at = sibling.iter().position(|l| l.starts_with("pub ")).ok_or("no function after the mark")?;
    let open = sibling[fn_at..].iter().position(|l| l.ends_with('{')).map_or(fn_at, |p| fn_at + p);
    let signature: String = sibling[fn_at..=open].iter().map(|l| l.trim()).collect();
    let rest = signature
        .strip_prefix("pub unsafe extern \"C\" fn ")
        .ok_or("a twin follows a `pub unsafe extern \"C\" fn` entry point")?;
    let (sibling_name, rest) = rest.split_once('(').ok_or("no parameter list")?;
    if name != format!("{sibling_name}_now") {
        return Err(format!("the twin of `{sibling_name}` is named `{sibling_name}_now`, got `{name}`"));
    }
    let (list, ret) = rest.rsplit_once(')').ok_or("no parameter list")?;
    if ret.trim() != "-> weir_status {" {
        return Err(format!("`{sibling_name}` must return weir_status to have a twin"));
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
        return Err(format!("`{sibling_name}` has no `now: u64` to read inside the call"));
    }
    let handle = params
        .first()
        .and_then(|p| p.ty.strip_prefix("*const weir_"))
        .ok_or(format!("`{sibling_name}` must take its handle first"))?;
    let read: Vec<String> = READ_INSIDE
        .iter()
        .filter(|(arg, _)| params.iter().any(|p| p.name == *arg))
        .map(|(arg, how)| format!("let {arg} = {};", how.replace("{handle}", &format!("weir_{handle}"))))
        .collect();
    let kept: Vec<String> = params
        .iter()
        .filter(|p| READ_INSIDE.iter().all(|(arg, _)| *arg != p.name))
        .map(|p| format!("{}: {}", p.name, p.ty))
        .collect();
    let mut out: Vec<String> = doc.iter().map(|l| format!("/// {l}").trim_end().to_owned()).collect();
    out.extend(["///".into(), "/// # Safety".into(), format!("/// As `{sibling_name}`."), WRITTEN.into()]);
    out.push("#[no_mangle]".into());
    if kept.len() > 7 {
        out.push("#[allow(clippy::too_many_arguments)]".into());
    }
    out.push(format!("pub unsafe extern \"C\" fn {name}({}) -> weir_status {{", kept.join(", ")));
    out.extend(body(&sibling[open + 1..sibling.len() - 1], &read));
    out.push("}".into());
    Ok(out)
}

/// The sibling's body with `read` run first inside its panic guard: as the
/// leading statements of its `entry!` frame, or else in a guard of its own.
fn body(sibling: &[&str], read: &[String]) -> Vec<String> {
    if let Some(frame) = sibling.first().and_then(|l| l.strip_prefix("    entry!(")) {
        let reads = read.join(" ");
        let one_line = format!("    entry!({reads} {frame}");
        if one_line.len() <= 120 {
            let mut out = vec![one_line];
            out.extend(sibling[1..].iter().map(|l| (*l).to_owned()));
            return out;
        }
        let mut out = vec![format!("    entry!({reads}"), format!("        {frame}")];
        out.extend(sibling[1..].iter().map(|l| if l.is_empty() { String::new() } else { format!("    {l}") }));
        return out;
    }
    let mut out = vec!["    crate::status::guard(|| {".to_owned()];
    out.extend(read.iter().map(|r| format!("        {r}")));
    out.extend(sibling.iter().map(|l| if l.is_empty() { String::new() } else { format!("    {l}") }));
    out.push("    })".into());
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
        return Err(format!("rustfmt refused the written source:\n{source}"));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKED: &str = "\
/// Picks at `now` with `draw`.
// twin weir_picker_pick_now: `weir_picker_pick` at `weir_now()` with `weir_draw()`.
#[no_mangle]
pub unsafe extern \"C\" fn weir_picker_pick(picker: *const weir_picker, now: u64, draw: u64, out: *mut weir_pick) -> weir_status {
    entry!(picker => out = pick_of(picker.inner.pick(now, draw), now))
}
";

    #[test]
    fn a_twin_drops_now_and_draw_and_reads_them_in_the_frame() {
        let written = rewrite(MARKED).unwrap_or_default();
        let twin = written.split(WRITTEN).nth(1).unwrap_or_default();
        assert!(
            twin.contains("fn weir_picker_pick_now(picker: *const weir_picker, out: *mut weir_pick) -> weir_status {"),
            "{written}"
        );
        for read in ["entry!(let now = crate::handle::now_of::<weir_picker>();", "let draw = weir_host::draw();"] {
            assert!(twin.contains(read), "{written}");
        }
        assert!(written.contains("/// As `weir_picker_pick`.\n"), "{written}");
    }

    #[test]
    fn rewriting_replaces_the_written_twin_instead_of_adding_one() {
        let once = rewrite(MARKED).unwrap_or_default();
        assert_eq!(rewrite(&once).unwrap_or_default(), once);
        assert_eq!(once.matches(WRITTEN).count(), 1);
    }

    #[test]
    fn a_twin_named_otherwise_than_its_sibling_is_refused_by_name() {
        let misnamed = MARKED.replace("twin weir_picker_pick_now:", "twin weir_picker_now:");
        let error = rewrite(&misnamed).err().unwrap_or_default();
        assert!(error.contains("is named `weir_picker_pick_now`, got `weir_picker_now`"), "{error}");
    }

    #[test]
    fn a_sibling_without_now_is_refused() {
        let timeless = MARKED.replace("now: u64, ", "");
        let error = rewrite(&timeless).err().unwrap_or_default();
        assert!(error.contains("has no `now: u64`"), "{error}");
    }
}
