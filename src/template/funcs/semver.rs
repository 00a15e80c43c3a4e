//! Semantic versions and constraints with the exact behaviour of Masterminds/semver v3 (what
//! Sprig's `semver` and `semverCompare` use, and what Helm uses for `kubeVersion`).
//!
//! Charts call `semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version` all the time, so
//! the quirks matter: versions are coerced (`v1.21` is `1.21.0`), a constraint with a
//! prerelease (`-0`) lets prereleases match, `1.2.x`/`*` wildcards, `~`/`^` ranges, `a - b`
//! hyphen ranges, `,` or space for AND and `||` for OR. The parsing uses the library's own
//! regular expressions (with Go's ASCII `\s`), so what is accepted or refused matches too.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use super::convert::{expect_args, expect_string, string_arg};
use super::FuncMap;
use crate::template::value::{FuncError, IntKind, Object, Value};

/// Register `semver` and `semverCompare`.
pub fn register(map: &mut FuncMap) {
    map.insert("semver", semver);
    map.insert("semverCompare", semver_compare);
}

// The library parses with regular expressions (`cvRegex` and friends, shown on each
// scanner below). Compiling them costs more than a whole small render, so these are
// hand-written scanners that accept exactly the same strings and capture the same groups;
// the tests compare them with the expressions on generated inputs.

/// Go's `\s` (ASCII whitespace without `\v`).
fn is_sp(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// `[0-9|x|X|\*]` (the `|` inside the class is literal in the library's pattern too).
fn is_cv_segment(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'|' | b'x' | b'X' | b'*')
}

/// `[0-9A-Za-z\-]`
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn run(b: &[u8], mut i: usize, f: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && f(b[i]) {
        i += 1;
    }
    i
}

fn skip_sp(b: &[u8], i: usize) -> usize {
    run(b, i, is_sp)
}

/// `ID+(\.ID+)*` at `i`: its end, if at least one identifier character is there.
fn dotted_idents(b: &[u8], i: usize) -> Option<usize> {
    let mut j = run(b, i, is_ident);
    if j == i {
        return None;
    }
    while b.get(j) == Some(&b'.') {
        let k = run(b, j + 1, is_ident);
        if k == j + 1 {
            break;
        }
        j = k;
    }
    Some(j)
}

/// A match of `v?(SEG+)(\.SEG+)?(\.SEG+)?(-(ID+(\.ID+)*))?(\+(ID+(\.ID+)*))?` as byte
/// ranges; minor, patch, pre and metadata include their leading `.`, `-` or `+` and are empty
/// (`i..i`) when absent.
#[derive(Clone, Copy)]
struct CvMatch {
    start: usize,
    end: usize,
    major: (usize, usize),
    minor: (usize, usize),
    patch: (usize, usize),
    pre: (usize, usize),
    metadata: (usize, usize),
}

/// The greedy match of the version pattern at `i` (with `SEG` = `segment`). Greedy is what
/// the regular expressions find: nothing that may follow a version can start with a
/// character the version gave back.
fn scan_version(b: &[u8], i: usize, segment: fn(u8) -> bool) -> Option<CvMatch> {
    let mut j = i;
    if b.get(j) == Some(&b'v') {
        j += 1;
    }
    let major_end = run(b, j, segment);
    if major_end == j {
        return None;
    }
    let major = (j, major_end);
    j = major_end;
    let dotted = |j: &mut usize| {
        if b.get(*j) == Some(&b'.') {
            let k = run(b, *j + 1, segment);
            if k > *j + 1 {
                let span = (*j, k);
                *j = k;
                return span;
            }
        }
        (*j, *j)
    };
    let minor = dotted(&mut j);
    let patch = dotted(&mut j);
    let tagged = |j: &mut usize, tag: u8| {
        if b.get(*j) == Some(&tag) {
            if let Some(k) = dotted_idents(b, *j + 1) {
                let span = (*j, k);
                *j = k;
                return span;
            }
        }
        (*j, *j)
    };
    let pre = tagged(&mut j, b'-');
    let metadata = tagged(&mut j, b'+');
    Some(CvMatch {
        start: i,
        end: j,
        major,
        minor,
        patch,
        pre,
        metadata,
    })
}

/// The library's operators, longest first: at most one of them can be followed by a
/// version, so this order finds the same one as the library's alternation
/// `=||!=|>|<|>=|=>|<=|=<|~|~>|\^`.
const OPS: [&str; 11] = ["!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^"];

/// `(OPS)\s*(CV)` at `i`: the operator's end and the version.
fn op_and_version(b: &[u8], i: usize) -> Option<(usize, CvMatch)> {
    let rest = b.get(i..).unwrap_or_default();
    let candidates = OPS
        .iter()
        .filter(|op| rest.starts_with(op.as_bytes()))
        .map(|op| op.len())
        .chain(std::iter::once(0));
    for len in candidates {
        if let Some(cv) = scan_version(b, skip_sp(b, i + len), is_cv_segment) {
            return Some((i + len, cv));
        }
    }
    None
}

fn span(s: &str, (a, b): (usize, usize)) -> &str {
    s.get(a..b).unwrap_or("")
}

/// `^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-(ID+(\.ID+)*))?(\+(ID+(\.ID+)*))?$`
fn loose_version(v: &str) -> Option<CvMatch> {
    scan_version(v.as_bytes(), 0, |b| b.is_ascii_digit()).filter(|m| m.end == v.len())
}

/// `^\s*(OPS)\s*(CV)\s*$`: the operator and the version.
fn constraint(c: &str) -> Option<(&str, CvMatch)> {
    let b = c.as_bytes();
    let i = skip_sp(b, 0);
    let (op_end, cv) = op_and_version(b, i)?;
    if skip_sp(b, cv.end) != b.len() {
        return None;
    }
    Some((span(c, (i, op_end)), cv))
}

/// `^(\s*(OPS)\s*(CV)\s*)((?:\s+|,\s*)(OPS)\s*(CV)\s*)*$`
fn valid_constraint(c: &str) -> bool {
    let b = c.as_bytes();
    let mut i = skip_sp(b, 0);
    loop {
        let Some((_, cv)) = op_and_version(b, i) else {
            return false;
        };
        let j = skip_sp(b, cv.end);
        if j == b.len() {
            return true;
        }
        if b[j] == b',' {
            i = skip_sp(b, j + 1);
        } else if j > cv.end {
            i = j;
        } else {
            return false;
        }
    }
}

/// `find_iter` of `(OPS)\s*(CV)`: the matched substrings.
fn find_constraints(c: &str) -> Vec<&str> {
    let b = c.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match op_and_version(b, i) {
            Some((_, cv)) => {
                out.push(span(c, (i, cv.end)));
                i = cv.end;
            }
            None => i += 1,
        }
    }
    out
}

