//! End-to-end tests of loading and preparing small charts written to temporary directories.
//! Expected results were checked with `helm template` (Helm 4) on the same charts.

use std::io::Write;
use std::path::Path;

use super::tests::to_json;
use super::*;

fn write(root: &Path, name: &str, content: &[u8]) {
    let path = root.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

fn chart_yaml(name: &str, extra: &str) -> String {
    format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n{extra}")
}

/// A gzipped tar with every file under `top/`.
fn tgz(top: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        // Raw name bytes, so tests can build the malicious paths the tar crate refuses.
        let path = format!("{top}/{name}");
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn sorts_files_like_helm() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Chart.yaml", chart_yaml("top", "").as_bytes());
    write(root, "values.yaml", b"a: 1\n---\nb: 2\n");
    write(root, "values.schema.json", b"{}");
    write(root, ".helmignore", b"# comment\n*.bak\nsecret/\n");
    write(root, "templates/deploy.yaml", b"kind: x");
    write(root, "templates/.hidden.yaml", b"ignored by default");
    write(root, "templates/old.bak", b"ignored");
    write(root, "secret/key", b"ignored dir");
    write(root, "crds/crd.yaml", b"kind: CustomResourceDefinition");
    write(root, "crds/notes.txt", b"not a manifest");
    write(root, "files/blob.bin", &[0xff, 0x00, 0xfe]);
    write(root, "README.md", b"\xEF\xBB\xBFhello");
    write(
        root,
        "charts/sub/Chart.yaml",
        chart_yaml("sub", "").as_bytes(),
    );
    write(root, "charts/sub/templates/a.yaml", b"a: 1");
    write(root, "charts/.keep", b"");
    let packed = tgz(
        "packed",
        &[
            ("Chart.yaml", chart_yaml("packed", "").as_bytes()),
            ("values.yaml", b"p: true"),
            ("templates/t.yaml", b"t: 1"),
        ],
    );
    write(root, "charts/packed-0.1.0.tgz", &packed);

    let chart = load(root).unwrap();
    assert_eq!(chart.name(), "top");
    let templates: Vec<&str> = chart.templates.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(templates, vec!["templates/deploy.yaml"]);
    let files: Vec<&str> = chart.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        files,
        vec![
            ".helmignore",
            "README.md",
            "crds/crd.yaml",
            "crds/notes.txt",
            "files/blob.bin"
        ]
    );
    // The UTF-8 BOM is dropped; binary files are kept as they are.
    assert_eq!(chart.file("README.md").unwrap().data.as_slice(), b"hello");
    assert_eq!(
        chart.file("files/blob.bin").unwrap().data.as_slice(),
        [0xff, 0x00, 0xfe]
    );
    let crds: Vec<&str> = chart.crds().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(crds, vec!["crds/crd.yaml"]);
    assert_eq!(to_json(&chart.values), r#"{"a":1,"b":2}"#);
    assert_eq!(chart.schema.as_deref(), Some(&b"{}"[..]));
    let deps: Vec<&str> = chart.dependencies.iter().map(|c| c.name()).collect();
    assert_eq!(deps, vec!["packed", "sub"]);
    assert_eq!(to_json(&chart.dependencies[0].values), r#"{"p":true}"#);
    assert_eq!(chart.dependencies[0].templates[0].name, "templates/t.yaml");
    assert!(!chart.is_library());
}

#[test]
fn archive_and_directory_load_alike() {
    let bytes = tgz(
        "mychart",
        &[
            (
                "Chart.yaml",
                chart_yaml("mychart", "type: library\n").as_bytes(),
            ),
            ("templates/_h.tpl", b"{{ define \"x\" }}{{ end }}"),
            ("charts/sub/Chart.yaml", chart_yaml("sub", "").as_bytes()),
            ("LICENSE", b"text"),
        ],
    );
    let chart = load_archive(&bytes, Path::new("mychart-0.1.0.tgz")).unwrap();
    assert!(chart.is_library());
    assert_eq!(chart.templates[0].name, "templates/_h.tpl");
    assert_eq!(chart.files[0].name, "LICENSE");
    assert_eq!(chart.dependencies[0].name(), "sub");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mychart-0.1.0.tgz");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(load(&path).unwrap().templates, chart.templates);
}

#[test]
fn unsafe_archives_are_refused() {
    let bytes = tgz("x", &[("../../etc/passwd", b"x")]);
    let err = load_archive(&bytes, Path::new("x.tgz")).unwrap_err();
    assert!(err.to_string().contains("parent directory"), "{err}");
    let err = load_archive(b"not gzip", Path::new("x.tgz")).unwrap_err();
    assert!(
        err.to_string().contains("not a valid chart archive"),
        "{err}"
    );
}

#[test]
fn load_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let err = load(&root.join("nope")).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("nope\" not found: path does not exist"),
        "{err}"
    );

    write(root, "values.yaml", b"a: 1");
    let err = load(root).unwrap_err();
    assert!(
        err.to_string().ends_with("Chart.yaml file is missing"),
        "{err}"
    );

    write(
        root,
        "Chart.yaml",
        b"apiVersion: v2\nname: x\nversion: [1\n",
    );
    let err = load(root).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot load Chart.yaml: Chart.yaml:"),
        "{err}"
    );

    write(root, "Chart.yaml", b"apiVersion: v2\nversion: 1.0.0\n");
    let err = load(root).unwrap_err().to_string();
    assert!(
        err.ends_with("validation: chart.metadata.name is required"),
        "{err}"
    );

    // A stray file directly in charts/ is taken for a chart (Helm does the same).
    write(root, "Chart.yaml", chart_yaml("top", "").as_bytes());
    write(root, "charts/README.md", b"hi");
    let err = load(root).unwrap_err().to_string();
    assert!(
        err.starts_with("error unpacking subchart README.md in top: ")
            && err.ends_with("Chart.yaml file is missing"),
        "{err}"
    );

    std::fs::remove_file(root.join("charts/README.md")).unwrap();
    write(root, ".helmignore", b"a/**/b\n");
    let err = load(root).unwrap_err().to_string();
    assert!(
        err.ends_with(":1: double-star (**) syntax is not supported"),
        "{err}"
    );
}

