//! Shared helpers for the integration tests: where the binary under test, the real helm and
//! kubectl binaries and the chart corpus live, and how a missing one is handled.
//!
//! Tools are looked up in `<repo>/.tools/` (installed by `scripts/install-test-tools.sh`) or
//! in the directory named by `OPM_TOOLS_DIR`. The corpus comes from `OPM_CORPUS`.
//! Locally a missing tool or corpus skips the test with a note on stderr; with `CI=true`
//! it fails the test, so CI can never go green by skipping.
//!
//! `OPM_BIN` replaces the binary under test. It may carry extra words that replace the
//! `render` subcommand, which lets the harnesses be checked against helm itself:
//! `OPM_BIN="$PWD/.tools/helm4 template" cargo test --test template_suite`.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod fakeapi;
pub mod otlp;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (where `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when running in CI (`CI=true` or `CI=1`), where missing prerequisites are failures.
pub fn is_ci() -> bool {
    matches!(
        std::env::var("CI").map(|v| v.to_ascii_lowercase()),
        Ok(ref v) if v == "true" || v == "1"
    )
}

/// Reports a missing prerequisite: panics in CI, otherwise prints why the test is skipped.
/// Returns `None` so callers can write `let Some(x) = ... else { return };`.
pub fn missing<T>(what: &str, hint: &str) -> Option<T> {
    if is_ci() {
        panic!("{what} is missing and CI=true, so this is a failure, not a skip. {hint}");
    }
    eprintln!("SKIPPED: {what} is missing. {hint}");
    None
}

/// Directory holding the real tools (`helm3`, `helm4`, `kubectl`).
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("OPM_TOOLS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join(".tools"),
    }
}

/// Path of a real tool (`helm3`, `helm4`, `kubectl`) if it is installed and executable.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = tools_dir().join(name);
    if is_executable(&path) {
        Some(path)
    } else {
        None
    }
}

/// Like [`tool`], but a missing tool is reported through [`missing`].
pub fn require_tool(name: &str) -> Option<PathBuf> {
    tool(name).or_else(|| {
        missing(
            &format!("{}", tools_dir().join(name).display()),
            "Run scripts/install-test-tools.sh (scripts/test.sh does it for you).",
        )
    })
}

/// The chart corpus directory from `OPM_CORPUS`, reported through [`missing`] when unset or
/// not a directory with a `MANIFEST.md`.
pub fn require_corpus() -> Option<PathBuf> {
    let hint = "Set OPM_CORPUS to the corpus directory (the one holding MANIFEST.md); \
                scripts/test.sh sets it to ../shared/corpus when that exists.";
    match std::env::var_os("OPM_CORPUS") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.join("MANIFEST.md").is_file() {
                Some(dir)
            } else {
                missing(&format!("{}/MANIFEST.md", dir.display()), hint)
            }
        }
        _ => missing("OPM_CORPUS", hint),
    }
}

/// The binary under test: `OPM_BIN` (first word) or the `kubectl-opm` cargo built.
pub fn opm_bin() -> PathBuf {
    match opm_bin_override() {
        Some((program, _)) => program,
        None => assert_cmd::cargo::cargo_bin("kubectl-opm"),
    }
}

fn opm_bin_override() -> Option<(PathBuf, Vec<String>)> {
    let raw = std::env::var("OPM_BIN").ok()?;
    let mut words = raw.split_whitespace();
    let program = PathBuf::from(words.next()?);
    Some((program, words.map(str::to_owned).collect()))
}

/// A command that renders like `helm template`: `kubectl-opm render`, or the `OPM_BIN`
/// override (its extra words replace `render`, e.g. `OPM_BIN="/path/helm4 template"`).
pub fn render_command() -> Command {
    match opm_bin_override() {
        Some((program, words)) => {
            let mut cmd = Command::new(program);
            if words.is_empty() {
                cmd.arg("render");
            } else {
                cmd.args(words);
            }
            cmd
        }
        None => {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kubectl-opm"));
            cmd.arg("render");
            cmd
        }
    }
}

/// A description of the binary under test for failure messages.
pub fn render_command_label() -> String {
    std::env::var("OPM_BIN").unwrap_or_else(|_| "kubectl-opm render".to_owned())
}

/// Number of worker threads for tests that run many processes.
pub fn parallelism() -> usize {
    std::env::var("OPM_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// A short unified diff (first `max_lines` lines of it) between expected and actual text.
pub fn short_diff(expected: &str, actual: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(expected, actual);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    let mut out = String::new();
    let mut lines = text.lines();
    for line in lines.by_ref().take(max_lines) {
        out.push_str(line);
        out.push('\n');
    }
    let rest = lines.count();
    if rest > 0 {
        out.push_str(&format!("... ({rest} more diff lines)\n"));
    }
    if out.is_empty() && expected != actual {
        // Only line endings or a final newline differ; show the tails verbatim.
        out = format!(
            "texts differ only in whitespace at line ends; expected ends {:?}, actual ends {:?}\n",
            tail(expected),
            tail(actual)
        );
    }
    out
}

fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(40);
    while !s.is_char_boundary(start) {
        start -= 1;
    }
    &s[start..]
}

/// Copies a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// A unified diff of the first region where `expected` and `actual` differ: the first
/// differing line with `context` lines around it and at most `max_lines` lines of output.
/// Cheap on multi-megabyte renders, where a full diff could take long.
pub fn first_difference(expected: &str, actual: &str, context: usize, max_lines: usize) -> String {
    let exp: Vec<&str> = expected.split_inclusive('\n').collect();
    let act: Vec<&str> = actual.split_inclusive('\n').collect();
    let Some(first) = (0..exp.len().max(act.len())).find(|&i| exp.get(i) != act.get(i)) else {
        return String::new();
    };
    let start = first.saturating_sub(context);
    let window = max_lines.max(1);
    let exp_win: String = exp.iter().skip(start).take(window).copied().collect();
    let act_win: String = act.iter().skip(start).take(window).copied().collect();
    let mut out = format!(
        "first difference at line {} (expected {} lines, actual {} lines)\n",
        first + 1,
        exp.len(),
        act.len()
    );
    out.push_str(&short_diff(&exp_win, &act_win, max_lines));
    out
}

/// `helm lint --strict CHART [-f VALUES]` succeeds with Helm 3 and Helm 4 for every values
/// set (`None`: the chart's defaults). Skips where the binaries are missing (see
/// [`require_tool`]).
pub fn assert_helm_lint_strict(chart: &Path, value_sets: &[Option<PathBuf>]) {
    for helm in ["helm3", "helm4"] {
        let Some(bin) = require_tool(helm) else {
            return;
        };
        for values in value_sets {
            let mut cmd = Command::new(&bin);
            cmd.arg("lint").arg("--strict").arg(chart);
            if let Some(v) = values {
                cmd.arg("-f").arg(v);
            }
            let out = cmd.output().expect("helm runs");
            assert!(
                out.status.success(),
                "{helm} lint --strict failed with {values:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
