#!/usr/bin/env python3
"""Fails when a script behind make test, make demo, make bench or make dist
calls a command that a fresh machine lacks and no script installs.

A tool installed by hand on the machine that wrote a suite hides a missing
install step until a newcomer's first `make test`. This reads every script in
ci/ (and the scripts they run), finds the commands each one calls, and checks
each against ci/tools.sh: the base machine's commands, the cargo tools, the
Debian packages (and the commands they bring), the rustup components, and the
venvs' own bin/ directories. Commands that a suite's tests start themselves
(a redis-server from Go or Python) are declared in the suite with a line
`# needs: redis-server`.
"""
from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Shell words that are not commands, and coreutils/util-linux, which every
# Debian machine has.
SHELL = set(
    """if then else elif fi for while until do done case esac in function select
    time ! [[ ]] { } [ test echo printf read cd pwd export unset set source .
    local declare typeset return exit shift trap wait kill exec eval true false
    command type hash builtin break continue let readonly mapfile ulimit umask
    jobs disown getopts : pushd popd dirs shopt""".split()
)
COREUTILS = set(
    """ls cat mkdir rmdir rm cp mv ln chmod chown touch sed awk grep egrep tee
    tail head seq sleep mktemp dirname basename date uname nproc find xargs
    sort uniq tr cut wc env timeout diff cmp tar gzip gunzip zcat sha256sum
    install realpath readlink stat du df id whoami hostname yes nohup nice
    paste comm split od xxd file printenv sync truncate expr which uptime""".split()
)
# cargo subcommands that come with cargo or a rustup component.
CARGO_BUILTIN = {"build", "test", "run", "bench", "check", "doc", "install", "metadata",
                 "tree", "clean", "update", "fetch", "package", "publish", "vendor", "new",
                 "init", "search", "info", "locate-project", "pkgid", "rustc", "rustdoc"}
CARGO_COMPONENT = {"clippy": "clippy", "fmt": "rustfmt", "miri": "miri"}


def tools_tables() -> tuple[set[str], set[str], set[str], set[str]]:
    """(base commands, installed commands, cargo tools, rust components)."""
    text = (ROOT / "ci/tools.sh").read_text()

    def table(name: str) -> str:
        m = re.search(rf"{name}=\((.*?)\)", text, re.S)
        if not m:
            sys.exit(f"ci/tools.sh has no table {name}")
        return re.sub(r"#.*", "", m.group(1))

    base = set(table("WEIR_BASE_COMMANDS").split())
    cargo_tools = set(re.findall(r"\[([\w.-]+)\]=", table("WEIR_CARGO_TOOLS")))
    installed = set(cargo_tools)
    for pkg, spec in re.findall(r"\[([\w.-]+)\]=\"([^\"]*)\"", table("WEIR_APT_TOOLS")):
        installed.add(spec.split()[0])
    for _pkg, cmds in re.findall(r"\[([\w.-]+)\]=\"([^\"]*)\"", table("WEIR_APT_EXTRA_COMMANDS")):
        installed.update(cmds.split())
    components = set(table("WEIR_RUST_COMPONENTS").split()) | set(table("WEIR_NIGHTLY_COMPONENTS").split())
    return base, installed, cargo_tools, components


def strip_heredocs(text: str) -> str:
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if m and not line.lstrip().startswith("#"):
            end = m.group(1)
            i += 1
            while i < len(lines) and lines[i].strip() != end:
                i += 1
        i += 1
    return "\n".join(out)


def strip_comments(text: str) -> str:
    """Drops `#` comments: whole lines, and a ` #` outside quotes."""
    out = []
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            out.append("")
            continue
        for m in re.finditer(r"\s#", line):
            before = line[: m.start()]
            if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
                line = before
                break
        out.append(line)
    return "\n".join(out)


def strip_arrays(text: str) -> str:
    """Drops `name=( ... )` and `name+=( ... )`, quotes and nesting respected."""
    out, pos = [], 0
    for m in re.finditer(r"\b[A-Za-z_]\w*\+?=\(", text):
        if m.start() < pos:
            continue
        depth, i, quote = 1, m.end(), ""
        while i < len(text) and depth:
            c = text[i]
            if quote:
                quote = "" if c == quote else quote
            elif c in "'\"":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            i += 1
        out.append(text[pos : m.start()] + " ")
        pos = i
    out.append(text[pos:])
    return "".join(out)


SEPARATORS = {";", ";;", "&", "&&", "||", "|", "|&", "(", ")", "\n", "{", "}", "$(", "`"}
LEADING = {"then", "do", "else", "elif", "if", "while", "until", "!", "time", "{", "exec", "nohup"}


