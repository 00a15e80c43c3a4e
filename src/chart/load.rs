//! Loading a chart from a directory or a `.tgz` archive, as Helm's `loader` package does.
//!
//! Both sources become a flat list of files (names relative to the chart root, `/`
//! separated, UTF-8 BOM removed), which [`load_files`] sorts into the [`Chart`]: Chart.yaml,
//! values.yaml, values.schema.json, requirements.*, Chart.lock, `templates/…`, subcharts
//! from `charts/…` (directories and `.tgz`, recursively), and everything else into `files`
//! (including `crds/`, README, LICENSE, `.helmignore` itself and `charts/*.prov`).
//! `.helmignore` applies to directories only, as in Helm (archives were filtered when packed).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::template::value::Value;

use super::error::ChartError;
use super::ignore::IgnoreRules;
use super::metadata::Metadata;
use super::{parse_yaml, Chart, ChartFile, FileData};

/// Helm refuses single files larger than this (5 MiB) …
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// … and archives that decompress to more than this (100 MiB).
pub const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

pub(super) fn strip_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(UTF8_BOM) {
        data.drain(..UTF8_BOM.len());
    }
    data
}

/// Load a chart from a directory or a `.tgz`/`.tar.gz` archive.
pub fn load(path: &Path) -> Result<Chart, ChartError> {
    load_observed(path, &mut |_, _| {})
}

/// Called with each template file of a chart directory (its path relative to the chart,
/// its bytes) as soon as it is read: a file under `templates/` of the chart or of a
/// subchart directory in `charts/`. The bytes are the ones the loaded chart will hold.
pub type TemplateObserver<'a> = &'a mut dyn FnMut(&str, &FileData);

/// [`load`], showing `observer` every template file of a chart directory as it is read
/// (archives are unpacked whole first: their files are not shown).
pub fn load_observed(path: &Path, observer: TemplateObserver<'_>) -> Result<Chart, ChartError> {
    let meta = std::fs::metadata(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ChartError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            ChartError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    if meta.is_dir() {
        return load_dir(path, observer);
    }
    let bytes = std::fs::read(path).map_err(|source| ChartError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        let name = path.display().to_string();
        let message = if name.ends_with(".yaml") || name.ends_with(".yml") {
            "seems to be a YAML file, but expected a chart directory or gzipped archive"
        } else {
            "is neither a chart directory nor a gzipped chart archive"
        };
        return Err(ChartError::Archive {
            path: path.to_path_buf(),
            message: message.to_string(),
        });
    }
    load_archive(&bytes, path)
}

/// Load a chart from the bytes of a `.tgz` archive; `origin` is used in messages and as
/// [`Chart::path`].
pub fn load_archive(bytes: &[u8], origin: &Path) -> Result<Chart, ChartError> {
    let files = archive_files(bytes, origin)?;
    load_files(files, origin)
}

fn archive_err(origin: &Path, message: impl Into<String>) -> ChartError {
    ChartError::Archive {
        path: origin.to_path_buf(),
        message: message.into(),
    }
}

/// Lexically clean a `/` path like Go's `path.Clean`.
fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// The files of a gzipped tar, with Helm's safety checks; the top-level directory is dropped.
fn archive_files(bytes: &[u8], origin: &Path) -> Result<Vec<ChartFile>, ChartError> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| archive_err(origin, format!("not a valid chart archive: {e}")))?;
    let mut files = Vec::new();
    let mut remaining = MAX_CHART_SIZE;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| archive_err(origin, format!("not a valid chart archive: {e}")))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind == tar::EntryType::XGlobalHeader || kind == tar::EntryType::XHeader
        {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        // Archives made on Windows may use backslashes.
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delimiter).collect();
        let first = parts.first().copied().unwrap_or("");
        let name = parts.get(1..).unwrap_or(&[]).join("/");
        if name.starts_with('/') {
            return Err(archive_err(
                origin,
                "chart illegally contains absolute paths",
            ));
        }
        let name = clean_path(&name);
        if name == "." {
            return Err(archive_err(
                origin,
                format!("chart illegally contains content outside the base directory: {raw:?}"),
            ));
        }
        if name.starts_with("..") {
            return Err(archive_err(
                origin,
                "chart illegally references parent directory",
            ));
        }
        let b = name.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
            return Err(archive_err(origin, "chart contains illegally named files"));
        }
        if first == "Chart.yaml" {
            return Err(archive_err(origin, "chart yaml not in base directory"));
        }
        let size = entry.header().size().unwrap_or(0);
        if size > remaining {
            return Err(archive_err(
                origin,
                format!("decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"),
            ));
        }
        if size > MAX_FILE_SIZE {
            return Err(archive_err(
                origin,
                format!(
                    "decompressed chart file {raw:?} is larger than the maximum file size {MAX_FILE_SIZE}"
                ),
            ));
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut entry)
            .take(remaining)
            .read_to_end(&mut data)
            .map_err(|e| archive_err(origin, format!("cannot read {raw}: {e}")))?;
        remaining = remaining.saturating_sub(data.len() as u64);
        if (data.len() as u64) < size || remaining == 0 {
            return Err(archive_err(
                origin,
                format!("decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"),
            ));
        }
        files.push(ChartFile {
            name,
            data: FileData::new(strip_bom(data)),
        });
    }
    if files.is_empty() {
        return Err(archive_err(origin, "no files in chart archive"));
    }
    Ok(files)
}

