//! Template-engine suite: hundreds of one-feature cases under `testdata/template-suite/cases`,
//! each rendered by `kubectl-opm render` and compared with what the real Helm 4 printed for
//! the same chart (`testdata/template-suite/expected`, written only by
//! `scripts/gen-template-suite.sh`).
//!
//! A case `<family>/<name>.yaml` becomes `templates/case.yaml` of a copy of the skeleton chart
//! `testdata/template-suite/chart` (name `suite`), with `<name>.values.yaml` as `values.yaml`
//! and `<name>.args` (one argument a line) appended to the command line. Expected stdout is
//! compared byte for byte. For cases where Helm fails (`.err`), the render must fail too and
//! its stderr must contain Helm's error text (without Helm's `Error: ` prefix and `Use --debug
//! flag` hint).
//!
//! `OPM_SUITE_FILTER=<substring>` runs only matching cases; `OPM_BIN` swaps the binary (see
//! `tests/support`).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Every function a Helm 4 chart template can call: Go's builtins, Sprig v3.3.0's
/// `TxtFuncMap` (minus `env`/`expandenv`, which Helm removes) and Helm's own additions.
const HELM_FUNCTIONS: &[&str] = &[
    // Go text/template builtins
    "and",
    "call",
    "eq",
    "ge",
    "gt",
    "html",
    "index",
    "js",
    "le",
    "len",
    "lt",
    "ne",
    "not",
    "or",
    "print",
    "printf",
    "println",
    "slice",
    "urlquery",
    // Helm
    "fromJson",
    "fromJsonArray",
    "fromToml",
    "fromYaml",
    "fromYamlArray",
    "include",
    "lookup",
    "mustToJson",
    "mustToYaml",
    "required",
    "toJson",
    "toToml",
    "toYaml",
    "toYamlPretty",
    "tpl",
    // Sprig
    "abbrev",
    "abbrevboth",
    "add",
    "add1",
    "add1f",
    "addf",
    "adler32sum",
    "ago",
    "all",
    "any",
    "append",
    "atoi",
    "b32dec",
    "b32enc",
    "b64dec",
    "b64enc",
    "base",
    "bcrypt",
    "biggest",
    "buildCustomCert",
    "camelcase",
    "cat",
    "ceil",
    "chunk",
    "clean",
    "coalesce",
    "compact",
    "concat",
    "contains",
    "date",
    "dateInZone",
    "dateModify",
    "date_in_zone",
    "date_modify",
    "decryptAES",
    "deepCopy",
    "deepEqual",
    "default",
    "derivePassword",
    "dict",
    "dig",
    "dir",
    "div",
    "divf",
    "duration",
    "durationRound",
    "empty",
    "encryptAES",
    "ext",
    "fail",
    "first",
    "float64",
    "floor",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "get",
    "getHostByName",
    "has",
    "hasKey",
    "hasPrefix",
    "hasSuffix",
    "hello",
    "htmlDate",
    "htmlDateInZone",
    "htpasswd",
    "indent",
    "initial",
    "initials",
    "int",
    "int64",
    "isAbs",
    "join",
    "kebabcase",
    "keys",
    "kindIs",
    "kindOf",
    "last",
    "list",
    "lower",
    "max",
    "maxf",
    "merge",
    "mergeOverwrite",
    "min",
    "minf",
    "mod",
    "mul",
    "mulf",
    "mustAppend",
    "mustChunk",
    "mustCompact",
    "mustDateModify",
    "mustDeepCopy",
    "mustFirst",
    "mustFromJson",
    "mustHas",
    "mustInitial",
    "mustLast",
    "mustMerge",
    "mustMergeOverwrite",
    "mustPrepend",
    "mustPush",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexMatch",
    "mustRegexReplaceAll",
    "mustRegexReplaceAllLiteral",
    "mustRegexSplit",
    "mustRest",
    "mustReverse",
    "mustSlice",
    "mustToDate",
    "mustToPrettyJson",
    "mustToRawJson",
    "mustUniq",
    "mustWithout",
    "must_date_modify",
    "nindent",
    "nospace",
    "now",
    "omit",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "pick",
    "pluck",
    "plural",
    "prepend",
    "push",
    "quote",
    "randAlpha",
    "randAlphaNum",
    "randAscii",
    "randBytes",
    "randInt",
    "randNumeric",
    "regexFind",
    "regexFindAll",
    "regexMatch",
    "regexQuoteMeta",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "repeat",
    "replace",
    "rest",
    "reverse",
    "round",
    "semver",
    "semverCompare",
    "seq",
    "set",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shuffle",
    "snakecase",
    "sortAlpha",
    "split",
    "splitList",
    "splitn",
    "squote",
    "sub",
    "subf",
    "substr",
    "swapcase",
    "ternary",
    "title",
    "toDate",
    "toDecimal",
    "toPrettyJson",
    "toRawJson",
    "toString",
    "toStrings",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trimall",
    "trunc",
    "tuple",
    "typeIs",
    "typeIsLike",
    "typeOf",
    "uniq",
    "unixEpoch",
    "unset",
    "until",
    "untilStep",
    "untitle",
    "upper",
    "urlJoin",
    "urlParse",
    "uuidv4",
    "values",
    "without",
    "wrap",
    "wrapWith",
];