/// `captures_iter` of `\s*(CV)\s+-\s+(CV)\s*`: (whole match, low version, high version).
fn find_ranges(c: &str) -> Vec<(&str, &str, &str)> {
    let b = c.as_bytes();
    let at = |i: usize| -> Option<(usize, CvMatch, CvMatch)> {
        let lo = scan_version(b, skip_sp(b, i), is_cv_segment)?;
        let dash = skip_sp(b, lo.end);
        if dash == lo.end || b.get(dash) != Some(&b'-') {
            return None;
        }
        let hi_start = skip_sp(b, dash + 1);
        if hi_start == dash + 1 {
            return None;
        }
        let hi = scan_version(b, hi_start, is_cv_segment)?;
        Some((skip_sp(b, hi.end), lo, hi))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match at(i) {
            Some((end, lo, hi)) => {
                out.push((
                    span(c, (i, end)),
                    span(c, (lo.start, lo.end)),
                    span(c, (hi.start, hi.end)),
                ));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// A parsed version (`*semver.Version`, or `semver.Version` when a method returned a copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub metadata: String,
    pub original: String,
    /// Go pointer (`*semver.Version`) rather than a value: decides the type name and which
    /// methods templates can call.
    pub pointer: bool,
}

fn is_num(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn is_allowed(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn validate_prerelease(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err("invalid prerelease string".into());
        } else if is_num(part) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        } else if !is_allowed(part) {
            return Err("invalid prerelease string".into());
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), String> {
    for part in m.split('.') {
        if part.is_empty() || !is_allowed(part) {
            return Err("invalid metadata string".into());
        }
    }
    Ok(())
}

/// Go `strconv.ParseUint(s, 10, 64)` wrapped as the library words its error.
fn parse_segment(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing \"{s}\": value out of range"
        )
    })
}

impl Version {
    /// `semver.NewVersion` (with coercion on, the library default): `v` prefix allowed,
    /// missing minor/patch are 0, leading zeros accepted in the numbers.
    pub fn parse(v: &str) -> Result<Version, String> {
        let m = loose_version(v).ok_or_else(|| "invalid semantic version".to_string())?;
        let major = parse_segment(span(v, m.major))?;
        let minor = match span(v, m.minor) {
            "" => 0,
            m => parse_segment(m.trim_start_matches('.'))?,
        };
        let patch = match span(v, m.patch) {
            "" => 0,
            p => parse_segment(p.trim_start_matches('.'))?,
        };
        let pre = span(v, m.pre).get(1..).unwrap_or("").to_string();
        let metadata = span(v, m.metadata).get(1..).unwrap_or("").to_string();
        if !pre.is_empty() {
            validate_prerelease(&pre)?;
        }
        if !metadata.is_empty() {
            validate_metadata(&metadata)?;
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            metadata,
            original: v.to_string(),
            pointer: true,
        })
    }

    /// `Compare`: -1, 0 or 1; metadata ignored, a prerelease sorts before its release.
    pub fn compare(&self, o: &Version) -> i64 {
        let by_number = (self.major, self.minor, self.patch).cmp(&(o.major, o.minor, o.patch));
        if by_number != std::cmp::Ordering::Equal {
            return by_number as i64;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => -1,
            (false, false) => compare_prerelease(&self.pre, &o.pre),
        }
    }

    fn v_prefix(&self) -> &str {
        if self.original.starts_with('v') {
            "v"
        } else {
            ""
        }
    }

    /// A copy (Go methods with value receivers return `semver.Version`, not a pointer) with
    /// `original` rebuilt as the library does.
    fn derived(&self, f: impl FnOnce(&mut Version)) -> Version {
        let mut next = self.clone();
        f(&mut next);
        next.pointer = false;
        next.original = format!("{}{}", self.v_prefix(), next);
        next
    }

    fn inc_patch(&self) -> Version {
        let had_pre = !self.pre.is_empty();
        self.derived(|n| {
            n.metadata.clear();
            n.pre.clear();
            if !had_pre {
                n.patch += 1;
            }
        })
    }

    fn inc_minor(&self) -> Version {
        self.derived(|n| {
            n.metadata.clear();
            n.pre.clear();
            n.patch = 0;
            n.minor += 1;
        })
    }

    fn inc_major(&self) -> Version {
        self.derived(|n| {
            n.metadata.clear();
            n.pre.clear();
            n.patch = 0;
            n.minor = 0;
            n.major += 1;
        })
    }
}

/// `String()`: `MAJOR.MINOR.PATCH[-PRE][+META]`, without the original `v`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(a: &str, b: &str) -> i64 {
    let ap: Vec<&str> = a.split('.').collect();
    let bp: Vec<&str> = b.split('.').collect();
    for i in 0..ap.len().max(bp.len()) {
        let d = compare_pre_part(
            ap.get(i).copied().unwrap_or(""),
            bp.get(i).copied().unwrap_or(""),
        );
        if d != 0 {
            return d;
        }
    }
    0
}

/// Go `strconv.ParseUint(s, 10, 64)` success.
fn as_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !is_num(s) {
        return None;
    }
    s.parse().ok()
}

