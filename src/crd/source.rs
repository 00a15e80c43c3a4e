//! Where CRDs come from: a file, a directory of files, a chart (directory or `.tgz`,
//! rendered with its values; `crds/` files and templated CRDs both count), or a chart at a
//! git ref (`git:REF:path/to/chart`). Each side of a diff is one source.

use std::path::{Path, PathBuf};

use super::model::{parse_crds, Crd};
use super::CrdError;

/// Read the CRDs of a file or directory input.
pub fn load_path(path: &Path) -> Result<Vec<Crd>, CrdError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| CrdError::Io {
        path: shown.clone(),
        message: io_message(&e),
    })?;
    let mut crds = Vec::new();
    if meta.is_dir() {
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        for file in &files {
            let name = file
                .strip_prefix(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| file.display().to_string());
            let text = read(file)?;
            crds.extend(parse_crds(&text, &format!("{shown}/{name}"))?);
        }
        if crds.is_empty() {
            return Err(CrdError::NoCrds {
                source_name: shown,
                detail: format!(" in {} YAML file(s)", files.len()),
            });
        }
    } else {
        let text = read(path)?;
        crds = parse_crds(&text, &shown)?;
        if crds.is_empty() {
            return Err(CrdError::NoCrds {
                source_name: shown,
                detail: " (the file holds no document of kind CustomResourceDefinition)"
                    .to_string(),
            });
        }
    }
    check_unique(&crds, &shown)?;
    Ok(crds)
}

/// Refuse a side that defines the same CRD twice: which one would be compared?
pub fn check_unique(crds: &[Crd], source_name: &str) -> Result<(), CrdError> {
    for (i, c) in crds.iter().enumerate() {
        if crds.iter().skip(i + 1).any(|d| d.name == c.name) {
            return Err(CrdError::Duplicate {
                source_name: source_name.to_string(),
                crd: c.name.clone(),
            });
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, CrdError> {
    std::fs::read_to_string(path).map_err(|e| CrdError::Io {
        path: path.display().to_string(),
        message: io_message(&e),
    })
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::InvalidData => "not a UTF-8 text file".to_string(),
        _ => e.to_string(),
    }
}

/// YAML and JSON files under `dir`, sorted, skipping hidden entries.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CrdError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CrdError::Io {
        path: dir.display().to_string(),
        message: io_message(&e),
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
            out.push(p);
        }
    }
    Ok(())
}
