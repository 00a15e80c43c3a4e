//! Corpus parity: every render listed in `$OPM_CORPUS/MANIFEST.md` (each chart with its default
//! values and each `ci/*.yaml`, plus the `default--include-crds` variants) is rendered with
//! `kubectl-opm render` and compared (a) byte for byte with the stored Helm 4 golden file and
//! (b) with the live output of `.tools/helm4 template` run in the same test.
//!
//! Renders MANIFEST.md marks as nondeterministic (random passwords, generated certificates)
//! are compared with the listed random fields masked: the value after the key is replaced
//! by a placeholder on both sides and everything else must still match byte for byte.
//!
//! `OPM_CORPUS_FILTER=<chart>[/<values>]` limits the run; `OPM_BIN` swaps the binary.

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys whose values are random per render, by chart (from MANIFEST.md: the grafana subchart's
/// `randAlphaNum` admin password and the checksum over it; opentelemetry-operator's
/// `genCA`/`genSignedCert` webhook certificate).
const RANDOM_FIELDS: &[(&str, &[&str])] = &[
    (
        "kube-prometheus-stack",
        &["admin-password", "checksum/secret"],
    ),
    (
        "opentelemetry-operator",
        &["tls.crt", "tls.key", "ca.crt", "caBundle"],
    ),
];

const RENDER_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone)]
struct Render {
    chart: String,
    /// `default`, a `ci/` file's basename, or `default--include-crds`.
    values: String,
    nondeterministic: bool,
}

impl Render {
    fn id(&self) -> String {
        format!("{}/{}", self.chart, self.values)
    }

    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "corpus-test",
            &self.chart,
            "--namespace",
            "corpus",
            "--kube-version",
            "1.33.0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match self.values.as_str() {
            "default" => {}
            "default--include-crds" => args.push("--include-crds".to_owned()),
            name => {
                args.push("-f".to_owned());
                args.push(format!("{}/ci/{name}.yaml", self.chart));
            }
        }
        args
    }
}

/// The renders from MANIFEST.md's per-render table, plus the `--include-crds` goldens.
fn manifest_renders(corpus: &Path) -> Vec<Render> {
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.md")).unwrap();
    let mut renders = Vec::new();
    let mut in_table = false;
    for line in manifest.lines() {
        if line.starts_with("| chart | values |") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 5 || cells[0].starts_with("---") {
            continue;
        }
        renders.push(Render {
            chart: cells[0].to_owned(),
            values: cells[1].to_owned(),
            nondeterministic: cells[4].starts_with("NONDET"),
        });
    }
    assert!(
        !renders.is_empty(),
        "no per-render table found in {}/MANIFEST.md",
        corpus.display()
    );

    let mut charts: Vec<String> = renders.iter().map(|r| r.chart.clone()).collect();
    charts.dedup();
    for chart in charts {
        if golden_path(corpus, &chart, "default--include-crds").is_some() {
            // Same values as `default`, so the same random fields.
            let nondeterministic = renders
                .iter()
                .any(|r| r.chart == chart && r.values == "default" && r.nondeterministic);
            renders.push(Render {
                chart,
                values: "default--include-crds".to_owned(),
                nondeterministic,
            });
        }
    }
    renders.sort_by_key(|r| r.id());
    renders
}

fn golden_path(corpus: &Path, chart: &str, values: &str) -> Option<PathBuf> {
    let base = corpus.join("golden").join(chart).join(values);
    ["yaml", "yaml.gz"]
        .iter()
        .map(|ext| PathBuf::from(format!("{}.{ext}", base.display())))
        .find(|p| p.is_file())
}

fn read_golden(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("cannot gunzip {}: {e}", path.display()));
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// Replaces the values of the chart's random fields with a placeholder, keeping the key,
/// indentation and quoting, so the rest can be compared byte for byte.
fn mask_random_fields(chart: &str, text: &str) -> String {
    let Some((_, keys)) = RANDOM_FIELDS.iter().find(|(c, _)| *c == chart) else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let trimmed = body.trim_start();
        let masked = keys.iter().find_map(|key| {
            let value = trimmed.strip_prefix(key)?.strip_prefix(": ")?;
            let indent = &body[..body.len() - trimmed.len()];
            let quote = if value.starts_with('"') { "\"" } else { "" };
            let shape = if value.trim_matches('"').is_empty() {
                "<empty>"
            } else {
                "<masked>"
            };
            Some(format!("{indent}{key}: {quote}{shape}{quote}"))
        });
        match masked {
            Some(m) => {
                out.push_str(&m);
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

fn run(mut cmd: Command, cwd: &Path) -> Result<Output, String> {
    cmd.current_dir(cwd);
    assert_cmd::Command::from_std(cmd)
        .timeout(RENDER_TIMEOUT)
        .output()
        .map_err(|e| e.to_string())
}

#[derive(Default)]
struct Verdict {
    golden: Option<Result<(), String>>,
    live: Option<Result<(), String>>,
    /// Set when the stored golden and today's helm4 disagree (a corpus or tool problem).
    golden_vs_helm: Option<String>,
    millis: u128,
}

impl Verdict {
    fn passed(&self) -> bool {
        matches!(self.golden, Some(Ok(()))) && matches!(self.live, Some(Ok(())))
    }
}

fn compare(what: &str, expected: &str, actual: &str) -> Result<(), String> {
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "differs from {what}:\n{}",
            support::first_difference(expected, actual, 3, 30)
        ))
    }
}

