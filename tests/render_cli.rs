//! `kubectl-opm render` end to end: bad inputs give a clear error (with file and line where
//! there is one) and exit 2, never a panic; a few flag behaviours helm users rely on.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn opm() -> Command {
    Command::cargo_bin("kubectl-opm").expect("binary is built")
}

/// Write a small chart; `files` are (relative path, content).
fn chart(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("mychart");
    for (name, content) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        fs::write(path, content).expect("write");
    }
    root
}

const CHART_YAML: &str = "apiVersion: v2\nname: mychart\nversion: 0.1.0\n";

/// Run render and return (exit code, stderr).
fn render_err(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = render_out(args);
    (code, stderr)
}

fn assert_bad_input(args: &[&str], expected: &[&str]) {
    let (code, stderr) = render_err(args);
    assert_eq!(code, 2, "exit code for {args:?}; stderr:\n{stderr}");
    assert!(stderr.starts_with("Error: "), "stderr: {stderr}");
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "stderr for {args:?} lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
}

#[test]
fn missing_chart() {
    assert_bad_input(
        &["/nonexistent/chart"],
        &["/nonexistent/chart", "not found"],
    );
}

#[test]
fn broken_chart_yaml_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: mychart\nversion: [0.1.0\n",
            ),
            ("templates/cm.yaml", "kind: ConfigMap\n"),
        ],
    );
    assert_bad_input(&[root.to_str().expect("utf-8")], &["Chart.yaml:4:1"]);
}

#[test]
fn chart_yaml_without_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n")],
    );
    assert_bad_input(&[root.to_str().expect("utf-8")], &["name is required"]);
}

#[test]
fn yaml_error_in_values_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("templates/cm.yaml", "a: {{ .Values.a }}\n"),
        ],
    );
    let values = dir.path().join("bad-values.yaml");
    fs::write(&values, "a: 1\nb: [unclosed\n").expect("write");
    assert_bad_input(
        &[
            root.to_str().expect("utf-8"),
            "-f",
            values.to_str().expect("utf-8"),
        ],
        &["bad-values.yaml", "line"],
    );
}

#[test]
fn template_parse_error_shows_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("templates/cm.yaml", "a: 1\nb: {{ if .Values.x }}\n"),
        ],
    );
    assert_bad_input(
        &[root.to_str().expect("utf-8")],
        // Go reports the end of input, on the line after the last newline.
        &[
            "parse error at (mychart/templates/cm.yaml:3)",
            "unexpected EOF",
        ],
    );
}

#[test]
fn a_parse_error_wins_over_an_execution_error_in_a_large_chart() {
    // Enough template source that files are parsed on a second thread while others
    // already execute. a.yaml executes (and fails) before _z.tpl is needed, but Helm parses
    // every file first: the parse error is what it reports.
    let dir = tempfile::tempdir().expect("tempdir");
    let filler: Vec<(String, String)> = (0..200)
        .map(|i| {
            let body = format!("k{i}: {{{{ .Values.v | default \"x\" | quote }}}}\n").repeat(40);
            (format!("templates/f{i:03}.yaml"), body)
        })
        .collect();
    let mut files: Vec<(&str, &str)> = vec![
        ("Chart.yaml", CHART_YAML),
        ("templates/_helpers.tpl", "{{ define \"x\" }}x{{ end }}"),
        (
            "templates/a.yaml",
            "a: {{ required \"need v\" .Values.v }}\n",
        ),
        ("templates/_z.tpl", "ok\n{{ if }}\n"),
    ];
    files.extend(filler.iter().map(|(n, b)| (n.as_str(), b.as_str())));
    let root = chart(dir.path(), &files);
    assert_bad_input(
        &[root.to_str().expect("utf-8")],
        &[
            "parse error at (mychart/templates/_z.tpl:2)",
            "missing value for if",
        ],
    );
    // Without the broken partial, the execution error is reported.
    fs::remove_file(root.join("templates/_z.tpl")).expect("rm");
    assert_bad_input(
        &[root.to_str().expect("utf-8")],
        &["execution error at (mychart/templates/a.yaml:1:6): need v"],
    );
    // And with the value set, everything renders.
    let out = opm()
        .args(["render", root.to_str().expect("utf-8"), "--set", "v=1"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("# Source: mychart/templates/f").count(), 200);
    assert!(text.contains("a: 1\n"));
}

#[test]
fn unknown_function_is_a_parse_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("templates/cm.yaml", "a: 1\nb: {{ frobnicate 3 }}\n"),
        ],
    );
    assert_bad_input(
        &[root.to_str().expect("utf-8")],
        &[
            "mychart/templates/cm.yaml:2",
            "function \"frobnicate\" not defined",
        ],
    );
}

