//! The rule registry over [`rules::all`](super::rules::all): lookup by id, the checks every
//! rule's metadata must pass, and the generated views of it — `--list-rules` (text, JSON,
//! Markdown), `--explain RULE`, and the README rule table.

use super::{Rule, RuleMeta};

/// Where a rule's documentation page lives.
pub const DOCS_BASE: &str = "https://kubectl-opm.dev/rules/";

/// Marker lines around the generated rule table in README.md.
pub const README_START: &str = "<!-- rules:start -->";
pub const README_END: &str = "<!-- rules:end -->";

/// Docs link of a rule id.
pub fn docs_url(id: &str) -> String {
    format!("{DOCS_BASE}{id}")
}

/// The set of rules a lint run can use.
pub struct Registry {
    rules: Vec<&'static dyn Rule>,
}

impl Registry {
    /// Every built-in rule.
    pub fn builtin() -> Registry {
        Registry {
            rules: super::rules::all(),
        }
    }

    /// A registry over the given rules (tests use this with dummy rules).
    pub fn with_rules(rules: Vec<&'static dyn Rule>) -> Registry {
        Registry { rules }
    }

    pub fn rules(&self) -> &[&'static dyn Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&'static dyn Rule> {
        self.rules.iter().copied().find(|r| r.meta().id == id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Metadata of every rule, in registry order.
    pub fn metas(&self) -> impl Iterator<Item = &'static RuleMeta> + '_ {
        self.rules.iter().map(|r| r.meta())
    }

    /// Metadata sorted by family, then id: the order every listing uses.
    pub fn sorted_metas(&self) -> Vec<&'static RuleMeta> {
        let mut metas: Vec<&'static RuleMeta> = self.metas().collect();
        metas.sort_by(|a, b| (a.family, a.id).cmp(&(b.family, b.id)));
        metas
    }

    /// Problems with the registry's metadata (empty when all is well): ids unique and
    /// kebab-case, a kebab-case family, a one-line summary, and a doc with the sections
    /// `## What it does`, `## Why is this bad?` and `## Fix`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for meta in self.metas() {
            let id = meta.id;
            if !seen.insert(id) {
                out.push(format!("{id}: duplicate rule id"));
            }
            if !is_kebab_case(id) {
                out.push(format!("{id}: rule id is not kebab-case"));
            }
            if !is_kebab_case(meta.family) {
                out.push(format!("{id}: family {:?} is not kebab-case", meta.family));
            }
            if meta.summary.trim().is_empty() || meta.summary.contains('\n') {
                out.push(format!("{id}: summary must be one non-empty line"));
            }
            for section in ["## What it does", "## Why is this bad?", "## Fix"] {
                if !meta.doc.lines().any(|l| l.trim_end() == section) {
                    out.push(format!("{id}: doc has no `{section}` section"));
                }
            }
            if fix_section(meta.doc).is_none_or(|f| f.is_empty()) {
                out.push(format!("{id}: the Fix section is empty"));
            }
        }
        out
    }

    /// `--list-rules`: an aligned text table.
    pub fn list_text(&self) -> String {
        let metas = self.sorted_metas();
        let w_id = metas.iter().map(|m| m.id.len()).max().unwrap_or(0).max(4);
        let w_family = metas
            .iter()
            .map(|m| m.family.len())
            .max()
            .unwrap_or(0)
            .max(6);
        let mut out = format!(
            "{:<w_id$}  {:<w_family$}  {:<8}  SUMMARY\n",
            "RULE", "FAMILY", "SEVERITY"
        );
        for m in &metas {
            out.push_str(&format!(
                "{:<w_id$}  {:<w_family$}  {:<8}  {}\n",
                m.id,
                m.family,
                m.severity.as_str(),
                m.summary
            ));
        }
        out.push_str(&format!(
            "\n{} rules. `kubectl opm lint --explain RULE` prints a rule's documentation.\n",
            metas.len()
        ));
        out
    }