fn compare_pre_part(s: &str, o: &str) -> i64 {
    if s == o {
        return 0;
    }
    if s.is_empty() {
        return -1;
    }
    if o.is_empty() {
        return 1;
    }
    match (as_uint(s), as_uint(o)) {
        (None, None) => {
            if s > o {
                1
            } else {
                -1
            }
        }
        // Numbers sort before identifiers with letters.
        (Some(_), None) => -1,
        (None, Some(_)) => 1,
        (Some(a), Some(b)) => {
            if a > b {
                1
            } else {
                -1
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Clone, Debug)]
struct Constraint {
    con: Version,
    op: Op,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// A parsed constraint set: OR of AND groups (`semver.Constraints`).
#[derive(Clone, Debug)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
    contains_pre: Vec<bool>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_one(c: &str) -> Result<Constraint, String> {
    if c.is_empty() {
        // An empty constraint is `*`.
        return Ok(Constraint {
            con: Version::parse("0.0.0")?,
            op: Op::TildeOrEqual,
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let (op, cv) = constraint(c).ok_or_else(|| format!("improper constraint: {c}"))?;
    let op = match op {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (major, minor, patch, pre) = (
        span(c, cv.major),
        span(c, cv.minor),
        span(c, cv.patch),
        span(c, cv.pre),
    );
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(major) {
        dirty = true;
        format!("0.0.0{pre}")
    } else if minor.is_empty() || is_x(minor.trim_start_matches('.')) {
        minor_dirty = true;
        dirty = true;
        format!("{major}.0.0{pre}")
    } else if patch.is_empty() || is_x(patch.trim_start_matches('.')) {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        span(c, (cv.start, cv.end)).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        con,
        op,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

/// Rewrite `A - B` hyphen ranges into `>= A, <= B`.
fn rewrite_range(c: &str) -> String {
    let mut out = c.to_string();
    for (whole, lo, hi) in find_ranges(c) {
        out = out.replacen(whole, &format!(">= {lo}, <= {hi} "), 1);
    }
    out
}

impl Constraints {
    /// `semver.NewConstraint`.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        let c = rewrite_range(c);
        let mut groups = Vec::new();
        let mut contains_pre = Vec::new();
        for part in c.split("||") {
            if !valid_constraint(part) {
                return Err(format!("improper constraint: {part}"));
            }
            let mut found = find_constraints(part);
            if found.is_empty() {
                found.push(part);
            }
            let mut group = Vec::with_capacity(found.len());
            let mut has_pre = false;
            for one in found {
                let parsed = parse_one(one)?;
                has_pre |= !parsed.con.pre.is_empty();
                group.push(parsed);
            }
            groups.push(group);
            contains_pre.push(has_pre);
        }
        Ok(Constraints {
            groups,
            contains_pre,
        })
    }

    /// `Constraints.Check`: some OR group has every constraint satisfied. Prerelease
    /// versions only satisfy groups that mention a prerelease themselves.
    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .zip(&self.contains_pre)
            .any(|(group, pre)| group.iter().all(|c| c.check(v, *pre)))
    }
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == 0
                }
            }
            Op::NotEqual => self.not_equal(v),
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == 1;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == 1
                }
            }
            Op::Less => v.compare(c) < 0,
            Op::GreaterEqual => v.compare(c) >= 0,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) <= 0;
                }
                !(v.major > c.major || v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
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
                    return compare_prerelease(&v.pre, &c.pre) != 0;
                }
                return false;
            }
        }
        v.compare(c) != 0
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) < 0 {
            return false;
        }
        // ~0.0.0 accepts everything.
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
        if v.compare(c) < 0 {
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

thread_local! {
    /// Parsed constraints: the same few strings are checked for every template.
    static CONSTRAINTS: RefCell<HashMap<String, Rc<Constraints>>> = RefCell::new(HashMap::new());
}

/// `semverCompare CONSTRAINT VERSION` as a library call (also what Helm's `kubeVersion`
/// check needs).
pub fn satisfies(constraint: &str, version: &str) -> Result<bool, String> {
    let cached = CONSTRAINTS.with(|c| c.borrow().get(constraint).cloned());
    let constraints = match cached {
        Some(c) => c,
        None => {
            let parsed = Rc::new(Constraints::parse(constraint)?);
            CONSTRAINTS.with(|c| {
                let mut cache = c.borrow_mut();
                if cache.len() >= 256 {
                    cache.clear();
                }
                cache.insert(constraint.to_string(), Rc::clone(&parsed));
            });
            parsed
        }
    };
    let v = Version::parse(version)?;
    Ok(constraints.check(&v))
}

fn semver_compare(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("semverCompare", args, 2)?;
    let constraint = string_arg("semverCompare", args, 0)?;
    let version = string_arg("semverCompare", args, 1)?;
    satisfies(&constraint, &version)
        .map(Value::Bool)
        .map_err(FuncError::new)
}

fn semver(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("semver", args, 1)?;
    let v = Version::parse(&string_arg("semver", args, 0)?).map_err(FuncError::new)?;
    Ok(Value::Object(Rc::new(v)))
}

fn uint_value(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX), IntKind::Uint64)
}

/// The `*semver.Version` argument of `Compare`, `LessThan`, ….
fn version_arg<'a>(method: &str, args: &'a [Value]) -> Result<&'a Version, FuncError> {
    if args.len() != 1 {
        return Err(FuncError::new(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        )));
    }
    match &args[0] {
        Value::Object(o) => match o.as_any().downcast_ref::<Version>() {
            Some(v) if v.pointer => Ok(v),
            _ => Err(FuncError::new(format!(
                "wrong type for value; expected *semver.Version; got {}",
                o.type_name()
            ))),
        },
        other => Err(FuncError::new(format!(
            "wrong type for value; expected *semver.Version; got {}",
            other.type_name()
        ))),
    }
}

impl Object for Version {
    fn type_name(&self) -> &str {
        if self.pointer {
            "*semver.Version"
        } else {
            "semver.Version"
        }
    }

    fn field(&self, name: &str) -> Option<Value> {
        let value = match name {
            "Major" => uint_value(self.major),
            "Minor" => uint_value(self.minor),
            "Patch" => uint_value(self.patch),
            "Prerelease" => Value::str(&self.pre),
            "Metadata" => Value::str(&self.metadata),
            "String" => Value::string(self.to_string()),
            "Original" if self.pointer => Value::str(&self.original),
            "IncPatch" => Value::Object(Rc::new(self.inc_patch())),
            "IncMinor" => Value::Object(Rc::new(self.inc_minor())),
            "IncMajor" => Value::Object(Rc::new(self.inc_major())),
            _ => return None,
        };
        Some(value)
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        if args.is_empty() {
            if let Some(v) = self.field(name) {
                return Some(Ok(v));
            }
        }
        let result = match name {
            "SetPrerelease" | "SetMetadata" => {
                let arg = match args {
                    [one] => expect_string(name, one),
                    _ => {
                        return Some(Err(FuncError::new(format!(
                            "wrong number of args for {name}: want 1 got {}",
                            args.len()
                        ))))
                    }
                };
                arg.and_then(|s| {
                    if name == "SetPrerelease" {
                        if !s.is_empty() {
                            validate_prerelease(&s).map_err(FuncError::new)?;
                        }
                        Ok(self.derived(|n| n.pre = s.to_string()))
                    } else {
                        if !s.is_empty() {
                            validate_metadata(&s).map_err(FuncError::new)?;
                        }
                        Ok(self.derived(|n| n.metadata = s.to_string()))
                    }
                })
                .map(|v| Value::Object(Rc::new(v)))
            }
            "Compare" | "LessThan" | "LessThanEqual" | "GreaterThan" | "GreaterThanEqual"
            | "Equal"
                if self.pointer =>
            {
                version_arg(name, args).map(|o| {
                    let d = self.compare(o);
                    match name {
                        "Compare" => Value::int(d),
                        "LessThan" => Value::Bool(d < 0),
                        "LessThanEqual" => Value::Bool(d <= 0),
                        "GreaterThan" => Value::Bool(d > 0),
                        "GreaterThanEqual" => Value::Bool(d >= 0),
                        _ => Value::Bool(d == 0),
                    }
                })
            }
            _ => return None,
        };
        Some(result)
    }

    fn display(&self) -> String {
        self.to_string()
    }