#[test]
fn v1_requirements_and_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Chart.yaml", b"name: top\nversion: 0.1.0\n");
    write(
        root,
        "requirements.yaml",
        b"dependencies:\n- name: sub\n  version: ~0.2.0\n  condition: sub.enabled\n",
    );
    write(
        root,
        "charts/sub/Chart.yaml",
        b"apiVersion: v1\nname: sub\nversion: 0.2.0\n",
    );
    let chart = load(root).unwrap();
    assert_eq!(chart.metadata.api_version, "v1");
    assert_eq!(chart.files[0].name, "requirements.yaml");

    let mut on = Value::empty_map();
    apply_set(&mut on, "sub.enabled=true", SetKind::Value).unwrap();
    let (c, v) = prepare(chart.clone(), on).unwrap();
    assert_eq!(c.dependencies.len(), 1);
    assert_eq!(to_json(&v), r#"{"sub":{"enabled":true,"global":{}}}"#);
    let chart_value = c.metadata.to_value();
    let deps = chart_value.get("Dependencies").unwrap();
    assert_eq!(
        to_json(&deps),
        r#"[{"Alias":"","Condition":"sub.enabled","Enabled":true,"ImportValues":[],"Name":"sub","Repository":"","Tags":[],"Version":"~0.2.0"}]"#
    );

    let mut off = Value::empty_map();
    apply_set(&mut off, "sub.enabled=false", SetKind::Value).unwrap();
    let (c, _) = prepare(chart, off).unwrap();
    assert!(c.dependencies.is_empty());
    assert_eq!(
        to_json(&c.metadata.to_value().get("Dependencies").unwrap()),
        "[]"
    );
}

#[test]
fn dependency_without_version_keeps_its_name_and_ignores_its_condition() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Chart.yaml",
        chart_yaml(
            "top",
            "dependencies:\n- name: sub\n  alias: renamed\n  condition: sub.on\n",
        )
        .as_bytes(),
    );
    write(
        root,
        "charts/sub/Chart.yaml",
        chart_yaml("sub", "").as_bytes(),
    );
    let mut vals = Value::empty_map();
    apply_set(&mut vals, "sub.on=false", SetKind::Value).unwrap();
    let (c, v) = prepare(load(root).unwrap(), vals).unwrap();
    assert_eq!(c.dependencies[0].name(), "sub");
    assert_eq!(to_json(&v), r#"{"sub":{"global":{},"on":false}}"#);
}

#[test]
fn values_options_apply_in_helm_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("v.yaml");
    std::fs::write(&f, "a: file\nb: file\nc: file\nlist: [1]\n").unwrap();
    let opts = ValuesOptions {
        value_files: vec![f],
        // Whatever the command-line order, --set-literal beats --set-string beats --set
        // beats --set-json beats -f.
        literal_values: vec!["a=literal".into()],
        string_values: vec!["a=string".into(), "b=string".into()],
        values: vec!["b=1".into(), "c=2".into()],
        json_values: vec![r#"c=[3]"#.into()],
        ..ValuesOptions::default()
    };
    assert_eq!(
        to_json(&opts.merge().unwrap()),
        r#"{"a":"literal","b":"string","c":2,"list":[1]}"#
    );
}

#[test]
fn values_options_errors_name_the_flag() {
    let opts = ValuesOptions {
        values: vec!["a".into()],
        ..ValuesOptions::default()
    };
    assert_eq!(
        opts.merge().unwrap_err().to_string(),
        "failed parsing --set data: key \"a\" has no value"
    );
}