    /// `--list-rules -o json`: `{"rules":[{"id","family","severity","summary","docs"}]}`.
    pub fn list_json(&self) -> String {
        let rules: Vec<serde_json::Value> = self
            .sorted_metas()
            .iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id,
                    "family": m.family,
                    "severity": m.severity,
                    "summary": m.summary,
                    "docs": docs_url(m.id),
                })
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&serde_json::json!({ "rules": rules }))
            .unwrap_or_else(|_| String::from("{\"rules\":[]}"));
        text.push('\n');
        text
    }

    /// The README rule table (also `--list-rules -o markdown`).
    pub fn markdown_table(&self) -> String {
        let mut out = String::from("| Rule | Family | Severity | Summary |\n|---|---|---|---|\n");
        for m in self.sorted_metas() {
            out.push_str(&format!(
                "| [`{}`]({}) | {} | {} | {} |\n",
                m.id,
                docs_url(m.id),
                m.family,
                m.severity.as_str(),
                m.summary.replace('|', "\\|")
            ));
        }
        out
    }

    /// `--explain RULE`: the rule's metadata and its doc. `None` for an unknown id.
    pub fn explain(&self, id: &str) -> Option<String> {
        let m = self.get(id)?.meta();
        let mut out = format!(
            "# {}\n\nFamily: {}\nDefault severity: {}\nDocs: {}\n\n{}\n\n{}",
            m.id,
            m.family,
            m.severity.as_str(),
            docs_url(m.id),
            m.summary,
            m.doc.trim()
        );
        out.push('\n');
        Some(out)
    }

    /// The closest rule id to a misspelt one, for "did you mean" hints.
    pub fn suggest(&self, id: &str) -> Option<&'static str> {
        self.metas()
            .map(|m| (edit_distance(id, m.id), m.id))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, id)| id)
    }
}

/// The README table of the built-in rules, between [`README_START`] and [`README_END`].
pub fn markdown_rule_table() -> String {
    Registry::builtin().markdown_table()
}

/// The body of a doc's `## Fix` section, trimmed (`None` when there is no such section).
pub fn fix_section(doc: &str) -> Option<String> {
    let mut lines = doc.lines();
    lines.find(|l| l.trim_end() == "## Fix")?;
    let mut body = Vec::new();
    let mut in_code = false;
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        // A heading outside a code block ends the section.
        if !in_code && line.starts_with("## ") {
            break;
        }
        body.push(line);
    }
    Some(body.join("\n").trim().to_string())
}

/// The help a finding shows when it has none of its own: the first paragraph of the Fix
/// section as one line, or, when the section opens with a code block, that code.
pub fn fix_summary(doc: &str) -> Option<String> {
    let fix = fix_section(doc)?;
    let mut lines = fix.lines().peekable();
    if lines
        .peek()
        .is_some_and(|l| l.trim_start().starts_with("```"))
    {
        lines.next();
        let code: Vec<&str> = lines
            .take_while(|l| !l.trim_start().starts_with("```"))
            .collect();
        let code = code.join("\n");
        return (!code.trim().is_empty()).then_some(code);
    }
    let para: Vec<&str> = fix
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with("```"))
        .map(str::trim)
        .collect();
    let text = para.join(" ");
    let text = text.trim_end_matches(':').trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// `lower-case-words-with-dashes`: ASCII lowercase letters and digits, single dashes