def commands(path: Path) -> tuple[list[tuple[int, str, list[str]]], set[str], set[str]]:
    """(command word, its following words) per simple command; the functions
    the script defines; the commands it declares with `# needs:`."""
    raw = path.read_text()
    needs = set()  # `# needs: a b`: commands the suite's own tests start
    for m in re.finditer(r"^#\s*needs:\s*(.+)$", raw, re.M):
        needs.update(m.group(1).split())
    functions = set(re.findall(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?", raw, re.M))
    text = strip_comments(strip_heredocs(raw)).replace("\\\n", " ").replace("${#", "${")
    # Array literals, tests and redirections hold words in command position
    # that are not commands.
    text = strip_arrays(text)
    text = re.sub(r"\[\[.*?\]\]", " true ", text)
    text = re.sub(r"(?<![\w$])\d*(>>|&>|>|<)(&\d+|\s*[^\s;&|()]+)", " ", text)
    text = text.replace("$(", " $( ").replace("`", " ` ")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()\n")
    lexer.whitespace = " \t\r"
    lexer.commenters = ""
    lexer.wordchars += "${}[]:,@%+=^~*?/.#!-"
    found, current, line_no = [], [], 1
    try:
        tokens = list(lexer)
    except ValueError as e:
        sys.exit(f"{path}: cannot read as shell: {e}")
    for tok in tokens + ["\n"]:
        if tok and (tok in SEPARATORS or set(tok) <= set(";&|()\n")):
            if current:
                found.append((line_no, current[0], current[1:]))
            current = []
            line_no += tok.count("\n")
            continue
        if not current and (tok in LEADING or re.match(r"^[A-Za-z_]\w*(\[.*\])?\+?=", tok)):
            continue
        current.append(tok)
    return found, functions, needs


def resolve(word: str, args: list[str]) -> tuple[str, list[str]] | None:
    """The command a simple command runs, after wrappers such as timeout."""
    while True:
        if word == "env":
            while args and ("=" in args[0] or args[0].startswith("-")):
                args = args[1:]
        elif word == "timeout":
            while args and (args[0].startswith("-") or re.match(r"^[\d.]+[smhd]?$", args[0])):
                args = args[1:]
        elif word in ("sudo", "nice", "xargs"):
            while args and args[0].startswith("-"):
                args = args[1:]
        else:
            return word, args
        if not args:
            return None
        word, args = args[0], args[1:]


def main() -> int:
    base, installed, cargo_tools, components = tools_tables()
    scripts = sorted({*ROOT.glob("ci/*.sh"), *ROOT.glob("ci/suites/*.sh"), *ROOT.glob("ci/dist/*.sh")})
    # Scripts the suites run by path are read too.
    extra = set()
    for s in scripts:
        for m in re.finditer(r"(?:bash|sh)\s+\"?\$?\{?root\}?/?([\w./-]+\.sh)|(?:^|\s)(?:bash\s+)?((?:[\w-]+/)+[\w-]+\.sh)", s.read_text(), re.M):
            rel = m.group(1) or m.group(2)
            p = ROOT / rel
            if p.is_file():
                extra.add(p)
    scripts = sorted(set(scripts) | extra)
    problems = []
    checked = 0
    parsed = {script: commands(script) for script in scripts}
    # Functions of any script count everywhere: the scripts source tools.sh.
    functions = set().union(*(f for _, f, _ in parsed.values()))
    for script, (found, _, needs) in parsed.items():
        for cmd in needs:
            if cmd not in base | installed | COREUTILS:
                problems.append(f"{script.relative_to(ROOT)}: declares `{cmd}`, which no ci script installs")
        for line, word, args in found:
            resolved = resolve(word, list(args))
            if resolved is None:
                continue
            cmd, args = resolved
            if cmd in SHELL or cmd in COREUTILS or cmd in functions:
                continue
            if cmd.startswith(("$", '"$', "./", "../", "/")) or "/" in cmd:
                continue  # a path: a venv's bin/, a built binary, a script of the tree
            checked += 1
            if cmd == "cargo":
                sub = next((a for a in args if not a.startswith(("+", "-"))), "")
                if sub in CARGO_COMPONENT and CARGO_COMPONENT[sub] not in components:
                    problems.append(f"{script.relative_to(ROOT)}:{line}: `cargo {sub}` needs the rustup component {CARGO_COMPONENT[sub]}, which ci/tools.sh does not add")
                elif sub and sub not in CARGO_BUILTIN and sub not in CARGO_COMPONENT and f"cargo-{sub}" not in cargo_tools:
                    problems.append(f"{script.relative_to(ROOT)}:{line}: `cargo {sub}` needs cargo-{sub}, which ci/tools.sh does not install")
                continue
            if cmd not in base and cmd not in installed:
                problems.append(f"{script.relative_to(ROOT)}:{line}: calls `{cmd}`, which a fresh machine lacks and ci/tools.sh does not install")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"check-tools: {checked} command calls in {len(scripts)} scripts, each on a fresh machine or installed by ci/tools.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
