//! `opm crd diff`: the fixture pairs in `testdata/crd-diff/<case>/` (each `old.yaml`,
//! `new.yaml` and the expected findings in `expected.txt`), every CRD history pair of the
//! corpus (`$OPM_CORPUS/crd-history`), and the command end to end.
//!
//! `expected.txt` holds one finding per line: `breaking|safe <check> <version> <field>`, with
//! `-` for an empty version or field. `UPDATE_EXPECT=1 cargo test --test crd_diff` rewrites
//! the files from the current output, to be reviewed as a diff.

use std::path::{Path, PathBuf};

use opm::crd::{diff_crds, source::load_path, Change};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/crd-diff")
}

fn line(c: &Change) -> String {
    let dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{} {} {} {}",
        if c.breaking { "breaking" } else { "safe" },
        c.rule.id(),
        dash(&c.version),
        dash(&c.field)
    )
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("old.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn fixture_pairs_give_the_expected_findings() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let dirs = cases();
    assert!(dirs.len() >= 40, "only {} fixture pairs", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let old = load_path(&dir.join("old.yaml")).unwrap();
        let new = load_path(&dir.join("new.yaml")).unwrap();
        let got: String = diff_crds(&old, &new)
            .iter()
            .map(|c| line(c) + "\n")
            .collect();
        let expected_path = dir.join("expected.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            if update {
                std::fs::write(&expected_path, &got).unwrap();
            } else {
                failures.push(format!(
                    "{}:\n--- expected\n{expected}--- got\n{got}",
                    dir.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