#[test]
fn required_failure_is_exact_with_a_source_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/cm.yaml",
                "a: 1\nimage: {{ required \"image.repository is required\" .Values.image }}\n",
            ),
        ],
    );
    assert_bad_input(
        &[root.to_str().expect("utf-8")],
        &[
            "execution error at (mychart/templates/cm.yaml:2:10): image.repository is required",
            "--> mychart/templates/cm.yaml:2:10",
            "2 | image: {{ required",
        ],
    );
}

#[test]
fn values_that_break_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "replicas: 1\n"),
            (
                "values.schema.json",
                r#"{"type":"object","properties":{"replicas":{"type":"integer"}}}"#,
            ),
            ("templates/cm.yaml", "r: {{ .Values.replicas }}\n"),
        ],
    );
    assert_bad_input(
        &[
            root.to_str().expect("utf-8"),
            "--set-string",
            "replicas=three",
        ],
        &[
            "values don't meet the specifications of the schema",
            "replicas",
        ],
    );
}

#[test]
fn unparsable_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[("Chart.yaml", CHART_YAML), ("templates/cm.yaml", "a: 1\n")],
    );
    assert_bad_input(
        &[root.to_str().expect("utf-8"), "--set", "a.b"],
        &["failed parsing --set data: key \"b\" has no value"],
    );
}

#[test]
fn dependency_that_is_not_vendored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: mychart\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://example.invalid\n  condition: redis.enabled\n",
            ),
            ("templates/cm.yaml", "a: 1\n"),
        ],
    );
    assert_bad_input(
        &[root.to_str().expect("utf-8")],
        &["missing in charts/ directory: redis"],
    );
}

#[test]
fn kube_version_that_is_not_a_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[("Chart.yaml", CHART_YAML), ("templates/cm.yaml", "a: 1\n")],
    );
    assert_bad_input(
        &[root.to_str().expect("utf-8"), "--kube-version", "banana"],
        &["invalid kube version 'banana'"],
    );
}

#[test]
fn values_matrix_renders_every_file_and_labels_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "env: default\n"),
            ("ci/prod-values.yaml", "env: prod\n"),
            ("ci/staging-values.yaml", "env: staging\n"),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  env: {{ .Values.env }}\n",
            ),
        ],
    );
    let out = opm()
        .args(["render", root.to_str().expect("utf-8"), "--values-matrix"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let prod = text.find("prod-values.yaml").expect("prod entry");
    let staging = text.find("staging-values.yaml").expect("staging entry");
    assert!(prod < staging, "entries in sorted order:\n{text}");
    assert!(
        text.contains("env: prod") && text.contains("env: staging"),
        "{text}"
    );
    assert!(!text.contains("env: default"), "{text}");
}

#[test]
fn json_output_is_a_list_of_objects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\n# only a comment\n",
            ),
        ],
    );
    let out = opm()
        .args(["render", root.to_str().expect("utf-8"), "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["metadata"]["name"], "cm");
}

/// `{{ .Capabilities.KubeVersion }}` prints Helm 4's normalised version (the numbers only,
/// as many as were given), while `.Version` keeps what the user passed; both as the real
/// Helm 4.1 binary prints them. A chart's `kubeVersion` is checked against the numbers, so
/// a provider suffix does not make it a pre-release.
#[test]
fn kube_version_prints_like_helm_4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: mychart\nversion: 0.1.0\nkubeVersion: \">=1.30.0\"\n",
            ),
            (
                "templates/a.yaml",
                "a: \"{{ .Capabilities.KubeVersion }}|{{ .Capabilities.KubeVersion.Version }}\"\n",
            ),
        ],
    );
    let root = root.to_str().expect("utf-8");
    for (given, printed) in [
        ("1.33", "v1.33|v1.33"),
        ("1.33.0-gke.1", "v1.33.0|v1.33.0-gke.1"),
        ("v1.30.2+k3s1", "v1.30.2|v1.30.2+k3s1"),
    ] {
        let out = opm()
            .args(["render", "r", root, "--kube-version", given])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{given}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("a: \"{printed}\"")),
            "{given}: {stdout}"
        );
    }
}