/// Functions deliberately without a case, and why.
const UNCOVERED: &[(&str, &str)] = &[(
    "getHostByName",
    "does a live DNS lookup: the answer depends on the machine and network",
)];

/// How long one render may take before the case counts as hung.
const CASE_TIMEOUT: Duration = Duration::from_secs(30);

fn suite_dir() -> PathBuf {
    support::repo_root().join("testdata/template-suite")
}

struct Case {
    /// `family/name`
    id: String,
    template: PathBuf,
    values: Option<PathBuf>,
    args: Vec<String>,
    expectation: Option<Expectation>,
}

enum Expectation {
    Stdout(String),
    Error { code: i32, message: String },
}

fn load_cases() -> Vec<Case> {
    let cases_dir = suite_dir().join("cases");
    let mut cases = Vec::new();
    let mut families: Vec<_> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    families.sort();
    for family_dir in families {
        let family = family_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&family_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(name) = file_name.strip_suffix(".yaml") else {
                continue;
            };
            if name.ends_with(".values") {
                continue;
            }
            let id = format!("{family}/{name}");
            let values = family_dir.join(format!("{name}.values.yaml"));
            let args_file = family_dir.join(format!("{name}.args"));
            let args = std::fs::read_to_string(&args_file)
                .map(|text| {
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            cases.push(Case {
                expectation: load_expectation(&id),
                id,
                template: path.clone(),
                values: values.is_file().then_some(values),
                args,
            });
        }
    }
    cases
}

fn load_expectation(id: &str) -> Option<Expectation> {
    let base = suite_dir().join("expected").join(id);
    if let Ok(stdout) = std::fs::read_to_string(base.with_extension("out")) {
        return Some(Expectation::Stdout(stdout));
    }
    let text = std::fs::read_to_string(base.with_extension("err")).ok()?;
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let code = first
        .strip_prefix("exit-code: ")
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(1);
    // The `Error: ` prefix is how helm's CLI presents the error, not part of the message; the
    // render command may present it its own way.
    let message = normalize_error(rest);
    let message = message
        .strip_prefix("Error: ")
        .unwrap_or(&message)
        .to_owned();
    Some(Expectation::Error { code, message })
}

/// Helm's error text without its `--debug` hint, with line ends trimmed.
fn normalize_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.starts_with("Use --debug flag"))
        .collect();
    lines.join("\n").trim().to_owned()
}

/// Builds the case chart as `<dir>/suite`, exactly like `scripts/gen-template-suite.sh`.
fn build_chart(case: &Case, dir: &Path) -> std::io::Result<()> {
    let chart = dir.join("suite");
    support::copy_dir(&suite_dir().join("chart"), &chart)?;
    std::fs::copy(&case.template, chart.join("templates/case.yaml"))?;
    if let Some(values) = &case.values {
        std::fs::copy(values, chart.join("values.yaml"))?;
    }
    Ok(())
}

enum Outcome {
    Pass,
    Fail(String),
}