/// Load a chart directory, honouring `.helmignore` (plus Helm's default `templates/.?*`).
fn load_dir(dir: &Path, observer: TemplateObserver<'_>) -> Result<Chart, ChartError> {
    let ignore_path = dir.join(".helmignore");
    let mut rules = match std::fs::read(&ignore_path) {
        Ok(bytes) => IgnoreRules::parse(&String::from_utf8_lossy(&bytes)).map_err(|e| {
            ChartError::Ignore {
                file: ignore_path.display().to_string(),
                line: e.line,
                message: e.message,
            }
        })?,
        Err(_) => IgnoreRules::default(),
    };
    rules.add_defaults();
    let mut files = Vec::new();
    let mut deferred = 0;
    walk(dir, "", &rules, &mut files, &mut deferred, observer)?;
    load_files(files, dir)
}

/// Whether a file's bytes may be read later (see [`FileData`]): large, and not one that
/// loading itself parses (templates, values, metadata, subchart archives).
fn may_defer(rel_name: &str, size: u64, deferred: usize) -> bool {
    if size <= super::file_data::DEFER_ABOVE || deferred >= super::file_data::MAX_DEFERRED {
        return false;
    }
    let base = rel_name.rsplit('/').next().unwrap_or(rel_name);
    let parsed_at_load = matches!(
        base,
        "Chart.yaml"
            | "values.yaml"
            | "values.schema.json"
            | "Chart.lock"
            | "requirements.yaml"
            | "requirements.lock"
    ) || rel_name.contains("templates/")
        || base.ends_with(".tgz");
    !parsed_at_load
}

/// Depth-first walk in lexical order (like Go's `filepath.Walk`), following symlinks.
fn walk(
    dir: &Path,
    rel: &str,
    rules: &IgnoreRules,
    files: &mut Vec<ChartFile>,
    deferred: &mut usize,
    observer: TemplateObserver<'_>,
) -> Result<(), ChartError> {
    let io_err = |path: &Path, source| ChartError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut entries: Vec<(String, PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(|e| io_err(dir, e))?
        .map(|entry| {
            let entry = entry?;
            // The type comes with the directory listing on most file systems (no stat).
            let file_type = entry.file_type()?;
            Ok((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
                file_type,
            ))
        })
        .collect::<Result<_, std::io::Error>>()
        .map_err(|e| io_err(dir, e))?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, path, file_type) in entries {
        let rel_name = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        // Symbolic links are followed, as Helm's walker does.
        let file_type = if file_type.is_symlink() {
            std::fs::metadata(&path)
                .map_err(|e| io_err(&path, e))?
                .file_type()
        } else {
            file_type
        };
        if file_type.is_dir() {
            if rules.ignore(&rel_name, true) {
                continue;
            }
            walk(&path, &rel_name, rules, files, deferred, &mut *observer)?;
            continue;
        }
        if rules.ignore(&rel_name, false) {
            continue;
        }
        if !file_type.is_file() {
            return Err(ChartError::Archive {
                path,
                message: "cannot load irregular file as it has file mode type bits set".to_string(),
            });
        }
        // Opened first, then sized through the open file: one path lookup per file.
        let mut file = std::fs::File::open(&path).map_err(|e| io_err(&path, e))?;
        let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
        if len > MAX_FILE_SIZE {
            return Err(ChartError::Archive {
                path,
                message: format!("chart file is larger than the maximum file size {MAX_FILE_SIZE}"),
            });
        }
        let data = if may_defer(&rel_name, len, *deferred) {
            // Open now, so that an unreadable file fails here as it does in Helm.
            *deferred += 1;
            FileData::deferred(path, file)
        } else {
            let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            // `File::read_to_end` asks the size again (statx and lseek) and reads once more
            // to see the end; limited to the size we have, one read does (sizes the file
            // system does not know, reported as 0, are read to the end).
            if len == 0 {
                std::io::Read::read_to_end(&mut file, &mut data)
            } else {
                std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, len), &mut data)
            }
            .map_err(|e| io_err(&path, e))?;
            FileData::new(strip_bom(data))
        };
        if is_template_path(&rel_name) {
            observer(&rel_name, &data);
        }
        files.push(ChartFile {
            name: rel_name,
            data,
        });
    }
    Ok(())
}

/// Whether `load_files` makes the file at `rel_name` a template of the chart or of one of
/// its subchart directories: `templates/…` below any number of `charts/NAME/`.
fn is_template_path(rel_name: &str) -> bool {
    let mut rest = rel_name;
    loop {
        if rest.starts_with("templates/") {
            return true;
        }
        match rest
            .strip_prefix("charts/")
            .and_then(|sub| sub.split_once('/'))
        {
            Some((_, inner)) => rest = inner,
            None => return false,
        }
    }
}

