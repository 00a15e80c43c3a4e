//! `.helmignore` rules, evaluated exactly as Helm's `pkg/ignore` does.
//!
//! Helm's rules look like `.gitignore` but are not: patterns are Go `filepath.Match` globs
//! (no `**`, which is an error), a pattern without `/` is matched against the base name only,
//! a leading `/` anchors to the chart root, a trailing `/` matches directories only, and the
//! first matching rule decides. Negation is Helm's own: a `!pattern` rule *ignores every path
//! it does not match* and lets the paths it matches go on to the next rules (so `!keep.txt`
//! alone ignores everything else, and can never rescue a file from an earlier rule). After the file's rules Helm always adds `templates/.?*` (dot
//! files in `templates/`).

/// Parsed ignore rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    shape: Shape,
    /// Bytes of `glob` before its first `*`, `?`, `[` or `\`: every path a general
    /// pattern matches starts with them.
    literal_prefix: usize,
    negate: bool,
    must_dir: bool,
    kind: MatchKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum MatchKind {
    /// Leading `/`: the whole relative path must match.
    Rooted,
    /// Pattern contains `/`: the whole relative path must match.
    Structural,
    /// No `/`: only the base name is matched.
    BaseName,
}

/// A rule that cannot be parsed; `line` is 1-based.
#[derive(Debug, Clone, PartialEq)]
pub struct IgnoreError {
    pub line: usize,
    pub message: String,
}

impl IgnoreRules {
    /// Parse `.helmignore` text (a UTF-8 BOM is ignored, as Helm does).
    pub fn parse(text: &str) -> Result<IgnoreRules, IgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rules = IgnoreRules::default();
        for (i, line) in text.lines().enumerate() {
            rules.add_rule(line).map_err(|message| IgnoreError {
                line: i + 1,
                message,
            })?;
        }
        Ok(rules)
    }

    /// Add Helm's default rule: dot files inside `templates/`.
    pub fn add_defaults(&mut self) {
        // The pattern is known to be valid.
        let _ = self.add_rule("templates/.?*");
    }

    fn add_rule(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".to_string());
        }
        // Helm compiles the raw rule (with any `!` and `/`) once to reject bad patterns.
        glob_match(rule, "abc").map_err(|_| format!("syntax error in pattern {rule:?}"))?;
        let mut glob = rule;
        let negate = glob.starts_with('!');
        if negate {
            glob = &glob[1..];
        }
        let must_dir = glob.ends_with('/');
        if must_dir {
            glob = &glob[..glob.len() - 1];
        }
        let kind = if let Some(rest) = glob.strip_prefix('/') {
            glob = rest;
            MatchKind::Rooted
        } else if glob.contains('/') {
            MatchKind::Structural
        } else {
            MatchKind::BaseName
        };
        self.patterns.push(Pattern {
            shape: Shape::of(glob),
            literal_prefix: glob.find(['*', '?', '[', '\\']).unwrap_or(glob.len()),
            glob: glob.to_string(),
            negate,
            must_dir,
            kind,
        });
        Ok(())
    }

    /// Whether `path` (relative to the chart root, `/`-separated) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            if p.negate {
                // Helm's negation: a directory-only negated rule ignores every file, and a
                // path the negated pattern does not match is ignored outright.
                if p.must_dir && !is_dir {
                    return true;
                }
                if !p.matches(path) {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if p.matches(path) {
                return true;
            }
        }
        false
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        let subject = match self.kind {
            MatchKind::Rooted | MatchKind::Structural => path,
            MatchKind::BaseName => base_name(path),
        };
        match self.shape {
            Shape::Literal => subject == self.glob,
            Shape::StarSuffix => {
                let suffix = &self.glob[1..];
                subject.len() >= suffix.len()
                    && subject.ends_with(suffix)
                    && !subject[..subject.len() - suffix.len()].contains('/')
            }
            // A malformed pattern matches nothing, so the prefix test may come first.
            Shape::General => {
                subject.starts_with(&self.glob[..self.literal_prefix])
                    && glob_match(&self.glob, subject).unwrap_or(false)
            }
        }
    }
}

/// Most `.helmignore` rules are plain names (`.git`) or `*` and a suffix (`*.tmp`); they
/// are matched without the general matcher (thousands of calls on big charts).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// No `*`, `?`, `[` or `\`: `filepath.Match` is string equality.
    Literal,
    /// `*` then a literal: the name ends with the literal and has no `/` before it.
    StarSuffix,
    General,
}