/// `.Values` is Helm's own `common.Values` map type, in every file and however it is
/// passed on; the maps inside it (a subchart's values, seen from the parent) are plain
/// maps, so `dig` accepts them and refuses `.Values` itself. Expected lines are what the
/// real Helm 4.1 binary prints for this chart.
#[test]
fn values_is_common_values_and_its_maps_are_plain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
            ),
            ("values.yaml", "x: {y: 1}\n"),
            (
                "templates/t.yaml",
                concat!(
                    "a: {{ typeOf .Values }} {{ typeOf .Values.sub }} {{ typeOf .Values.x }} {{ include \"h\" . }} {{ include \"h2\" .Values }}\n",
                    "b: {{ dig \"foo\" 0 .Values.sub }} {{ dig \"y\" 0 .Values.x }}\n",
                    "c: {{ typeIs \"common.Values\" .Values }} {{ typeIs \"map[string]interface {}\" .Values.sub }} {{ kindIs \"map\" .Values }}\n",
                    "e: {{ tpl \"{{ typeOf .Values }}\" . }} {{ typeOf (dict \"v\" .Values).v }}\n",
                    "{{- define \"h\" }}{{ typeOf .Values }}{{ end }}\n",
                    "{{- define \"h2\" }}{{ typeOf . }}{{ end }}\n",
                ),
            ),
            ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            ("charts/sub/values.yaml", "foo: 1\n"),
            ("charts/sub/templates/s.yaml", "s: {{ typeOf .Values }}\n"),
        ],
    );
    let root = root.to_str().expect("utf-8");
    let out = opm().args(["render", "x", root]).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "s: common.Values\n",
        "a: common.Values map[string]interface {} map[string]interface {} common.Values common.Values\n",
        "b: 1 0\n",
        "c: true true true\n",
        "e: common.Values common.Values\n",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }

    // `dig` on the file's own `.Values` fails in a subchart too.
    std::fs::write(
        Path::new(root).join("charts/sub/templates/d.yaml"),
        "d: {{ dig \"foo\" 0 .Values }}\n",
    )
    .expect("write");
    let (code, stderr) = render_err(&["x", root]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error calling dig: interface conversion: interface {} is common.Values, not map[string]interface {}"),
        "{stderr}"
    );
}

/// Runs render and returns (exit code, stdout, stderr).
fn render_out(args: &[&str]) -> (i32, String, String) {
    let out = opm().arg("render").args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The release name: `--name-template` (Sprig only, no data), Helm's checks of the name
/// and of the flags, with Helm 4.1's messages.
#[test]
fn release_name_from_template_and_checked_like_helm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("templates/r.yaml", "r: {{ .Release.Name }}\n"),
        ],
    );
    let root = root.to_str().expect("utf-8");
    let (code, out, err) = render_out(&[root, "--name-template", "n-{{ \"AB\" | lower }}"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("r: n-ab\n"), "{out}");
    // `-g` without NAME: `helm template` still calls the release `release-name`.
    let (code, out, _) = render_out(&[root, "-g"]);
    assert_eq!(code, 0);
    assert!(out.contains("r: release-name\n"), "{out}");
    let regex_text = "invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53";
    for (args, message) in [
        (
            vec!["x", root, "-g"],
            "cannot set --generate-name and also specify a name".to_string(),
        ),
        (
            vec!["x", root, "--name-template", "y"],
            "cannot set --name-template and also specify a name".to_string(),
        ),
        (
            vec!["BAD_", root],
            format!("release name check failed: release name \"BAD_\": {regex_text}"),
        ),
        (
            vec![root, "--name-template", "{{ \"\" }}"],
            "release name check failed: release name \"\": no name provided".to_string(),
        ),
        (
            vec![&"a".repeat(54), root],
            format!(
                "release name check failed: release name \"{}\": {regex_text}",
                "a".repeat(54)
            ),
        ),
        (
            vec![root, "--name-template", "{{ toYaml 1 }}"],
            "template: name-template:1: function \"toYaml\" not defined".to_string(),
        ),
    ] {
        let (code, _, err) = render_out(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&message), "{args:?}: {err}");
    }
    for ok in ["a.b-c.d1", &"a".repeat(53)] {
        let (code, _, err) = render_out(&[ok, root]);
        assert_eq!(code, 0, "{ok}: {err}");
    }
}