fn file_err(name: &str, message: String) -> ChartError {
    ChartError::File {
        file: name.to_string(),
        message,
    }
}

/// A file under `charts/<name>`: its path inside the subchart (`None` for a file lying
/// directly in `charts/`, like a `.tgz`) and its bytes.
type SubchartFile = (Option<String>, FileData);

/// Sort loaded files into a chart (Helm's `LoadFiles`).
pub fn load_files(files: Vec<ChartFile>, origin: &Path) -> Result<Chart, ChartError> {
    let mut metadata: Option<Metadata> = None;
    // Chart.yaml first, wherever it is in the list.
    for f in &files {
        if f.name == "Chart.yaml" {
            let doc =
                parse_yaml(&f.data.text(), "Chart.yaml").map_err(|m| file_err("Chart.yaml", m))?;
            let mut md = metadata.take().unwrap_or_default();
            md.apply_yaml(&doc)
                .map_err(|e| file_err("Chart.yaml", e.0))?;
            // Helm 2 charts may lack apiVersion; Helm treats them as v1.
            if md.api_version.is_empty() {
                md.api_version = "v1".to_string();
            }
            metadata = Some(md);
        }
    }
    let mut chart = Chart {
        metadata: Metadata::default(),
        templates: Vec::new(),
        files: Vec::new(),
        values: Value::empty_map(),
        schema: None,
        dependencies: Vec::new(),
        path: origin.to_path_buf(),
    };
    // Subchart name → its files; `None` name for a file lying directly in charts/.
    let mut subcharts: BTreeMap<String, Vec<SubchartFile>> = BTreeMap::new();
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" => continue,
            "Chart.lock" => {
                parse_yaml(&f.data.text(), "Chart.lock").map_err(|m| file_err("Chart.lock", m))?;
            }
            "values.yaml" => {
                chart.values = super::values::parse_values_documents(&f.data.text(), "values.yaml")
                    .map_err(|m| file_err("values.yaml", m))?;
            }
            "values.schema.json" => chart.schema = Some(f.data.to_vec()),
            "requirements.yaml" => {
                // Deprecated v1 location of dependencies; Helm merges it into the metadata.
                let doc = parse_yaml(&f.data.text(), "requirements.yaml")
                    .map_err(|m| file_err("requirements.yaml", m))?;
                let md = metadata.get_or_insert_with(Metadata::default);
                md.apply_yaml(&doc)
                    .map_err(|e| file_err("requirements.yaml", e.0))?;
                if md.api_version == "v1" {
                    chart.files.push(f);
                }
            }
            "requirements.lock" => {
                parse_yaml(&f.data.text(), "requirements.lock")
                    .map_err(|m| file_err("requirements.lock", m))?;
                let md = metadata.get_or_insert_with(Metadata::default);
                if md.api_version == "v1" {
                    chart.files.push(f);
                }
            }
            name if name.starts_with("templates/") => chart.templates.push(f),
            name if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(f);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let (sub, inner) = match rest.split_once('/') {
                    Some((sub, inner)) => (sub.to_string(), Some(inner.to_string())),
                    None => (rest.to_string(), None),
                };
                subcharts.entry(sub).or_default().push((inner, f.data));
            }
            _ => chart.files.push(f),
        }
    }
    let Some(mut metadata) = metadata else {
        return Err(ChartError::MissingChartYaml {
            path: origin.to_path_buf(),
        });
    };
    metadata
        .validate()
        .map_err(|message| ChartError::Validation {
            path: origin.join("Chart.yaml"),
            message,
        })?;
    chart.metadata = metadata;

    for (name, files) in subcharts {
        // Helm skips entries starting with `_` or `.` (e.g. `charts/.keep`).
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let sub_origin = origin.join("charts").join(&name);
        let wrap = |source: ChartError| ChartError::Subchart {
            name: name.clone(),
            parent: chart.metadata.name.clone(),
            source: Box::new(source),
        };
        let sub = if name.ends_with(".tgz") {
            let Some((inner, data)) = files.into_iter().next() else {
                continue;
            };
            if let Some(inner) = inner {
                return Err(wrap(archive_err(
                    &sub_origin,
                    format!("error unpacking subchart tar: expected {name}, got {name}/{inner}"),
                )));
            }
            load_archive(&data, &sub_origin).map_err(wrap)?
        } else {
            // A plain file directly under charts/ (not a .tgz) becomes an empty "chart",
            // which fails with "Chart.yaml file is missing", as in Helm.
            let inner: Vec<ChartFile> = files
                .into_iter()
                .filter_map(|(inner, data)| inner.map(|name| ChartFile { name, data }))
                .collect();
            load_files(inner, &sub_origin).map_err(wrap)?
        };
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go_path_clean() {
        assert_eq!(clean_path("a/./b/../c"), "a/c");
        assert_eq!(clean_path(""), ".");
        assert_eq!(clean_path("../x"), "../x");
        assert_eq!(clean_path("a/../../x"), "../x");
    }
}
