//! The values table inside a README, between two marker lines, so the rest of the README
//! stays hand-written: `--check` compares it, `--write` replaces it.

use std::path::Path;

use super::ValuesDocError;

/// Line that opens the generated table in a README.
pub const MARKER_START: &str = "<!-- kubectl-opm:values-doc:start -->";
/// Line that closes the generated table in a README.
pub const MARKER_END: &str = "<!-- kubectl-opm:values-doc:end -->";

/// The outcome of comparing a README's table with the generated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadmeCheck {
    Current,
    /// The table differs; `diff` is a short unified diff (README → generated).
    Stale {
        diff: String,
    },
}

/// Byte ranges of the text between the markers (after the start line, before the end line).
fn table_range(readme: &str, path: &Path) -> Result<(usize, usize), ValuesDocError> {
    let mut start = None;
    let mut end = None;
    let mut offset = 0usize;
    for (index, line) in readme.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        let line_no = index + 1;
        if trimmed == MARKER_START {
            if start.is_some() || end.is_some() {
                return Err(ValuesDocError::BadMarkers {
                    path: path.to_path_buf(),
                    line: line_no,
                });
            }
            start = Some(offset + line.len());
        } else if trimmed == MARKER_END {
            if start.is_none() || end.is_some() {
                return Err(ValuesDocError::BadMarkers {
                    path: path.to_path_buf(),
                    line: line_no,
                });
            }
            end = Some(offset);
        }
        offset += line.len();
    }
    match (start, end) {
        (Some(s), Some(e)) => Ok((s, e)),
        (None, None) => Err(ValuesDocError::NoMarkers {
            path: path.to_path_buf(),
        }),
        _ => Err(ValuesDocError::BadMarkers {
            path: path.to_path_buf(),
            line: readme.lines().count(),
        }),
    }
}

/// Compare the table between the markers of `readme` (the text of the file at `path`) with
/// `table`. Blank lines around the table inside the markers do not count.
pub fn check_readme(readme: &str, path: &Path, table: &str) -> Result<ReadmeCheck, ValuesDocError> {
    let (start, end) = table_range(readme, path)?;
    let current = readme.get(start..end).unwrap_or("");
    if current.trim() == table.trim() {
        return Ok(ReadmeCheck::Current);
    }
    let old = format!("{}\n", current.trim_matches('\n'));
    let new = format!("{}\n", table.trim_matches('\n'));
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(1)
        .header(&path.display().to_string(), "generated")
        .to_string();
    let mut short: Vec<&str> = diff.lines().take(40).collect();
    let more = diff.lines().count().saturating_sub(short.len());
    let tail = format!("... ({more} more diff lines)");
    if more > 0 {
        short.push(&tail);
    }
    Ok(ReadmeCheck::Stale {
        diff: short.join("\n") + "\n",
    })
}

/// `readme` with the text between its markers replaced by `table`.
pub fn update_readme(readme: &str, path: &Path, table: &str) -> Result<String, ValuesDocError> {
    let (start, end) = table_range(readme, path)?;
    let mut out = String::with_capacity(readme.len() + table.len());
    out.push_str(readme.get(..start).unwrap_or(""));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(table.trim_matches('\n'));
    out.push_str("\n\n");
    out.push_str(readme.get(end..).unwrap_or(""));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "| Key |\n|-----|\n| a |\n";

    #[test]
    fn update_then_check_is_current() {
        let readme = format!("# Chart\n{MARKER_START}\nold\n{MARKER_END}\nfooter\n");
        let path = Path::new("README.md");
        let updated = update_readme(&readme, path, TABLE).unwrap();
        assert_eq!(
            updated,
            format!("# Chart\n{MARKER_START}\n\n| Key |\n|-----|\n| a |\n\n{MARKER_END}\nfooter\n")
        );
        assert_eq!(
            check_readme(&updated, path, TABLE).unwrap(),
            ReadmeCheck::Current
        );
        let ReadmeCheck::Stale { diff } = check_readme(&readme, path, TABLE).unwrap() else {
            panic!("stale expected");
        };
        assert!(diff.contains("-old\n"), "{diff}");
        assert!(diff.contains("+| a |\n"), "{diff}");
    }

    #[test]
    fn missing_or_misordered_markers_are_errors() {
        let path = Path::new("README.md");
        let err = check_readme("# nothing\n", path, TABLE).unwrap_err();
        assert!(matches!(err, ValuesDocError::NoMarkers { .. }));
        let err =
            check_readme(&format!("{MARKER_END}\n{MARKER_START}\n"), path, TABLE).unwrap_err();
        assert!(
            matches!(err, ValuesDocError::BadMarkers { line: 1, .. }),
            "{err}"
        );
    }
}