fn run_case(case: &Case) -> Outcome {
    let Some(expectation) = &case.expectation else {
        return Outcome::Fail(
            "no expectation file: run scripts/gen-template-suite.sh for this case".to_owned(),
        );
    };
    let tmp = tempfile::tempdir().unwrap();
    if let Err(e) = build_chart(case, tmp.path()) {
        return Outcome::Fail(format!("cannot build the case chart: {e}"));
    }
    let mut cmd = support::render_command();
    cmd.args([
        "suite",
        "./suite",
        "--namespace",
        "suite-ns",
        "--kube-version",
        "1.33.0",
    ])
    .args(&case.args)
    .current_dir(tmp.path())
    .env("TZ", "UTC");
    let output = match assert_cmd::Command::from_std(cmd)
        .timeout(CASE_TIMEOUT)
        .output()
    {
        Ok(output) => output,
        Err(e) => return Outcome::Fail(format!("cannot run the renderer: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let status = output.status;
    match expectation {
        Expectation::Stdout(expected) => {
            if !status.success() {
                Outcome::Fail(format!(
                    "helm succeeded, the render failed ({status}):\n{}",
                    indent(stderr.trim_end())
                ))
            } else if stdout != *expected {
                Outcome::Fail(format!(
                    "stdout differs from helm:\n{}",
                    indent(&support::short_diff(expected, &stdout, 40))
                ))
            } else {
                Outcome::Pass
            }
        }
        Expectation::Error { code, message } => {
            let actual = normalize_error(&stderr);
            if status.success() {
                Outcome::Fail(format!(
                    "helm failed (exit {code}), the render succeeded; helm said:\n{}\nrender printed:\n{}",
                    indent(message),
                    indent(stdout.trim_end())
                ))
            } else if !actual.contains(message.as_str()) {
                Outcome::Fail(format!(
                    "both failed, but the error text differs:\n{}",
                    indent(&support::short_diff(message, &actual, 40))
                ))
            } else {
                Outcome::Pass
            }
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

#[test]
fn template_suite_matches_helm() {
    let filter = std::env::var("OPM_SUITE_FILTER").unwrap_or_default();
    let cases: Vec<Case> = load_cases()
        .into_iter()
        .filter(|c| c.id.contains(&filter))
        .collect();
    assert!(
        !cases.is_empty(),
        "no template-suite case matches {filter:?}"
    );

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..support::parallelism() {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let outcome = run_case(case);
                results.lock().unwrap().push((i, outcome));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut per_family: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, outcome) in &results {
        let case = &cases[*i];
        let family = case.id.split('/').next().unwrap_or_default();
        let entry = per_family.entry(family).or_default();
        entry.1 += 1;
        match outcome {
            Outcome::Pass => entry.0 += 1,
            Outcome::Fail(why) => failures.push((case.id.as_str(), why.as_str())),
        }
    }

    let mut report = String::from("\ntemplate suite (expected output from helm v4):\n");
    for (family, (pass, total)) in &per_family {
        report.push_str(&format!("  {family:<16} {pass:>3}/{total:<3}\n"));
    }
    let passed = cases.len() - failures.len();
    report.push_str(&format!(
        "  {:<16} {passed:>3}/{:<3}\n",
        "total",
        cases.len()
    ));
    const DETAILED: usize = 25;
    for (id, why) in failures.iter().take(DETAILED) {
        report.push_str(&format!("\nFAIL {id}\n{why}\n"));
    }
    if failures.len() > DETAILED {
        report.push_str(&format!("\n{} more failures:\n", failures.len() - DETAILED));
        for (id, _) in failures.iter().skip(DETAILED) {
            report.push_str(&format!("  {id}\n"));
        }
    }
    eprintln!("{report}");
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("template-suite.txt");
    if std::fs::write(&file, &report).is_ok() {
        eprintln!("report written to {}", file.display());
    }
    if failures.len() == cases.len() && cases.len() > 1 {
        eprintln!(
            "every case failed: does `{}` render charts yet?",
            support::render_command_label()
        );
    }
    // Known differences are listed with their reason; any other failure fails the test, and
    // so does a listed case that now passes (so the list cannot go stale).
    let unexpected: Vec<&str> = failures
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !KNOWN_DIFFERENCES.iter().any(|(known, _)| known == id))
        .collect();
    let fixed: Vec<&str> = KNOWN_DIFFERENCES
        .iter()
        .map(|(known, _)| *known)
        .filter(|known| cases.iter().any(|c| c.id == *known))
        .filter(|known| !failures.iter().any(|(id, _)| id == known))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} of {} template-suite cases differ from helm: {unexpected:?} (details above; rerun one with OPM_SUITE_FILTER=<family/name>)",
        unexpected.len(),
        cases.len()
    );
    assert!(
        fixed.is_empty(),
        "these cases now match helm: remove them from KNOWN_DIFFERENCES: {fixed:?}"
    );
}

/// Cases where we knowingly differ from helm, and why. Each is a gap to close, not a
/// behaviour we want.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "serialization/from-toml",
        "TOML error wording differs from BurntSushi/toml",
    ),
    (
        "strings/split",
        "typeOf of Go's typed map[string]string; our maps carry no element type",
    ),
    (
        "strings/to-strings",
        "typeOf of Go's typed []string; our lists carry no element type",
    ),
];

/// The suite must call every function Helm gives templates (except the documented few), and
/// every expectation must belong to a case.
#[test]
fn template_suite_is_complete() {
    let cases = load_cases();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut all_text = String::new();
    for case in &cases {
        all_text.push_str(&std::fs::read_to_string(&case.template).unwrap());
        all_text.push('\n');
    }
    let words: std::collections::HashSet<&str> = all_text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let missing: Vec<&str> = HELM_FUNCTIONS
        .iter()
        .copied()
        .filter(|f| !words.contains(f) && !UNCOVERED.iter().any(|(u, _)| u == f))
        .collect();
    assert!(
        missing.is_empty(),
        "functions without a template-suite case: {missing:?}"
    );

    let without_expectation: Vec<&str> = cases
        .iter()
        .filter(|c| c.expectation.is_none())
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        without_expectation.is_empty(),
        "cases without expectation (run scripts/gen-template-suite.sh): {without_expectation:?}"
    );

    let ids: std::collections::HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let mut stale = Vec::new();
    let expected_dir = suite_dir().join("expected");
    for family in std::fs::read_dir(&expected_dir).unwrap() {
        let family = family.unwrap().path();
        for file in std::fs::read_dir(&family).unwrap() {
            let file = file.unwrap().path();
            let id = format!(
                "{}/{}",
                family.file_name().unwrap().to_string_lossy(),
                file.file_stem().unwrap().to_string_lossy()
            );
            if !ids.contains(id.as_str()) {
                stale.push(id);
            }
        }
    }
    assert!(stale.is_empty(), "expectations without a case: {stale:?}");
}