    fn to_data(&self) -> Value {
        // MarshalJSON writes String().
        Value::string(self.to_string())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
/// Expected outputs were checked against `helm template` (Helm 4.1.4) where Go's behaviour
/// was not obvious from its source.
mod tests {
    use super::*;

    fn cmp(c: &str, v: &str) -> Result<bool, String> {
        satisfies(c, v)
    }

    /// The library's regular expressions, which the scanners replace.
    mod patterns {
        use regex::Regex;

        const SP: &str = r"[\t\n\f\r ]";
        const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
        const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

        pub fn loose() -> Regex {
            Regex::new(r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$").unwrap()
        }
        pub fn constraint() -> Regex {
            Regex::new(&format!(r"^{SP}*({OPS}){SP}*({CV}){SP}*$")).unwrap()
        }
        pub fn range() -> Regex {
            Regex::new(&format!(r"{SP}*({CV}){SP}+-{SP}+({CV}){SP}*")).unwrap()
        }
        pub fn find() -> Regex {
            Regex::new(&format!(r"({OPS}){SP}*({CV})")).unwrap()
        }
        pub fn valid() -> Regex {
            Regex::new(&format!(
                r"^({SP}*({OPS}){SP}*({CV}){SP}*)((?:{SP}+|,{SP}*)({OPS}){SP}*({CV}){SP}*)*$"
            ))
            .unwrap()
        }
    }

    /// Every string over a small alphabet up to a length, plus charts' usual constraints:
    /// the scanners must agree with the regular expressions on all of them.
    #[test]
    fn scanners_match_the_library_patterns() {
        let (loose, cons, range, find, valid) = (
            patterns::loose(),
            patterns::constraint(),
            patterns::range(),
            patterns::find(),
            patterns::valid(),
        );
        let mut inputs: Vec<String> = [
            ">=1.2.3",
            "1.0 - 2.0",
            "~1.x",
            ">= 1.19-0 < 1.26-0",
            "v1.2",
            ">=1.21.0-0",
            "^1.2.3-beta.1+b.5",
            "1.2.3 - 2.3.4 || >=5",
            "~> 1.2",
            "=<1|2",
            "v1.x.X-rc.1.",
            " >= 1.0 , < 2 ",
            "1.0.0 -2.0",
            "x - 1.2.3-a..b",
            "1.2.3+meta.7-x",
            "!1.0",
            "==1",
            ">= 1.0 - 2.0",
            "1.2.3.4",
            "v",
            "1.-",
            "1.2-+",
            "*",
            "",
            " 1 2 ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let alphabet = [
            '1', '.', 'x', 'v', '-', '+', ' ', ',', '>', '=', '~', 'a', '|',
        ];
        let mut layer = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for s in &layer {
                for c in alphabet {
                    next.push(format!("{s}{c}"));
                }
            }
            inputs.extend(next.iter().cloned());
            layer = next;
        }
        for s in &inputs {
            let want = loose.captures(s).map(|c| {
                let g = |i: usize| c.get(i).map_or("", |m| m.as_str()).to_string();
                (g(1), g(2), g(3), g(5), g(8))
            });
            let got = loose_version(s).map(|m| {
                let tail = |r| span(s, r).get(1..).unwrap_or("").to_string();
                (
                    span(s, m.major).to_string(),
                    span(s, m.minor).to_string(),
                    span(s, m.patch).to_string(),
                    tail(m.pre),
                    tail(m.metadata),
                )
            });
            assert_eq!(got, want, "loose version {s:?}");

            let want = cons.captures(s).map(|c| {
                let g = |i: usize| c.get(i).map_or("", |m| m.as_str()).to_string();
                (g(1), g(2), g(3), g(4), g(5), g(6))
            });
            let got = constraint(s).map(|(op, m)| {
                (
                    op.to_string(),
                    span(s, (m.start, m.end)).to_string(),
                    span(s, m.major).to_string(),
                    span(s, m.minor).to_string(),
                    span(s, m.patch).to_string(),
                    span(s, m.pre).to_string(),
                )
            });
            assert_eq!(got, want, "constraint {s:?}");

            let want: Vec<(&str, &str, &str)> = range
                .captures_iter(s)
                .map(|c| {
                    let g = |i: usize| c.get(i).map_or("", |m| m.as_str());
                    (g(0), g(1), g(11))
                })
                .collect();
            assert_eq!(find_ranges(s), want, "range {s:?}");

            let want: Vec<&str> = find.find_iter(s).map(|m| m.as_str()).collect();
            assert_eq!(find_constraints(s), want, "find {s:?}");

            assert_eq!(valid_constraint(s), valid.is_match(s), "valid {s:?}");
        }
    }

    #[test]
    fn versions_are_coerced() {
        let v = Version::parse("v1.21").unwrap();
        assert_eq!(v.to_string(), "1.21.0");
        assert_eq!(v.original, "v1.21");
        assert_eq!(
            Version::parse("1.2.3-beta.1+build.5").unwrap().to_string(),
            "1.2.3-beta.1+build.5"
        );
        assert_eq!(Version::parse("01.02.03").unwrap().to_string(), "1.2.3");
        assert_eq!(
            Version::parse("v1.28.3-gke.1286000").unwrap().pre,
            "gke.1286000"
        );
        assert_eq!(
            Version::parse("1.2.3.4").unwrap_err(),
            "invalid semantic version"
        );
        assert_eq!(Version::parse("").unwrap_err(), "invalid semantic version");
        assert_eq!(
            Version::parse("1.0.0-01").unwrap_err(),
            "version segment starts with 0"
        );
        assert_eq!(
            Version::parse("1.0.0-a..b").unwrap_err(),
            "invalid semantic version"
        );
        assert!(Version::parse(" 1.0.0").is_err());
    }

    #[test]
    fn comparisons() {
        let c = |a: &str, b: &str| {
            Version::parse(a)
                .unwrap()
                .compare(&Version::parse(b).unwrap())
        };
        assert_eq!(c("1.2.3", "1.2.3+meta"), 0);
        assert_eq!(c("1.2.3-alpha", "1.2.3"), -1);
        assert_eq!(c("1.2.3-alpha.1", "1.2.3-alpha.beta"), -1);
        assert_eq!(c("1.2.3-alpha.10", "1.2.3-alpha.9"), 1);
        assert_eq!(c("1.2.3-alpha", "1.2.3-alpha.1"), -1);
        assert_eq!(c("1.10.0", "1.9.0"), 1);
    }

    #[test]
    fn kube_version_checks_as_charts_use_them() {
        assert_eq!(cmp(">=1.21-0", "v1.28.3"), Ok(true));
        assert_eq!(cmp(">=1.21-0", "v1.28.3-gke.1286000"), Ok(true));
        assert_eq!(cmp(">=1.21", "v1.28.3-gke.1286000"), Ok(false));
        assert_eq!(cmp(">=1.21.0", "1.20.9"), Ok(false));
        assert_eq!(cmp("<1.25", "1.24.99"), Ok(true));
        assert_eq!(cmp("<1.25-0", "1.25.0-rc.1"), Ok(false));
        assert_eq!(cmp(">= 1.19-0 < 1.26-0", "1.25.2"), Ok(true));
        assert_eq!(cmp(">=1.19-0, <1.21-0", "1.21.0"), Ok(false));
        assert_eq!(cmp("^1.2", "1.9.0"), Ok(true));
        assert_eq!(cmp("^1.2", "2.0.0"), Ok(false));
        assert_eq!(cmp("^0.2.3", "0.2.9"), Ok(true));
        assert_eq!(cmp("^0.2.3", "0.3.0"), Ok(false));
        assert_eq!(cmp("^0.0.3", "0.0.4"), Ok(false));
        assert_eq!(cmp("~1.2.3", "1.2.9"), Ok(true));
        assert_eq!(cmp("~1.2.3", "1.3.0"), Ok(false));
        assert_eq!(cmp("~1", "1.9.0"), Ok(true));
        assert_eq!(cmp("1.2.x", "1.2.7"), Ok(true));
        assert_eq!(cmp("1.2.x", "1.3.0"), Ok(false));
        assert_eq!(cmp("*", "3.0.0"), Ok(true));
        assert_eq!(cmp("", "3.0.0"), Err("improper constraint: ".to_string()));
        assert_eq!(cmp("*", "3.0.0-beta"), Ok(false));
        assert_eq!(cmp("1.2.3", "1.2.3"), Ok(true));
        assert_eq!(cmp("=1.2.3", "v1.2.3"), Ok(true));
        assert_eq!(cmp("!=1.2.3", "1.2.4"), Ok(true));
        assert_eq!(cmp("!=1.2.x", "1.2.4"), Ok(false));
        assert_eq!(cmp(">1.2", "1.2.9"), Ok(false));
        assert_eq!(cmp(">1.2", "1.3.0"), Ok(true));
        assert_eq!(cmp(">11", "11.1.0"), Ok(false));
        assert_eq!(cmp("<=1.2", "1.2.9"), Ok(true));
        assert_eq!(cmp("<=1.2", "1.3.0"), Ok(false));
        assert_eq!(cmp("1.0 - 2.0", "1.5.0"), Ok(true));
        // `<= 2.0` has a wildcard patch, so 2.0.1 still matches (checked with helm).
        assert_eq!(cmp("1.0 - 2.0", "2.0.1"), Ok(true));
        assert_eq!(cmp("1.0 - 2.0", "2.1.0"), Ok(false));
        assert_eq!(cmp("1.0 - 2.0", "2.0.0"), Ok(true));
        assert_eq!(cmp("<1.0 || >=2.0", "1.5.0"), Ok(false));
        assert_eq!(cmp("<1.0 || >=2.0", "2.5.0"), Ok(true));
        assert_eq!(
            cmp("abc", "1.0.0"),
            Err("improper constraint: abc".to_string())
        );
        assert_eq!(cmp(">1", "x"), Err("invalid semantic version".to_string()));
        assert_eq!(
            cmp(">=1.0.0 ||", "1.0.0"),
            Err("improper constraint: ".to_string())
        );
    }

    #[test]
    fn version_object_methods() {
        let v = Version::parse("v1.2.3-rc.1+b7").unwrap();
        assert_eq!(v.type_name(), "*semver.Version");
        assert_eq!(v.field("Major"), Some(Value::int(1)));
        assert_eq!(v.field("Prerelease"), Some(Value::str("rc.1")));
        assert_eq!(v.field("Metadata"), Some(Value::str("b7")));
        assert_eq!(v.field("Original"), Some(Value::str("v1.2.3-rc.1+b7")));
        assert_eq!(v.display(), "1.2.3-rc.1+b7");
        let next = v.field("IncPatch").unwrap();
        assert_eq!(next.to_string(), "1.2.3");
        assert_eq!(next.type_name(), "semver.Version");
        let minor = Version::parse("1.2.3").unwrap().inc_minor();
        assert_eq!(minor.to_string(), "1.3.0");
        assert_eq!(
            Version::parse("1.2.3").unwrap().inc_patch().to_string(),
            "1.2.4"
        );
        assert_eq!(
            Version::parse("v1.2.3").unwrap().inc_major().original,
            "v2.0.0"
        );
        let other = Value::Object(Rc::new(Version::parse("1.3.0").unwrap()));
        assert_eq!(
            v.call_method("LessThan", std::slice::from_ref(&other))
                .unwrap(),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            v.call_method("Compare", &[other]).unwrap(),
            Ok(Value::int(-1))
        );
        assert_eq!(
            v.call_method("SetPrerelease", &[Value::str("beta")])
                .unwrap()
                .unwrap()
                .to_string(),
            "1.2.3-beta+b7"
        );
        assert!(v.call_method("Nope", &[]).is_none());
    }

    /// A constraint × version matrix whose expected results were produced by
    /// `helm template` (Helm 4.1.4, Masterminds/semver v3.4.0) with `semverCompare`.
    #[test]
    fn matches_helm_matrix() {
        let cases: &[(&str, &str, bool)] = &[
            (">=1.21-0", "1.21.0", true),
            (">=1.21-0", "v1.28.3-gke.1286000", true),
            (">=1.21-0", "1.2.3-beta.2", false),
            (">=1.21-0", "1.2.3", false),
            (">=1.21-0", "1.2.4", false),
            (">=1.21-0", "1.3.0", false),
            (">=1.21-0", "0.0.5", false),
            (">=1.21-0", "0.1.0", false),
            (">=1.21-0", "2.1.9", true),
            (">=1.21-0", "3.0.0-rc.1", true),
            (">=1.21-0", "1.4.5", false),
            (">=1.21-0", "1.4.6-0", false),
            (">=1.21-0", "1.2.3-alpha.2", false),
            (">=1.21-0", "0.9.0", false),
            (">=1.21-0", "1.2.0", false),
            (">=1.21-0", "1.1.9", false),
            (">=1.21", "1.21.0", true),
            (">=1.21", "v1.28.3-gke.1286000", false),
            (">=1.21", "1.2.3-beta.2", false),
            (">=1.21", "1.2.3", false),
            (">=1.21", "1.2.4", false),
            (">=1.21", "1.3.0", false),
            (">=1.21", "0.0.5", false),
            (">=1.21", "0.1.0", false),
            (">=1.21", "2.1.9", true),
            (">=1.21", "3.0.0-rc.1", false),
            (">=1.21", "1.4.5", false),
            (">=1.21", "1.4.6-0", false),
            (">=1.21", "1.2.3-alpha.2", false),
            (">=1.21", "0.9.0", false),
            (">=1.21", "1.2.0", false),
            (">=1.21", "1.1.9", false),
            ("<1.25.0-0", "1.21.0", true),
            ("<1.25.0-0", "v1.28.3-gke.1286000", false),
            ("<1.25.0-0", "1.2.3-beta.2", true),
            ("<1.25.0-0", "1.2.3", true),
            ("<1.25.0-0", "1.2.4", true),
            ("<1.25.0-0", "1.3.0", true),
            ("<1.25.0-0", "0.0.5", true),
            ("<1.25.0-0", "0.1.0", true),
            ("<1.25.0-0", "2.1.9", false),
            ("<1.25.0-0", "3.0.0-rc.1", false),
            ("<1.25.0-0", "1.4.5", true),
            ("<1.25.0-0", "1.4.6-0", true),
            ("<1.25.0-0", "1.2.3-alpha.2", true),
            ("<1.25.0-0", "0.9.0", true),
            ("<1.25.0-0", "1.2.0", true),
            ("<1.25.0-0", "1.1.9", true),
            ("~1.2.3-beta", "1.21.0", false),
            ("~1.2.3-beta", "v1.28.3-gke.1286000", false),
            ("~1.2.3-beta", "1.2.3-beta.2", true),
            ("~1.2.3-beta", "1.2.3", true),
            ("~1.2.3-beta", "1.2.4", true),
            ("~1.2.3-beta", "1.3.0", false),
            ("~1.2.3-beta", "0.0.5", false),
            ("~1.2.3-beta", "0.1.0", false),
            ("~1.2.3-beta", "2.1.9", false),
            ("~1.2.3-beta", "3.0.0-rc.1", false),
            ("~1.2.3-beta", "1.4.5", false),
            ("~1.2.3-beta", "1.4.6-0", false),
            ("~1.2.3-beta", "1.2.3-alpha.2", false),
            ("~1.2.3-beta", "0.9.0", false),
            ("~1.2.3-beta", "1.2.0", false),
            ("~1.2.3-beta", "1.1.9", false),
            ("^1.2.3-alpha.1", "1.21.0", true),
            ("^1.2.3-alpha.1", "v1.28.3-gke.1286000", true),
            ("^1.2.3-alpha.1", "1.2.3-beta.2", true),
            ("^1.2.3-alpha.1", "1.2.3", true),
            ("^1.2.3-alpha.1", "1.2.4", true),
            ("^1.2.3-alpha.1", "1.3.0", true),
            ("^1.2.3-alpha.1", "0.0.5", false),
            ("^1.2.3-alpha.1", "0.1.0", false),
            ("^1.2.3-alpha.1", "2.1.9", false),
            ("^1.2.3-alpha.1", "3.0.0-rc.1", false),
            ("^1.2.3-alpha.1", "1.4.5", true),
            ("^1.2.3-alpha.1", "1.4.6-0", true),
            ("^1.2.3-alpha.1", "1.2.3-alpha.2", true),
            ("^1.2.3-alpha.1", "0.9.0", false),
            ("^1.2.3-alpha.1", "1.2.0", false),
            ("^1.2.3-alpha.1", "1.1.9", false),
            ("!=1.2.3-rc.1", "1.21.0", true),
            ("!=1.2.3-rc.1", "v1.28.3-gke.1286000", true),
            ("!=1.2.3-rc.1", "1.2.3-beta.2", true),
            ("!=1.2.3-rc.1", "1.2.3", true),
            ("!=1.2.3-rc.1", "1.2.4", true),
            ("!=1.2.3-rc.1", "1.3.0", true),
            ("!=1.2.3-rc.1", "0.0.5", true),
            ("!=1.2.3-rc.1", "0.1.0", true),
            ("!=1.2.3-rc.1", "2.1.9", true),
            ("!=1.2.3-rc.1", "3.0.0-rc.1", true),
            ("!=1.2.3-rc.1", "1.4.5", true),
            ("!=1.2.3-rc.1", "1.4.6-0", true),
            ("!=1.2.3-rc.1", "1.2.3-alpha.2", true),
            ("!=1.2.3-rc.1", "0.9.0", true),
            ("!=1.2.3-rc.1", "1.2.0", true),
            ("!=1.2.3-rc.1", "1.1.9", true),
            ("1.2.3 - 1.4.5", "1.21.0", false),
            ("1.2.3 - 1.4.5", "v1.28.3-gke.1286000", false),
            ("1.2.3 - 1.4.5", "1.2.3-beta.2", false),
            ("1.2.3 - 1.4.5", "1.2.3", true),
            ("1.2.3 - 1.4.5", "1.2.4", true),
            ("1.2.3 - 1.4.5", "1.3.0", true),
            ("1.2.3 - 1.4.5", "0.0.5", false),
            ("1.2.3 - 1.4.5", "0.1.0", false),
            ("1.2.3 - 1.4.5", "2.1.9", false),
            ("1.2.3 - 1.4.5", "3.0.0-rc.1", false),
            ("1.2.3 - 1.4.5", "1.4.5", true),
            ("1.2.3 - 1.4.5", "1.4.6-0", false),
            ("1.2.3 - 1.4.5", "1.2.3-alpha.2", false),
            ("1.2.3 - 1.4.5", "0.9.0", false),
            ("1.2.3 - 1.4.5", "1.2.0", false),
            ("1.2.3 - 1.4.5", "1.1.9", false),
            (">1.2.3-alpha <1.2.3", "1.21.0", false),
            (">1.2.3-alpha <1.2.3", "v1.28.3-gke.1286000", false),
            (">1.2.3-alpha <1.2.3", "1.2.3-beta.2", true),
            (">1.2.3-alpha <1.2.3", "1.2.3", false),
            (">1.2.3-alpha <1.2.3", "1.2.4", false),
            (">1.2.3-alpha <1.2.3", "1.3.0", false),
            (">1.2.3-alpha <1.2.3", "0.0.5", false),
            (">1.2.3-alpha <1.2.3", "0.1.0", false),
            (">1.2.3-alpha <1.2.3", "2.1.9", false),
            (">1.2.3-alpha <1.2.3", "3.0.0-rc.1", false),
            (">1.2.3-alpha <1.2.3", "1.4.5", false),
            (">1.2.3-alpha <1.2.3", "1.4.6-0", false),
            (">1.2.3-alpha <1.2.3", "1.2.3-alpha.2", true),
            (">1.2.3-alpha <1.2.3", "0.9.0", false),
            (">1.2.3-alpha <1.2.3", "1.2.0", false),
            (">1.2.3-alpha <1.2.3", "1.1.9", false),
            ("^0.0", "1.21.0", false),
            ("^0.0", "v1.28.3-gke.1286000", false),
            ("^0.0", "1.2.3-beta.2", false),
            ("^0.0", "1.2.3", false),
            ("^0.0", "1.2.4", false),
            ("^0.0", "1.3.0", false),
            ("^0.0", "0.0.5", true),
            ("^0.0", "0.1.0", false),
            ("^0.0", "2.1.9", false),
            ("^0.0", "3.0.0-rc.1", false),
            ("^0.0", "1.4.5", false),
            ("^0.0", "1.4.6-0", false),
            ("^0.0", "1.2.3-alpha.2", false),
            ("^0.0", "0.9.0", false),
            ("^0.0", "1.2.0", false),
            ("^0.0", "1.1.9", false),
            ("^0", "1.21.0", false),
            ("^0", "v1.28.3-gke.1286000", false),
            ("^0", "1.2.3-beta.2", false),
            ("^0", "1.2.3", false),
            ("^0", "1.2.4", false),
            ("^0", "1.3.0", false),
            ("^0", "0.0.5", true),
            ("^0", "0.1.0", true),
            ("^0", "2.1.9", false),
            ("^0", "3.0.0-rc.1", false),
            ("^0", "1.4.5", false),
            ("^0", "1.4.6-0", false),
            ("^0", "1.2.3-alpha.2", false),
            ("^0", "0.9.0", true),
            ("^0", "1.2.0", false),
            ("^0", "1.1.9", false),
            ("~0", "1.21.0", false),
            ("~0", "v1.28.3-gke.1286000", false),
            ("~0", "1.2.3-beta.2", false),
            ("~0", "1.2.3", false),
            ("~0", "1.2.4", false),
            ("~0", "1.3.0", false),
            ("~0", "0.0.5", true),
            ("~0", "0.1.0", true),
            ("~0", "2.1.9", false),
            ("~0", "3.0.0-rc.1", false),
            ("~0", "1.4.5", false),
            ("~0", "1.4.6-0", false),
            ("~0", "1.2.3-alpha.2", false),
            ("~0", "0.9.0", true),
            ("~0", "1.2.0", false),
            ("~0", "1.1.9", false),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.21.0", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "v1.28.3-gke.1286000", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.2.3-beta.2", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.2.3", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.2.4", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.3.0", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "0.0.5", false),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "0.1.0", false),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "2.1.9", false),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "3.0.0-rc.1", false),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.4.5", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.4.6-0", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.2.3-alpha.2", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "0.9.0", false),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.2.0", true),
            (">=1.0.0-0 <2.0.0-0 || >=3.0.0", "1.1.9", true),
            ("=1.2", "1.21.0", false),
            ("=1.2", "v1.28.3-gke.1286000", false),
            ("=1.2", "1.2.3-beta.2", false),
            ("=1.2", "1.2.3", true),
            ("=1.2", "1.2.4", true),
            ("=1.2", "1.3.0", false),
            ("=1.2", "0.0.5", false),
            ("=1.2", "0.1.0", false),
            ("=1.2", "2.1.9", false),
            ("=1.2", "3.0.0-rc.1", false),
            ("=1.2", "1.4.5", false),
            ("=1.2", "1.4.6-0", false),
            ("=1.2", "1.2.3-alpha.2", false),
            ("=1.2", "0.9.0", false),
            ("=1.2", "1.2.0", true),
            ("=1.2", "1.1.9", false),
            ("<=1.2.3-beta.2", "1.21.0", false),
            ("<=1.2.3-beta.2", "v1.28.3-gke.1286000", false),
            ("<=1.2.3-beta.2", "1.2.3-beta.2", true),
            ("<=1.2.3-beta.2", "1.2.3", false),
            ("<=1.2.3-beta.2", "1.2.4", false),
            ("<=1.2.3-beta.2", "1.3.0", false),
            ("<=1.2.3-beta.2", "0.0.5", true),
            ("<=1.2.3-beta.2", "0.1.0", true),
            ("<=1.2.3-beta.2", "2.1.9", false),
            ("<=1.2.3-beta.2", "3.0.0-rc.1", false),
            ("<=1.2.3-beta.2", "1.4.5", false),
            ("<=1.2.3-beta.2", "1.4.6-0", false),
            ("<=1.2.3-beta.2", "1.2.3-alpha.2", true),
            ("<=1.2.3-beta.2", "0.9.0", true),
            ("<=1.2.3-beta.2", "1.2.0", true),
            ("<=1.2.3-beta.2", "1.1.9", true),
            ("1.x || 2.1.*", "1.21.0", true),
            ("1.x || 2.1.*", "v1.28.3-gke.1286000", false),
            ("1.x || 2.1.*", "1.2.3-beta.2", false),
            ("1.x || 2.1.*", "1.2.3", true),
            ("1.x || 2.1.*", "1.2.4", true),
            ("1.x || 2.1.*", "1.3.0", true),
            ("1.x || 2.1.*", "0.0.5", false),
            ("1.x || 2.1.*", "0.1.0", false),
            ("1.x || 2.1.*", "2.1.9", true),
            ("1.x || 2.1.*", "3.0.0-rc.1", false),
            ("1.x || 2.1.*", "1.4.5", true),
            ("1.x || 2.1.*", "1.4.6-0", false),
            ("1.x || 2.1.*", "1.2.3-alpha.2", false),
            ("1.x || 2.1.*", "0.9.0", false),
            ("1.x || 2.1.*", "1.2.0", true),
            ("1.x || 2.1.*", "1.1.9", true),
            (">0.x", "1.21.0", true),
            (">0.x", "v1.28.3-gke.1286000", false),
            (">0.x", "1.2.3-beta.2", false),
            (">0.x", "1.2.3", true),
            (">0.x", "1.2.4", true),
            (">0.x", "1.3.0", true),
            (">0.x", "0.0.5", false),
            (">0.x", "0.1.0", false),
            (">0.x", "2.1.9", true),
            (">0.x", "3.0.0-rc.1", false),
            (">0.x", "1.4.5", true),
            (">0.x", "1.4.6-0", false),
            (">0.x", "1.2.3-alpha.2", false),
            (">0.x", "0.9.0", false),
            (">0.x", "1.2.0", true),
            (">0.x", "1.1.9", true),
            ("!=1.x", "1.21.0", false),
            ("!=1.x", "v1.28.3-gke.1286000", false),
            ("!=1.x", "1.2.3-beta.2", false),
            ("!=1.x", "1.2.3", false),
            ("!=1.x", "1.2.4", false),
            ("!=1.x", "1.3.0", false),
            ("!=1.x", "0.0.5", true),
            ("!=1.x", "0.1.0", true),
            ("!=1.x", "2.1.9", true),
            ("!=1.x", "3.0.0-rc.1", false),
            ("!=1.x", "1.4.5", false),
            ("!=1.x", "1.4.6-0", false),
            ("!=1.x", "1.2.3-alpha.2", false),
            ("!=1.x", "0.9.0", true),
            ("!=1.x", "1.2.0", false),
            ("!=1.x", "1.1.9", false),
            ("v1.2.x", "1.21.0", false),
            ("v1.2.x", "v1.28.3-gke.1286000", false),
            ("v1.2.x", "1.2.3-beta.2", false),
            ("v1.2.x", "1.2.3", true),
            ("v1.2.x", "1.2.4", true),
            ("v1.2.x", "1.3.0", false),
            ("v1.2.x", "0.0.5", false),
            ("v1.2.x", "0.1.0", false),
            ("v1.2.x", "2.1.9", false),
            ("v1.2.x", "3.0.0-rc.1", false),
            ("v1.2.x", "1.4.5", false),
            ("v1.2.x", "1.4.6-0", false),
            ("v1.2.x", "1.2.3-alpha.2", false),
            ("v1.2.x", "0.9.0", false),
            ("v1.2.x", "1.2.0", true),
            ("v1.2.x", "1.1.9", false),
            ("~>1.2", "1.21.0", false),
            ("~>1.2", "v1.28.3-gke.1286000", false),
            ("~>1.2", "1.2.3-beta.2", false),
            ("~>1.2", "1.2.3", true),
            ("~>1.2", "1.2.4", true),
            ("~>1.2", "1.3.0", false),
            ("~>1.2", "0.0.5", false),
            ("~>1.2", "0.1.0", false),
            ("~>1.2", "2.1.9", false),
            ("~>1.2", "3.0.0-rc.1", false),
            ("~>1.2", "1.4.5", false),
            ("~>1.2", "1.4.6-0", false),
            ("~>1.2", "1.2.3-alpha.2", false),
            ("~>1.2", "0.9.0", false),
            ("~>1.2", "1.2.0", true),
            ("~>1.2", "1.1.9", false),
            (">= 1.19-0, < 1.26-0", "1.21.0", true),
            (">= 1.19-0, < 1.26-0", "v1.28.3-gke.1286000", false),
            (">= 1.19-0, < 1.26-0", "1.2.3-beta.2", false),
            (">= 1.19-0, < 1.26-0", "1.2.3", false),
            (">= 1.19-0, < 1.26-0", "1.2.4", false),
            (">= 1.19-0, < 1.26-0", "1.3.0", false),
            (">= 1.19-0, < 1.26-0", "0.0.5", false),
            (">= 1.19-0, < 1.26-0", "0.1.0", false),
            (">= 1.19-0, < 1.26-0", "2.1.9", false),
            (">= 1.19-0, < 1.26-0", "3.0.0-rc.1", false),
            (">= 1.19-0, < 1.26-0", "1.4.5", false),
            (">= 1.19-0, < 1.26-0", "1.4.6-0", false),
            (">= 1.19-0, < 1.26-0", "1.2.3-alpha.2", false),
            (">= 1.19-0, < 1.26-0", "0.9.0", false),
            (">= 1.19-0, < 1.26-0", "1.2.0", false),
            (">= 1.19-0, < 1.26-0", "1.1.9", false),
            ("<1.2.x", "1.21.0", false),
            ("<1.2.x", "v1.28.3-gke.1286000", false),
            ("<1.2.x", "1.2.3-beta.2", false),
            ("<1.2.x", "1.2.3", false),
            ("<1.2.x", "1.2.4", false),
            ("<1.2.x", "1.3.0", false),
            ("<1.2.x", "0.0.5", true),
            ("<1.2.x", "0.1.0", true),
            ("<1.2.x", "2.1.9", false),
            ("<1.2.x", "3.0.0-rc.1", false),
            ("<1.2.x", "1.4.5", false),
            ("<1.2.x", "1.4.6-0", false),
            ("<1.2.x", "1.2.3-alpha.2", false),
            ("<1.2.x", "0.9.0", true),
            ("<1.2.x", "1.2.0", false),
            ("<1.2.x", "1.1.9", true),
            (">=1.2.x", "1.21.0", true),
            (">=1.2.x", "v1.28.3-gke.1286000", false),
            (">=1.2.x", "1.2.3-beta.2", false),
            (">=1.2.x", "1.2.3", true),
            (">=1.2.x", "1.2.4", true),
            (">=1.2.x", "1.3.0", true),
            (">=1.2.x", "0.0.5", false),
            (">=1.2.x", "0.1.0", false),
            (">=1.2.x", "2.1.9", true),
            (">=1.2.x", "3.0.0-rc.1", false),
            (">=1.2.x", "1.4.5", true),
            (">=1.2.x", "1.4.6-0", false),
            (">=1.2.x", "1.2.3-alpha.2", false),
            (">=1.2.x", "0.9.0", false),
            (">=1.2.x", "1.2.0", true),
            (">=1.2.x", "1.1.9", false),
            ("^1.x", "1.21.0", true),
            ("^1.x", "v1.28.3-gke.1286000", false),
            ("^1.x", "1.2.3-beta.2", false),
            ("^1.x", "1.2.3", true),
            ("^1.x", "1.2.4", true),
            ("^1.x", "1.3.0", true),
            ("^1.x", "0.0.5", false),
            ("^1.x", "0.1.0", false),
            ("^1.x", "2.1.9", false),
            ("^1.x", "3.0.0-rc.1", false),
            ("^1.x", "1.4.5", true),
            ("^1.x", "1.4.6-0", false),
            ("^1.x", "1.2.3-alpha.2", false),
            ("^1.x", "0.9.0", false),
            ("^1.x", "1.2.0", true),
            ("^1.x", "1.1.9", true),
            ("~1.x-0", "1.21.0", true),
            ("~1.x-0", "v1.28.3-gke.1286000", true),
            ("~1.x-0", "1.2.3-beta.2", true),
            ("~1.x-0", "1.2.3", true),
            ("~1.x-0", "1.2.4", true),
            ("~1.x-0", "1.3.0", true),
            ("~1.x-0", "0.0.5", false),
            ("~1.x-0", "0.1.0", false),
            ("~1.x-0", "2.1.9", false),
            ("~1.x-0", "3.0.0-rc.1", false),
            ("~1.x-0", "1.4.5", true),
            ("~1.x-0", "1.4.6-0", true),
            ("~1.x-0", "1.2.3-alpha.2", true),
            ("~1.x-0", "0.9.0", false),
            ("~1.x-0", "1.2.0", true),
            ("~1.x-0", "1.1.9", true),
            (">1.2.3-0", "1.21.0", true),
            (">1.2.3-0", "v1.28.3-gke.1286000", true),
            (">1.2.3-0", "1.2.3-beta.2", true),
            (">1.2.3-0", "1.2.3", true),
            (">1.2.3-0", "1.2.4", true),
            (">1.2.3-0", "1.3.0", true),
            (">1.2.3-0", "0.0.5", false),
            (">1.2.3-0", "0.1.0", false),
            (">1.2.3-0", "2.1.9", true),
            (">1.2.3-0", "3.0.0-rc.1", true),
            (">1.2.3-0", "1.4.5", true),
            (">1.2.3-0", "1.4.6-0", true),
            (">1.2.3-0", "1.2.3-alpha.2", true),
            (">1.2.3-0", "0.9.0", false),
            (">1.2.3-0", "1.2.0", false),
            (">1.2.3-0", "1.1.9", false),
        ];
        let mut wrong = Vec::new();
        for (c, v, want) in cases {
            if cmp(c, v) != Ok(*want) {
                wrong.push(format!("{c:?} {v:?}: want {want}, got {:?}", cmp(c, v)));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