#[test]
fn finds_ci_and_root_value_sets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in [
        "ci/b-values.yaml",
        "ci/a-values.yaml",
        "ci/other.yaml",
        "values-prod.yaml",
        "values.yaml",
    ] {
        write(root, name, b"{}");
    }
    let found: Vec<String> = find_values_matrix(root)
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(
        found,
        vec!["ci/a-values.yaml", "ci/b-values.yaml", "values-prod.yaml"]
    );
}

/// Every chart of the parity corpus loads and prepares with its default values and with each
/// of its ci/ value files (set OPM_CORPUS to the corpus directory).
#[test]
fn corpus_charts_load_and_prepare() {
    let Some(corpus) = std::env::var_os("OPM_CORPUS") else {
        return;
    };
    let charts = Path::new(&corpus).join("charts");
    let mut seen = 0;
    for entry in std::fs::read_dir(&charts).unwrap() {
        let dir = entry.unwrap().path();
        let chart = load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        prepare(chart.clone(), Value::empty_map())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for file in find_values_matrix(&dir) {
            let vals = load_values_file(&file).unwrap();
            prepare(chart.clone(), vals).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
        seen += 1;
    }
    assert!(seen > 0, "no charts in {}", charts.display());
}

#[test]
fn large_files_are_read_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Chart.yaml", chart_yaml("big", "").as_bytes());
    let mut big = b"\xEF\xBB\xBF".to_vec();
    big.extend(std::iter::repeat_n(b'x', 100_000));
    write(root, "crds/big.yaml", &big);
    write(root, "files/small.txt", b"small");
    let mut template = b"{{/* a large template */}}".to_vec();
    template.extend(std::iter::repeat_n(b' ', 100_000));
    write(root, "templates/big.yaml", &template);
    let chart = load(root).unwrap();

    let crd = chart.file("crds/big.yaml").unwrap();
    assert!(crd.data.is_deferred_and_unread());
    assert!(!chart
        .file("files/small.txt")
        .unwrap()
        .data
        .is_deferred_and_unread());
    assert!(!chart.templates[0].data.is_deferred_and_unread());
    // Removing the file after loading does not matter: it was opened at load time.
    std::fs::remove_file(root.join("crds/big.yaml")).unwrap();
    assert_eq!(crd.data.len(), 100_000, "BOM dropped");
    assert!(crd.data.iter().all(|&b| b == b'x'));
    assert!(!crd.data.is_deferred_and_unread());
}

#[test]
fn load_observed_shows_each_template_file_with_the_bytes_the_chart_holds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Chart.yaml", chart_yaml("top", "").as_bytes());
    write(root, ".helmignore", b"*.bak\n");
    write(root, "templates/a.yaml", b"\xEF\xBB\xBFa: 1");
    write(root, "templates/_h.tpl", b"{{ define \"h\" }}{{ end }}");
    write(root, "templates/old.bak", b"ignored");
    write(root, "templates/.hidden", b"ignored by default");
    write(root, "files/templates/x.yaml", b"a file, not a template");
    write(
        root,
        "charts/sub/Chart.yaml",
        chart_yaml("sub", "").as_bytes(),
    );
    write(root, "charts/sub/templates/s.yaml", b"s: 1");
    write(
        root,
        "charts/sub/charts/deep/Chart.yaml",
        chart_yaml("deep", "").as_bytes(),
    );
    write(root, "charts/sub/charts/deep/templates/d.yaml", b"d: 1");
    write(
        root,
        "charts/sub/files/templates/no.yaml",
        b"not a template",
    );
    let mut shown: Vec<(String, usize)> = Vec::new();
    let chart = load_observed(root, &mut |name, data| {
        shown.push((name.to_string(), data.as_ptr() as usize));
    })
    .unwrap();
    let names: Vec<&str> = shown.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "charts/sub/charts/deep/templates/d.yaml",
            "charts/sub/templates/s.yaml",
            "templates/_h.tpl",
            "templates/a.yaml",
        ]
    );
    // The very bytes the loaded chart holds (a BOM already stripped).
    let mut held = Vec::new();
    fn collect(chart: &Chart, held: &mut Vec<usize>) {
        for dep in &chart.dependencies {
            collect(dep, held);
        }
        held.extend(chart.templates.iter().map(|t| t.data.as_ptr() as usize));
    }
    collect(&chart, &mut held);
    let mut seen: Vec<usize> = shown.iter().map(|(_, p)| *p).collect();
    seen.sort_unstable();
    held.sort_unstable();
    assert_eq!(seen, held);
    assert_eq!(&*chart.templates[1].data, b"a: 1");
}

#[test]
fn load_observed_shows_nothing_of_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("top-0.1.0.tgz");
    let chart_yaml = chart_yaml("top", "");
    std::fs::write(
        &path,
        tgz(
            "top",
            &[
                ("Chart.yaml", chart_yaml.as_bytes()),
                ("templates/a.yaml", b"a: 1"),
            ],
        ),
    )
    .unwrap();
    let mut shown = 0;
    let chart = load_observed(&path, &mut |_, _| shown += 1).unwrap();
    assert_eq!(shown, 0);
    assert_eq!(chart.templates.len(), 1);
}
