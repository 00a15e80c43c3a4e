//! The part of Masterminds/semver v3 that dependency resolution needs: lenient version
//! parsing (`NewVersion`, which Helm uses to validate Chart.yaml `version`) and constraint
//! checking (`NewConstraint(...).Check`), used to decide whether a vendored subchart satisfies
//! a Chart.yaml dependency's `version` range.
//!
//! The regular expressions are the library's own, so the accepted syntax is the same (RE2 and
//! the `regex` crate share leftmost-first semantics).

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

/// A parsed semantic version.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub metadata: String,
}

const LOOSE_VERSION: &str = r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

const CONSTRAINT_VERSION: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Patterns {
    version: Regex,
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let cv = CONSTRAINT_VERSION;
        // These are fixed, tested patterns; compiling them cannot fail at run time.
        let compile = |p: String| Regex::new(&p).unwrap_or_else(|_| unreachable_regex());
        Patterns {
            version: compile(format!("^{LOOSE_VERSION}$")),
            constraint: compile(format!(r"^\s*({OPS})\s*({cv})\s*$")),
            range: compile(format!(r"\s*({cv})\s+-\s+({cv})\s*")),
            find: compile(format!(r"({OPS})\s*({cv})")),
            valid: compile(format!(
                r"^(\s*({OPS})\s*({cv})\s*)((?:\s+|,\s*)({OPS})\s*({cv})\s*)*$"
            )),
        }
    })
}

/// A regex that never matches, used only if a built-in pattern failed to compile.
fn unreachable_regex() -> Regex {
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable_regex())
}

fn all_in(s: &str, allowed: impl Fn(char) -> bool) -> bool {
    s.chars().all(allowed)
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn validate_prerelease(p: &str) -> bool {
    p.split('.').all(|part| {
        if part.is_empty() {
            false
        } else if all_in(part, |c| c.is_ascii_digit()) {
            !(part.len() > 1 && part.starts_with('0'))
        } else {
            all_in(part, ident_char)
        }
    })
}

fn validate_metadata(m: &str) -> bool {
    m.split('.')
        .all(|part| !part.is_empty() && all_in(part, ident_char))
}

impl Version {
    /// `semver.NewVersion` (lenient: `v` prefix, missing minor/patch allowed).
    pub fn parse(s: &str) -> Option<Version> {
        let caps = patterns().version.captures(s)?;
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let num = |g: &str| -> Option<u64> {
            let digits = g.trim_start_matches('.');
            if digits.is_empty() {
                Some(0)
            } else {
                digits.parse().ok()
            }
        };
        let v = Version {
            major: num(group(1))?,
            minor: num(group(2))?,
            patch: num(group(3))?,
            pre: group(5).to_string(),
            metadata: group(8).to_string(),
        };
        if !v.pre.is_empty() && !validate_prerelease(&v.pre) {
            return None;
        }
        if !v.metadata.is_empty() && !validate_metadata(&v.metadata) {
            return None;
        }
        Some(v)
    }

    fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let ap: Vec<&str> = a.split('.').collect();
    let bp: Vec<&str> = b.split('.').collect();
    for i in 0..ap.len().max(bp.len()) {
        let s = ap.get(i).copied().unwrap_or("");
        let o = bp.get(i).copied().unwrap_or("");
        let d = compare_pre_part(s, o);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => s.cmp(o),
        // Numeric identifiers sort before alphanumeric ones.
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(_), Err(_)) => Ordering::Less,
        (Ok(si), Ok(oi)) => {
            if si > oi {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Constraint {
    op: String,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_constraint(c: &str) -> Option<Constraint> {
    let caps = patterns().constraint.captures(c)?;
    let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
    let mut minor_dirty = false;
    let mut patch_dirty = false;
    let mut dirty = false;
    let ver = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        group(2).to_string()
    };
    Some(Constraint {
        op: group(1).to_string(),
        con: Version::parse(&ver)?,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            "!=" => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            "<" => v.compare(c) == Ordering::Less,
            ">=" | "=>" => v.compare(c) != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            "~" | "~>" => self.tilde(v),
            "^" => self.caret(v),
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

/// `semver.NewConstraint(constraint).Check(version)`; false when either fails to parse (Helm's
/// `IsCompatibleRange`). An empty constraint does not parse.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let Some(v) = Version::parse(version) else {
        return false;
    };
    let p = patterns();
    // Rewrite hyphen ranges "a - b" into ">= a, <= b".
    let mut c = constraint.to_string();
    let ranges: Vec<(String, String, String)> = p
        .range
        .captures_iter(constraint)
        .map(|m| {
            let whole = m.get(0).map_or("", |g| g.as_str()).to_string();
            let lo = m.get(1).map_or("", |g| g.as_str()).to_string();
            let hi = m.get(11).map_or("", |g| g.as_str()).to_string();
            (whole, lo, hi)
        })
        .collect();
    for (whole, lo, hi) in ranges {
        c = c.replacen(&whole, &format!(">= {lo}, <= {hi} "), 1);
    }
    for group in c.split("||") {
        if !p.valid.is_match(group) {
            return false;
        }
    }
    let mut any = false;
    for group in c.split("||") {
        let mut found: Vec<&str> = p.find.find_iter(group).map(|m| m.as_str()).collect();
        if found.is_empty() {
            found.push(group);
        }
        let mut cons = Vec::new();
        for s in found {
            match parse_constraint(s) {
                Some(con) => cons.push(con),
                None => return false,
            }
        }
        let include_pre = cons.iter().any(|c| !c.con.pre.is_empty());
        if !any && cons.iter().all(|con| con.check(&v, include_pre)) {
            any = true;
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lenient_versions() {
        assert!(Version::parse("1.2.3").is_some());
        assert!(Version::parse("v1.2").is_some());
        assert!(Version::parse("1").is_some());
        assert!(Version::parse("1.2.3-beta.1+build.5").is_some());
        assert!(Version::parse("1.2.3-01").is_none());
        assert!(Version::parse("1.2.3.4").is_none());
        assert!(Version::parse("latest").is_none());
        assert!(Version::parse("").is_none());
    }

    #[test]
    fn constraints_like_masterminds() {
        let ok = |c: &str, v: &str| is_compatible_range(c, v);
        assert!(ok("1.2.3", "1.2.3"));
        assert!(!ok("1.2.3", "1.2.4"));
        assert!(ok(">=1.0.0", "1.5.0"));
        assert!(ok("~1.2.0", "1.2.9"));
        assert!(!ok("~1.2.0", "1.3.0"));
        assert!(ok("^1.2.0", "1.9.0"));
        assert!(!ok("^1.2.0", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.5"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("1.x", "1.4.0"));
        assert!(ok("*", "3.0.0"));
        assert!(ok("x", "3.0.0"));
        assert!(ok(">=1.0.0, <2.0.0", "1.9.9"));
        assert!(ok(">=1.0.0 <2.0.0", "1.9.9"));
        assert!(!ok(">=1.0.0 <2.0.0", "2.0.0"));
        assert!(ok("<1.0.0 || >=3.0.0", "3.1.0"));
        assert!(ok("1.0.0 - 2.0.0", "1.5.0"));
        assert!(!ok("1.0.0 - 2.0.0", "2.0.1"));
        // Prereleases only match constraints that mention one.
        assert!(!ok(">=1.0.0", "1.5.0-rc.1"));
        assert!(ok(">=1.0.0-0", "1.5.0-rc.1"));
        // Empty constraints and bad versions never match.
        assert!(!ok("", "1.0.0"));
        assert!(!ok("1.0.0", "latest"));
    }
}
