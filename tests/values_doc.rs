//! `opm values-doc`: the values table of every corpus chart names every top-level key; the
//! reference chart's table is snapshotted and its README copy is current; `--check` and
//! `--write` behave; bad input exits 2 with file and line.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opm::valuesdoc::{MARKER_END, MARKER_START};

fn opm() -> Command {
    Command::new(support::opm_bin())
}

fn reference_chart() -> PathBuf {
    support::repo_root().join("charts/sample-operator")
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    opm().arg("values-doc").args(args).output().expect("runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `key` is the row for `top`, or one of its children (`top.x`, `"top.with.dots".x`).
fn row_covers(key: &str, top: &str) -> bool {
    let plain = top
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !top.is_empty();
    let written = if plain {
        top.to_string()
    } else {
        format!("\"{top}\"")
    };
    key == written || key.starts_with(&format!("{written}."))
}

#[test]
fn every_corpus_chart_documents_every_top_level_key() {
    let Some(corpus) = support::require_corpus() else {
        return;
    };
    let mut charts: Vec<PathBuf> = std::fs::read_dir(corpus.join("charts"))
        .expect("corpus charts")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    charts.sort();
    assert!(charts.len() >= 10, "corpus charts: {charts:?}");
    for chart in charts {
        let values_path = chart.join("values.yaml");
        let src = std::fs::read_to_string(&values_path).unwrap_or_default();
        let values = opm::yaml::load_values(&src, "values.yaml").expect("corpus values load");
        let out = run(&[chart.as_os_str(), "-o".as_ref(), "json".as_ref()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            chart.display(),
            stderr(&out)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let rows = doc["values"].as_array().expect("values array");
        let keys: Vec<&str> = rows.iter().filter_map(|r| r["key"].as_str()).collect();
        for top in values.keys() {
            assert!(
                keys.iter().any(|k| row_covers(k, top)),
                "{}: top-level key {top:?} has no row",
                chart.display()
            );
        }
        // Every row has a type (ours, or one a `# -- (type)` comment names) and a line.
        for row in rows {
            let kind = row["type"].as_str().unwrap_or("");
            assert!(
                !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '/'),
                "{}: {row}",
                chart.display()
            );
            assert!(
                row["line"].as_u64().is_some_and(|l| l > 0),
                "{}: {row}",
                chart.display()
            );
        }
        // The Markdown table has a row per JSON row.
        let md = run(&[chart.as_os_str()]);
        assert_eq!(md.status.code(), Some(0));
        let lines = String::from_utf8_lossy(&md.stdout).lines().count();
        assert_eq!(lines, rows.len() + 2, "{}", chart.display());
    }
}

#[test]
fn reference_chart_table_snapshot() {
    let out = run(&[reference_chart().as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!("sample_operator", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn reference_chart_readme_is_current() {
    let chart = reference_chart();
    let readme = chart.join("README.md");
    let out = run(&[chart.as_os_str(), "--check".as_ref(), readme.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "charts/sample-operator/README.md is stale; run `kubectl opm values-doc charts/sample-operator --write charts/sample-operator/README.md`:\n{}",
        stderr(&out)
    );
}

fn chart_with_readme(readme: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\n",
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("values.yaml"),
        "# -- Replicas.\nreplicaCount: 1\nimage:\n  # -- Image tag.\n  tag: v1\n",
    )
    .expect("write");
    std::fs::write(tmp.path().join("README.md"), readme).expect("write");
    tmp
}

fn check(dir: &Path) -> Output {
    let readme = dir.join("README.md");
    run(&[dir.as_os_str(), "--check".as_ref(), readme.as_os_str()])
}

#[test]
fn check_reports_stale_then_write_makes_it_current() {
    let readme = format!("# t\n\n{MARKER_START}\n| Key |\n{MARKER_END}\n\nMore text.\n");
    let tmp = chart_with_readme(&readme);
    let path = tmp.path().join("README.md");
    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "{p}: the values table is stale; run `kubectl opm values-doc {d} --write {p}`\n\
             --- {p}\n+++ generated\n@@ -1 +1,4 @@\n-| Key |\n+| Key | Type | Default | Description |\n\
             +|-----|------|---------|-------------|\n+| image.tag | string | `\"v1\"` | Image tag. |\n\
             +| replicaCount | int | `1` | Replicas. |\n",
            p = path.display(),
            d = tmp.path().display()
        )
    );
    let out = run(&[tmp.path().as_os_str(), "--write".as_ref(), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        format!(
            "# t\n\n{MARKER_START}\n\n| Key | Type | Default | Description |\n|-----|------|---------|-------------|\n\
             | image.tag | string | `\"v1\"` | Image tag. |\n| replicaCount | int | `1` | Replicas. |\n\n{MARKER_END}\n\nMore text.\n"
        )
    );
    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn json_output() {
    let tmp = chart_with_readme("");
    let out = run(&[tmp.path().as_os_str(), "-o".as_ref(), "json".as_ref()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"{
  "values": [
    {
      "key": "image.tag",
      "type": "string",
      "default": "\"v1\"",
      "description": "Image tag.",
      "line": 5
    },
    {
      "key": "replicaCount",
      "type": "int",
      "default": "1",
      "description": "Replicas.",
      "line": 2
    }
  ]
}
"#
    );
}

#[test]
fn bad_input_exits_2_with_file_and_line() {
    // No such chart.
    let out = run(&["does/not/exist".as_ref()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "Error: does/not/exist: cannot read the chart: no such directory\n"
    );
    // A directory that is not a chart.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = run(&[empty.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "Error: {}: not a chart directory (no Chart.yaml)\n",
            empty.path().display()
        )
    );
    // Broken values.yaml.
    let tmp = chart_with_readme("no markers here\n");
    std::fs::write(tmp.path().join("values.yaml"), "a: 1\nb: [1, 2\nc: 3\n").expect("write");
    let out = run(&[tmp.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let values = tmp.path().join("values.yaml");
    let text = stderr(&out);
    assert!(
        text.starts_with(&format!("Error: {}:3:", values.display())),
        "{text}"
    );
    // README without markers.
    let tmp = chart_with_readme("no markers here\n");
    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "Error: {}: the README has no values table markers; add the lines `{MARKER_START}` and `{MARKER_END}` where the table belongs\n",
            tmp.path().join("README.md").display()
        )
    );
    // Missing README.
    let missing = tmp.path().join("NOPE.md");
    let out = run(&[
        tmp.path().as_os_str(),
        "--check".as_ref(),
        missing.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with(&format!("Error: {}: cannot read", missing.display())));
    // --check and --write together are a usage error.
    let out = run(&[
        tmp.path().as_os_str(),
        "--check".as_ref(),
        "a".as_ref(),
        "--write".as_ref(),
        "b".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