fn check(corpus: &Path, helm4: &Path, render: &Render) -> Verdict {
    let charts = corpus.join("charts");
    let mut verdict = Verdict::default();

    let started = Instant::now();
    let mut ours = support::render_command();
    ours.args(render.args());
    let ours = run(ours, &charts);
    verdict.millis = started.elapsed().as_millis();
    let ours = match ours {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => {
            let why = format!(
                "render failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
            verdict.golden = Some(Err(why.clone()));
            verdict.live = Some(Err(why));
            return verdict;
        }
        Err(e) => {
            verdict.golden = Some(Err(format!("cannot run the renderer: {e}")));
            verdict.live = Some(Err("not run".to_owned()));
            return verdict;
        }
    };
    let mask = |text: &str| {
        if render.nondeterministic {
            mask_random_fields(&render.chart, text)
        } else {
            text.to_owned()
        }
    };
    let ours = mask(&ours);

    let golden = golden_path(corpus, &render.chart, &render.values).map(|p| mask(&read_golden(&p)));
    verdict.golden = Some(match &golden {
        Some(golden) => compare("the golden file", golden, &ours),
        None => Err("no golden file".to_owned()),
    });

    let mut helm = Command::new(helm4);
    helm.arg("template").args(render.args());
    verdict.live = Some(match run(helm, &charts) {
        Ok(out) if out.status.success() => {
            let live = mask(&String::from_utf8_lossy(&out.stdout));
            if let Some(golden) = &golden {
                if *golden != live {
                    verdict.golden_vs_helm = Some(support::first_difference(golden, &live, 3, 20));
                }
            }
            compare("live helm4", &live, &ours)
        }
        Ok(out) => Err(format!(
            "helm4 itself failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )),
        Err(e) => Err(format!("cannot run helm4: {e}")),
    });
    verdict
}

/// Indents continuation lines so multi-line reasons stay under their heading.
fn indent(text: &str) -> String {
    text.replace('\n', "\n    ")
}

fn mark(result: &Option<Result<(), String>>) -> &'static str {
    match result {
        Some(Ok(())) => "pass",
        Some(Err(_)) => "FAIL",
        None => "-",
    }
}

#[test]
fn corpus_renders_match_helm() {
    let Some(corpus) = support::require_corpus() else {
        return;
    };
    let Some(helm4) = support::require_tool("helm4") else {
        return;
    };
    let filter = std::env::var("OPM_CORPUS_FILTER").unwrap_or_default();
    let renders: Vec<Render> = manifest_renders(&corpus)
        .into_iter()
        .filter(|r| r.id().contains(&filter))
        .collect();
    assert!(!renders.is_empty(), "no corpus render matches {filter:?}");

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Verdict)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..support::parallelism() {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(render) = renders.get(i) else { break };
                let verdict = check(&corpus, &helm4, render);
                results.lock().unwrap().push((i, verdict));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut table = String::from(
        "\n| chart | values | vs golden | vs live helm4 | masked | render ms |\n|---|---|---|---|---|---:|\n",
    );
    let mut details = String::new();
    let mut failed = 0;
    for (i, verdict) in &results {
        let render = &renders[*i];
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            render.chart,
            render.values,
            mark(&verdict.golden),
            mark(&verdict.live),
            if render.nondeterministic { "yes" } else { "" },
            verdict.millis
        ));
        if let Some(diff) = &verdict.golden_vs_helm {
            details.push_str(&format!(
                "\nNOTE {}: the golden file and live helm4 disagree (corpus or tool problem):\n{diff}",
                render.id()
            ));
        }
        if !verdict.passed() {
            failed += 1;
            if failed <= 12 {
                details.push_str(&format!("\nFAIL {}", render.id()));
                if let Some(Err(why)) = &verdict.golden {
                    details.push_str(&format!("\n  vs golden: {}", indent(why)));
                }
                if let Some(Err(why)) = &verdict.live {
                    if verdict.golden.as_ref().and_then(|g| g.as_ref().err()) != Some(why) {
                        details.push_str(&format!("\n  vs live helm4: {}", indent(why)));
                    }
                }
                details.push('\n');
            }
        }
    }
    if failed > 12 {
        details.push_str(&format!(
            "\n({} more failures, see the table)\n",
            failed - 12
        ));
    }
    let summary = format!(
        "\ncorpus parity: {} of {} renders match (binary under test: {})\n",
        renders.len() - failed,
        renders.len(),
        support::render_command_label()
    );
    eprintln!("{table}{details}{summary}");
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-parity.md");
    if std::fs::write(&report, format!("{table}{details}{summary}")).is_ok() {
        eprintln!("report written to {}", report.display());
    }
    if failed == renders.len() && renders.len() > 1 {
        eprintln!(
            "every render failed: does `{}` render charts yet?",
            support::render_command_label()
        );
    }
    assert_eq!(
        failed, 0,
        "{failed} corpus renders differ from helm (table above)"
    );
}

#[test]
fn masking_keeps_everything_but_the_random_value() {
    let text = "data:\n  admin-user: \"YWRtaW4=\"\n  admin-password: \"c2VjcmV0\"\n  \
                checksum/secret: abc123\nother: admin-password: x\n";
    assert_eq!(
        mask_random_fields("kube-prometheus-stack", text),
        "data:\n  admin-user: \"YWRtaW4=\"\n  admin-password: \"<masked>\"\n  \
         checksum/secret: <masked>\nother: admin-password: x\n"
    );
    assert_eq!(mask_random_fields("keda", text), text);
}
