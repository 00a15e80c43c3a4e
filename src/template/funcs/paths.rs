//! Sprig's path functions: `base`, `dir`, `clean`, `ext`, `isAbs` (Go's slash-separated
//! `path` package) and their `os*` twins (`path/filepath`, identical on the Unix systems
//! Helm renders on).

use super::convert::{expect_args, expect_string};
use super::FuncMap;
use crate::template::value::{FuncError, Value};

/// Register the path functions.
pub fn register(map: &mut FuncMap) {
    map.insert("base", base);
    map.insert("dir", dir);
    map.insert("clean", clean);
    map.insert("ext", ext);
    map.insert("isAbs", is_abs);
    map.insert("osBase", base);
    map.insert("osDir", dir);
    map.insert("osClean", clean);
    map.insert("osExt", ext);
    map.insert("osIsAbs", is_abs);
}

/// Go `path.Clean`: collapse `//`, drop `.`, resolve `..` lexically; "" becomes ".".
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go `path.Base`: the last element, trailing slashes ignored; "" is "." and "///" is "/".
pub fn base_name(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// Go `path.Dir`: everything up to the last slash, cleaned.
pub fn dir_name(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean_path(&path[..cut])
}

/// Go `path.Ext`: from the last `.` in the final element, or "".
pub fn extension(path: &str) -> String {
    for (i, b) in path.bytes().enumerate().rev() {
        match b {
            b'/' => break,
            b'.' => return path[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

fn one_string<'a>(name: &str, args: &'a [Value]) -> Result<std::borrow::Cow<'a, str>, FuncError> {
    expect_args(name, args, 1)?;
    expect_string(name, &args[0])
}

fn base(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(base_name(&one_string("base", args)?)))
}

fn dir(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(dir_name(&one_string("dir", args)?)))
}

fn clean(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(clean_path(&one_string("clean", args)?)))
}

fn ext(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(extension(&one_string("ext", args)?)))
}

fn is_abs(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(one_string("isAbs", args)?.starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        for (input, want) in [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a", "../../a"),
            ("a/../..", ".."),
            ("//a//b/./", "/a/b"),
            ("/", "/"),
            (".", "."),
            ("a/..", "."),
        ] {
            assert_eq!(clean_path(input), want, "clean {input:?}");
        }
    }

    #[test]
    fn base_dir_ext_like_go() {
        assert_eq!(base_name("/a/b.txt"), "b.txt");
        assert_eq!(base_name("a/b/"), "b");
        assert_eq!(base_name("///"), "/");
        assert_eq!(base_name(""), ".");
        assert_eq!(dir_name("/a/b.txt"), "/a");
        assert_eq!(dir_name("b.txt"), ".");
        assert_eq!(dir_name("/"), "/");
        assert_eq!(dir_name("a//b//c"), "a/b");
        assert_eq!(extension("x/archive.tar.gz"), ".gz");
        assert_eq!(extension("a.d/b"), "");
        assert_eq!(extension("noext"), "");
        assert_eq!(is_abs(&[Value::str("/x")]), Ok(Value::Bool(true)));
        assert_eq!(is_abs(&[Value::str("x")]), Ok(Value::Bool(false)));
    }
}