impl Shape {
    fn of(glob: &str) -> Shape {
        let is_meta = |c: char| matches!(c, '*' | '?' | '[' | '\\');
        if !glob.contains(is_meta) {
            Shape::Literal
        } else if glob.starts_with('*') && !glob[1..].contains(is_meta) {
            Shape::StarSuffix
        } else {
            Shape::General
        }
    }
}

/// Go's `filepath.Base` for `/` paths: trailing slashes dropped, last element, "." if empty.
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// The pattern is malformed (Go's `filepath.ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadPattern;

/// Go's `filepath.Match` on Unix: `*` (no `/`), `?`, `[...]` classes with `^` negation and
/// ranges, `\` escapes. Malformed patterns are an error even when the name does not match.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let pat: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let mut pattern = &pat[..];
    let mut name = &name[..];
    'outer: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the name unless it has a separator.
            return Ok(!name.contains(&'/'));
        }
        let (t, ok, err) = match_chunk(chunk, name);
        // A chunk that matches must consume the whole name if it is the last one.
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if let Some(e) = err {
            return Err(e);
        }
        if star {
            // Look for a match skipping i+1 characters (never a separator).
            let mut i = 0;
            while i < name.len() && name[i] != '/' {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'outer;
                }
                if let Some(e) = err {
                    return Err(e);
                }
                i += 1;
            }
        }
        // Before failing, check the rest of the pattern is well formed (Go does too).
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            if let (_, _, Some(e)) = match_chunk(chunk, &[]) {
                return Err(e);
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Split off leading stars and the chunk up to the next star outside a class.
fn scan_chunk(pattern: &[char]) -> (bool, &[char], &[char]) {
    let mut pattern = pattern;
    let mut star = false;
    while pattern.first() == Some(&'*') {
        pattern = &pattern[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            '\\' if i + 1 < pattern.len() => i += 1,
            '[' => in_range = true,
            ']' => in_range = false,
            '*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Match one star-free chunk at the start of `s`: (rest, matched, error).
fn match_chunk<'a>(chunk: &[char], s: &'a [char]) -> (&'a [char], bool, Option<BadPattern>) {
    let mut chunk = chunk;
    let mut s = s;
    // Once failed, keep scanning the chunk only to detect malformed patterns.
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            '[' => {
                let mut r = '\0';
                if !failed {
                    r = s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let lo = match get_esc(chunk) {
                        Ok((lo, rest)) => {
                            chunk = rest;
                            lo
                        }
                        Err(e) => return (&[], false, Some(e)),
                    };
                    let mut hi = lo;
                    if chunk.first() == Some(&'-') {
                        match get_esc(&chunk[1..]) {
                            Ok((h, rest)) => {
                                chunk = rest;
                                hi = h;
                            }
                            Err(e) => return (&[], false, Some(e)),
                        }
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut lit = c;
                if c == '\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(&next) => lit = next,
                        None => return (&[], false, Some(BadPattern)),
                    }
                }
                if !failed {
                    if lit != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        return (&[], false, None);
    }
    (s, true, None)
}

/// One (possibly escaped) character of a class; a class must not end right after it.
fn get_esc(chunk: &[char]) -> Result<(char, &[char]), BadPattern> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some('-') | Some(']') => return Err(BadPattern),
        Some('\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        Some(_) => {}
    }
    let r = chunk[0];
    let rest = &chunk[1..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(rules: &str, path: &str, is_dir: bool) -> bool {
        IgnoreRules::parse(rules).unwrap().ignore(path, is_dir)
    }

    #[test]
    fn the_prefix_shortcut_agrees_with_the_full_matcher() {
        let globs = [
            "kube-prometheus-*.tgz",
            "templates/.?*",
            "a[bc]*d",
            "ab\\*c",
            "x?y/*",
            "[z-a]bad",
            "*mid*",
        ];
        let paths = [
            "kube-prometheus-1.0.tgz",
            "kube-prometheus.tgz",
            "templates/.hidden",
            "templates/x.yaml",
            "abd",
            "acxd",
            "ab*c",
            "abxc",
            "xzy/f",
            "xy/f",
            "bad",
            "zbad",
            "pre",
            "premid",
            "",
        ];
        for glob in globs {
            let rules = IgnoreRules::parse(glob).unwrap();
            let pattern = &rules.patterns[0];
            for path in paths {
                assert_eq!(
                    pattern.matches(path),
                    glob_match(glob, path).unwrap_or(false),
                    "{glob} on {path:?}"
                );
            }
        }
    }

    #[test]
    fn go_filepath_match() {
        assert_eq!(glob_match("*.txt", "a.txt"), Ok(true));
        assert_eq!(glob_match("*.txt", "dir/a.txt"), Ok(false));
        assert_eq!(glob_match("*", "a/b"), Ok(false));
        assert_eq!(glob_match("a*/b", "abc/b"), Ok(true));
        assert_eq!(glob_match("ru[c-e]?er.txt", "rudder.txt"), Ok(true));
        assert_eq!(glob_match("[^a]bc", "abc"), Ok(false));
        assert_eq!(glob_match("[^a]bc", "xbc"), Ok(true));
        assert_eq!(glob_match("a\\*b", "a*b"), Ok(true));
        assert_eq!(glob_match("a?b", "a/b"), Ok(false));
        assert_eq!(glob_match("[z-", "abc"), Err(BadPattern));
        assert_eq!(glob_match("x[", "abc"), Err(BadPattern));
        assert_eq!(glob_match("a*", "abc"), Ok(true));
        assert_eq!(glob_match("*c", "abc"), Ok(true));
        assert_eq!(glob_match("a*c*e", "abcde"), Ok(true));
    }

    /// The table of Helm's own `pkg/ignore` tests.
    #[test]
    fn helm_ignore_table() {
        let cases: &[(&str, &str, bool, bool)] = &[
            ("helm.txt", "helm.txt", false, true),
            ("helm.*", "helm.txt", false, true),
            ("helm.*", "rudder.txt", false, false),
            ("*.txt", "tiller.txt", false, true),
            ("*.txt", "cargo/a.txt", false, true),
            ("cargo/*.txt", "cargo/a.txt", false, true),
            ("cargo/*.*", "cargo/a.txt", false, true),
            ("cargo/*.txt", "mast/a.txt", false, false),
            ("ru[c-e]?er.txt", "rudder.txt", false, true),
            ("templates/.?*", "templates/.dotfile", false, true),
            (".*", ".", true, false),
            (".*", "./", true, false),
            (".*", ".joonix", false, true),
            (".*", "helm.txt", false, false),
            (".*", "", false, false),
            ("cargo/", "cargo", true, true),
            ("cargo/", "cargo/", true, true),
            ("cargo/", "mast/", true, false),
            ("helm.txt/", "helm.txt", false, false),
            ("!helm.txt", "helm.txt", false, false),
            ("!helm.txt", "tiller.txt", false, true),
            ("!*.txt", "cargo", true, true),
            ("!cargo/", "mast/", true, true),
            ("/a.txt", "a.txt", false, true),
            ("/a.txt", "cargo/a.txt", false, false),
            ("/cargo/a.txt", "cargo/a.txt", false, true),
        ];
        for (rule, path, is_dir, want) in cases {
            assert_eq!(ignored(rule, path, *is_dir), *want, "{rule} on {path}");
        }
    }

    #[test]
    fn first_match_wins_and_negation_stops() {
        let rules = "*.txt\n!keep.txt\n";
        // Helm quirk: the negated rule ignores every path it does not match.
        assert!(ignored(rules, "values.yaml", false));
        assert!(ignored(rules, "a.txt", false));
        // A negation never un-ignores: a later rule still matches.
        assert!(ignored("!keep.txt\n*.txt\n", "keep.txt", false));
        assert!(!ignored("!keep.txt\n", "keep.txt", false));
    }

    #[test]
    fn bad_rules_are_errors_with_line() {
        let err = IgnoreRules::parse("# c\nfoo/**/bar\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("double-star"));
        assert_eq!(IgnoreRules::parse("ok\n[z-\n").unwrap_err().line, 2);
    }

    #[test]
    fn defaults_ignore_dotfiles_in_templates() {
        let mut rules = IgnoreRules::default();
        rules.add_defaults();
        assert!(rules.ignore("templates/.swp", false));
        assert!(!rules.ignore("templates/a.yaml", false));
        assert!(!rules.ignore(".helmignore", false));
    }
}