/// `--output-dir` prints `wrote PATH` once per document and a blank line, as Helm does;
/// `--release-name` puts the templates (not the CRDs) under the release's directory.
#[test]
fn output_dir_lines_per_document_and_release_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
            ),
            (
                "crds/x.yaml",
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n",
            ),
        ],
    );
    let out_dir = dir.path().join("out");
    let out_str = out_dir.to_str().expect("utf-8");
    let (code, out, err) = render_out(&[
        "rel",
        root.to_str().expect("utf-8"),
        "--output-dir",
        out_str,
        "--release-name",
        "--include-crds",
    ]);
    assert_eq!(code, 0, "{err}");
    let sep = std::path::MAIN_SEPARATOR;
    assert_eq!(
        out,
        format!(
            "wrote {out_str}{sep}mychart/crds/x.yaml\nwrote {out_str}{sep}rel{sep}mychart/templates/cm.yaml\nwrote {out_str}{sep}rel{sep}mychart/templates/cm.yaml\n\n"
        )
    );
    let written =
        std::fs::read_to_string(out_dir.join("rel/mychart/templates/cm.yaml")).expect("written");
    assert_eq!(
        written
            .matches("# Source: mychart/templates/cm.yaml")
            .count(),
        2,
        "{written}"
    );
    assert!(out_dir.join("mychart/crds/x.yaml").is_file());
}

/// Rendered output that is not YAML: the error hints at --debug, and --debug prints every
/// rendered file before the error.
#[test]
fn debug_prints_the_rendered_files_when_the_output_is_not_yaml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("templates/bad.yaml", "a: b: c\n"),
            ("templates/good.yaml", "k: v\n"),
        ],
    );
    let root = root.to_str().expect("utf-8");
    let (code, out, err) = render_out(&[root]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("YAML parse error on mychart/templates/bad.yaml: error converting YAML to JSON: yaml: mapping values are not allowed in this context\n\nUse --debug flag to render out invalid YAML"),
        "{err}"
    );
    let (code, out, err) = render_out(&[root, "--debug"]);
    assert_eq!(code, 2);
    assert_eq!(
        out,
        "---\n# Source: mychart/templates/bad.yaml\na: b: c\n\n---\n# Source: mychart/templates/good.yaml\nk: v\n"
    );
    assert!(
        err.contains("YAML parse error on mychart/templates/bad.yaml"),
        "{err}"
    );
    assert!(!err.contains("Use --debug"), "{err}");
}

/// `--skip-schema-validation` renders values the schema refuses; `--enable-dns` lets
/// `getHostByName` resolve (an address literal resolves offline); the notes flags are
/// accepted.
#[test]
fn schema_skip_dns_and_notes_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = chart(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "replicas: 1\n"),
            (
                "values.schema.json",
                r#"{"type":"object","properties":{"replicas":{"type":"integer"}}}"#,
            ),
            (
                "templates/cm.yaml",
                "r: {{ .Values.replicas }}\nh: \"{{ getHostByName \"127.0.0.1\" }}\"\n",
            ),
            ("templates/NOTES.txt", "notes\n"),
        ],
    );
    let root = root.to_str().expect("utf-8");
    let (code, _, err) = render_out(&[root, "--set-string", "replicas=three"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = render_out(&[
        root,
        "--set-string",
        "replicas=three",
        "--skip-schema-validation",
        "--hide-notes",
        "--render-subchart-notes",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("r: three\nh: \"\"\n"), "{out}");
    assert!(!out.contains("notes"), "{out}");
    let (code, out, err) = render_out(&[root, "--enable-dns"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("h: \"127.0.0.1\"\n"), "{out}");
}