/// between words.
pub fn is_kebab_case(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur[j + 1] = best;
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod test_rules {
    //! Dummy rules for framework tests (the real ones live in `rules/`).
    use crate::lint::{Context, Finding, Rule, RuleMeta};
    use crate::report::Severity;

    pub struct PdbDummy;
    pub static PDB_DUMMY: RuleMeta = RuleMeta {
        id: "dummy-pdb-min-available",
        family: "pdb",
        severity: Severity::Error,
        summary: "PodDisruptionBudget minAvailable is set",
        doc: "## What it does\nFlags every PDB with minAvailable.\n\n## Why is this bad?\nTests.\n\n## Example\n```yaml\nminAvailable: 1\n```\n\n## Fix\nUse `maxUnavailable: 1`\ninstead:\n```yaml\nmaxUnavailable: 1\n```\n",
    };
    impl Rule for PdbDummy {
        fn meta(&self) -> &'static RuleMeta {
            &PDB_DUMMY
        }
        fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
            for (i, o) in ctx.objects_of_kind("PodDisruptionBudget") {
                if o.get("spec.minAvailable").is_some() {
                    out.push(
                        Finding::on(i, format!("PDB {} sets minAvailable", o.name))
                            .field("spec.minAvailable"),
                    );
                }
            }
        }
    }

    pub struct ChartDummy;
    pub static CHART_DUMMY: RuleMeta = RuleMeta {
        id: "dummy-no-configmap",
        family: "misc",
        severity: Severity::Warning,
        summary: "Chart renders no ConfigMap",
        doc: "## What it does\nx\n\n## Why is this bad?\ny\n\n## Fix\nAdd a ConfigMap.\n",
    };
    impl Rule for ChartDummy {
        fn meta(&self) -> &'static RuleMeta {
            &CHART_DUMMY
        }
        fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
            if ctx.objects_of_kind("ConfigMap").next().is_none() {
                out.push(Finding::chart("no ConfigMap rendered"));
            }
        }
    }

    pub fn registry() -> super::Registry {
        super::Registry::with_rules(vec![&PdbDummy, &ChartDummy])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;

    #[test]
    fn builtin_registry_is_well_formed() {
        let problems = Registry::builtin().problems();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn dummy_registry_is_well_formed_and_listed() {
        let reg = test_rules::registry();
        assert_eq!(reg.problems(), Vec::<String>::new());
        assert_eq!(
            reg.list_text(),
            "RULE                     FAMILY  SEVERITY  SUMMARY\n\
             dummy-no-configmap       misc    warning   Chart renders no ConfigMap\n\
             dummy-pdb-min-available  pdb     error     PodDisruptionBudget minAvailable is set\n\
             \n2 rules. `kubectl opm lint --explain RULE` prints a rule's documentation.\n"
        );
        let json: serde_json::Value = serde_json::from_str(&reg.list_json()).unwrap();
        assert_eq!(json["rules"][1]["id"], "dummy-pdb-min-available");
        assert_eq!(json["rules"][1]["severity"], "error");
        assert_eq!(
            json["rules"][1]["docs"],
            "https://kubectl-opm.dev/rules/dummy-pdb-min-available"
        );
        assert!(reg.markdown_table().contains(
            "| [`dummy-no-configmap`](https://kubectl-opm.dev/rules/dummy-no-configmap) | misc | warning | Chart renders no ConfigMap |\n"
        ));
    }

    #[test]
    fn explain_prints_doc() {
        let reg = test_rules::registry();
        let text = reg.explain("dummy-no-configmap").unwrap();
        assert!(
            text.starts_with("# dummy-no-configmap\n\nFamily: misc\nDefault severity: warning\n")
        );
        assert!(text.ends_with("## Fix\nAdd a ConfigMap.\n"));
        assert!(reg.explain("nope").is_none());
        assert_eq!(
            reg.suggest("dummy-no-configmaps"),
            Some("dummy-no-configmap")
        );
        assert_eq!(reg.suggest("zzzzzzzzzzzz"), None);
    }

    #[test]
    fn problems_are_reported() {
        struct Bad;
        static BAD: RuleMeta = RuleMeta {
            id: "Bad_Rule",
            family: "x",
            severity: Severity::Info,
            summary: "two\nlines",
            doc: "## What it does\nx\n",
        };
        impl Rule for Bad {
            fn meta(&self) -> &'static RuleMeta {
                &BAD
            }
            fn check(&self, _: &crate::lint::Context<'_>, _: &mut Vec<crate::lint::Finding>) {}
        }
        let reg = Registry::with_rules(vec![&Bad, &Bad]);
        let p = reg.problems();
        assert!(p.contains(&"Bad_Rule: duplicate rule id".to_string()));
        assert!(p.contains(&"Bad_Rule: rule id is not kebab-case".to_string()));
        assert!(p.contains(&"Bad_Rule: summary must be one non-empty line".to_string()));
        assert!(p.contains(&"Bad_Rule: doc has no `## Fix` section".to_string()));
    }

    #[test]
    fn fix_sections() {
        let doc = test_rules::PDB_DUMMY.doc;
        assert_eq!(
            fix_section(doc).unwrap(),
            "Use `maxUnavailable: 1`\ninstead:\n```yaml\nmaxUnavailable: 1\n```"
        );
        assert_eq!(fix_summary(doc).unwrap(), "Use `maxUnavailable: 1` instead");
        assert_eq!(fix_section("## What it does\nx"), None);
        assert_eq!(
            fix_summary("## Fix\n```yaml\na:\n  b: 1\n```\nmore\n").unwrap(),
            "a:\n  b: 1"
        );
    }

    #[test]
    fn kebab_case() {
        assert!(is_kebab_case("pdb-blocks-eviction"));
        assert!(is_kebab_case("crds"));
        assert!(is_kebab_case("rbac-v1beta1-removed"));
        assert!(!is_kebab_case("Pdb"));
        assert!(!is_kebab_case("a--b"));
        assert!(!is_kebab_case("-a"));
        assert!(!is_kebab_case("a_b"));
        assert!(!is_kebab_case("1a"));
    }

    /// README.md carries the generated rule table; regenerate it with
    /// `kubectl-opm lint --list-rules -o markdown` or by running this test with
    /// `OPM_UPDATE_README=1`.
    #[test]
    fn readme_rule_table_is_in_sync() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).expect("README.md exists");
        let start = readme
            .find(README_START)
            .expect("README has the rules:start marker");
        let end = readme
            .find(README_END)
            .expect("README has the rules:end marker");
        let section = readme[start + README_START.len()..end].trim();
        if std::env::var_os("OPM_UPDATE_README").is_some() {
            let updated = format!(
                "{}{README_START}\n{}{}",
                &readme[..start],
                markdown_rule_table(),
                &readme[end..]
            );
            std::fs::write(&path, updated).expect("README.md is writable");
            return;
        }
        assert_eq!(
            section,
            markdown_rule_table().trim(),
            "README rule table is stale: run `kubectl-opm lint --list-rules -o markdown` and paste it between the markers"
        );
    }
}
