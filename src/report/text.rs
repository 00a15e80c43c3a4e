//! Text output for people, rustc/miette style:
//!
//! ```text
//! error[pdb-blocks-eviction]: minAvailable 1 equals the 1 replica of Deployment op
//!   --> charts/op/templates/pdb.yaml:6:3
//!    |
//!  6 |   minAvailable: {{ .Values.pdb.minAvailable }}
//!    |   ^^^^^^^^^^^^
//!    = object: PodDisruptionBudget ops/op (spec.minAvailable)
//!    = values: ci/prod-values.yaml
//!    = help: Use `maxUnavailable: 1` or run more replicas
//!    = docs: https://kubectl-opm.dev/rules/pdb-blocks-eviction
//! ```
//!
//! followed by a summary line. Colour only when [`ReportMeta::color`] says so.

use super::{Diagnostic, ReportMeta, Severity, Summary};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn severity(&self, sev: Severity) -> String {
        let code = match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, sev.as_str())
    }

    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn blue(&self, s: &str) -> String {
        self.paint("1;34", s)
    }
}

/// Write all diagnostics and the summary line.
pub fn write(diags: &[Diagnostic], meta: &ReportMeta) -> String {
    let style = Style { on: meta.color };
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        write_one(&mut out, i, d, meta, &style);
        out.push('\n');
    }
    out.push_str(&summary_line(diags, meta, &style));
    out
}

fn write_one(out: &mut String, i: usize, d: &Diagnostic, meta: &ReportMeta, style: &Style) {
    out.push_str(&format!(
        "{}{}: {}\n",
        style.severity(d.severity),
        style.bold(&format!("[{}]", d.rule)),
        style.bold(&d.message)
    ));
    let location = d.source.as_ref().zip(meta.display_path(i, d));
    let line_text = location
        .as_ref()
        .and_then(|(s, path)| meta.source_line(path, s.line));
    // Gutter wide enough for the line number.
    let width = location
        .as_ref()
        .map(|(s, _)| s.line.to_string().len())
        .unwrap_or(1);
    let pad = " ".repeat(width);
    let bar = style.blue("|");
    if let Some((src, path)) = &location {
        let pos = match src.column {
            Some(c) => format!("{path}:{}:{c}", src.line),
            None => format!("{path}:{}", src.line),
        };
        out.push_str(&format!("{pad}{} {pos}\n", style.blue("-->")));
        if let Some(text) = line_text {
            let text = text.trim_end();
            out.push_str(&format!("{pad} {bar}\n"));
            out.push_str(&format!(
                "{} {bar} {text}\n",
                style.blue(&src.line.to_string())
            ));
            let col = src.column.unwrap_or(1).max(1);
            let caret_pad: String = text
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let len = token_len(text, col - 1);
            let carets = style.paint(
                match d.severity {
                    Severity::Error => "1;31",
                    Severity::Warning => "1;33",
                    Severity::Info => "1;36",
                },
                &"^".repeat(len),
            );
            out.push_str(&format!("{pad} {bar} {caret_pad}{carets}\n"));
        }
    }
    let eq = style.blue("=");
    if let Some(o) = &d.object {
        let who = match &o.namespace {
            Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
            None => format!("{} {}", o.kind, o.name),
        };
        match &d.field {
            Some(f) => out.push_str(&format!("{pad} {eq} object: {who} ({f})\n")),
            None => out.push_str(&format!("{pad} {eq} object: {who}\n")),
        }
    } else if let Some(f) = &d.field {
        out.push_str(&format!("{pad} {eq} field: {f}\n"));
    }
    if let Some(v) = &d.values {
        out.push_str(&format!("{pad} {eq} values: {v}\n"));
    }
    if let Some(h) = &d.help {
        // Multi-line help (a YAML snippet) continues under the first line.
        let mut lines = h.lines();
        let first = lines.next().unwrap_or("");
        out.push_str(&format!("{pad} {eq} {}: {first}\n", style.bold("help")));
        for line in lines {
            out.push_str(&format!("{pad}         {line}\n"));
        }
    }
    if let Some(u) = &d.docs {
        out.push_str(&format!("{pad} {eq} docs: {u}\n"));
    }
}

/// Length (in chars) of the token to underline at `col0`: a key up to its colon, or a word.
fn token_len(line: &str, col0: usize) -> usize {
    let rest: String = line.chars().skip(col0).collect();
    let word = rest
        .split(|c: char| c == ':' || c.is_whitespace())
        .next()
        .unwrap_or("");
    word.chars().count().max(1)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn summary_line(diags: &[Diagnostic], meta: &ReportMeta, style: &Style) -> String {
    let s = Summary::of(diags);
    if diags.is_empty() {
        let what = match meta.targets.len() {
            0 => String::new(),
            1 => format!(" in {}", meta.targets[0]),
            n => format!(" in {n} targets"),
        };
        return format!("{}{what}\n", style.paint("1;32", "no problems found"));
    }
    let failing = diags.iter().filter(|d| d.severity >= meta.fail_on).count();
    let counts = format!(
        "{}, {}, {}",
        plural(s.error, "error"),
        plural(s.warning, "warning"),
        s.info.to_string() + " info"
    );
    let verdict = if failing > 0 {
        style.paint("1;31", "failed")
    } else {
        style.paint("1;32", "passed")
    };
    format!(
        "{verdict}: {counts} (failing on {} and above)\n",
        meta.fail_on.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn plain_text() {
        let (diags, meta) = fixtures::diagnostics();
        let text = write(&diags, &meta);
        assert_eq!(
            text,
            "warning[crd-toggle-missing]: the chart ships CRDs in crds/ & no <toggle> \"turns\" them off\n  = docs: https://kubectl-opm.dev/rules/crd-toggle-missing\n\n\
error[pdb-blocks-eviction]: minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted\n \
--> charts/op/templates/pdb.yaml:6:3\n  \
|\n\
6 |   minAvailable: {{ .Values.pdb.minAvailable }}\n  \
|   ^^^^^^^^^^^^\n  \
= object: PodDisruptionBudget ops/op (spec.minAvailable)\n  \
= values: ci/prod-values.yaml\n  \
= help: Use `maxUnavailable: 1` or run more replicas\n  \
= docs: https://kubectl-opm.dev/rules/pdb-blocks-eviction\n\n\
failed: 1 error, 1 warning, 0 info (failing on error and above)\n"
        );
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn colour_only_when_asked() {
        let (diags, mut meta) = fixtures::diagnostics();
        meta.color = true;
        let text = write(&diags, &meta);
        assert!(text.contains("\x1b[1;31merror\x1b[0m"));
    }

    #[test]
    fn empty_and_passing() {
        let meta = ReportMeta {
            targets: vec!["charts/op".into()],
            ..ReportMeta::default()
        };
        assert_eq!(write(&[], &meta), "no problems found in charts/op\n");
        let (mut diags, meta) = fixtures::diagnostics();
        diags.retain(|d| d.severity == Severity::Warning);
        assert!(write(&diags, &meta)
            .ends_with("passed: 0 errors, 1 warning, 0 info (failing on error and above)\n"));
    }

    #[test]
    fn frame_without_source_text() {
        let (diags, mut meta) = fixtures::diagnostics();
        meta.sources.clear();
        let text = write(&diags[1..], &meta);
        assert!(
            text.contains(" --> charts/op/templates/pdb.yaml:6:3\n  = object:"),
            "{text}"
        );
    }
}
