//! Registration of the first half of Sprig as Helm exposes it: strings, regular expressions,
//! conversions, defaults and flow control, reflection, paths, semantic versions and URLs.
//! (`env` and `expandenv` are deliberately absent: Helm removes them.)

use super::{conversion, defaults, paths, reflect, regex, semver, strings, url, FuncMap};

/// Add every part-A Sprig function to `map`.
pub fn register_sprig_a(map: &mut FuncMap) {
    strings::register(map);
    regex::register(map);
    conversion::register(map);
    defaults::register(map);
    reflect::register(map);
    paths::register(map);
    semver::register(map);
    url::register(map);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::funcs::Function;
    use crate::template::value::Value;

    fn call(map: &FuncMap, name: &str, args: &[Value]) -> Value {
        match map.get(name) {
            Some(Function::Native(f)) => match f(args) {
                Ok(v) => v,
                Err(e) => panic!("{name}{args:?}: {}", e.message),
            },
            _ => panic!("{name} is not registered"),
        }
    }

    /// Our value as `toJson` would see it, for comparing with helm's JSON.
    fn to_json(v: &Value) -> serde_json::Value {
        match v {
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i, _) => serde_json::Value::from(*i),
            Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), to_json(v)))
                    .collect(),
            ),
            other => serde_json::Value::String(other.to_string()),
        }
    }

    /// Every function of Sprig's `genericMap` that belongs to this half (Helm drops `env`
    /// and `expandenv`).
    #[test]
    fn registers_every_part_a_function() {
        let mut map = FuncMap::new();
        register_sprig_a(&mut map);
        let names = [
            "hello",
            "abbrev",
            "abbrevboth",
            "trunc",
            "trim",
            "upper",
            "lower",
            "title",
            "untitle",
            "substr",
            "repeat",
            "trimall",
            "trimAll",
            "trimSuffix",
            "trimPrefix",
            "nospace",
            "initials",
            "swapcase",
            "snakecase",
            "camelcase",
            "kebabcase",
            "wrap",
            "wrapWith",
            "contains",
            "hasPrefix",
            "hasSuffix",
            "quote",
            "squote",
            "cat",
            "indent",
            "nindent",
            "replace",
            "plural",
            "toString",
            "atoi",
            "int64",
            "int",
            "float64",
            "toDecimal",
            "split",
            "splitList",
            "splitn",
            "toStrings",
            "join",
            "sortAlpha",
            "default",
            "empty",
            "coalesce",
            "all",
            "any",
            "ternary",
            "typeOf",
            "typeIs",
            "typeIsLike",
            "kindOf",
            "kindIs",
            "deepEqual",
            "base",
            "dir",
            "clean",
            "ext",
            "isAbs",
            "osBase",
            "osClean",
            "osDir",
            "osExt",
            "osIsAbs",
            "semver",
            "semverCompare",
            "fail",
            "regexMatch",
            "mustRegexMatch",
            "regexFindAll",
            "mustRegexFindAll",
            "regexFind",
            "mustRegexFind",
            "regexReplaceAll",
            "mustRegexReplaceAll",
            "regexReplaceAllLiteral",
            "mustRegexReplaceAllLiteral",
            "regexSplit",
            "mustRegexSplit",
            "regexQuoteMeta",
            "urlParse",
            "urlJoin",
        ];
        for name in names {
            assert!(map.contains(name), "{name} missing");
        }
        assert_eq!(map.names().count(), names.len());
        assert!(!map.contains("env") && !map.contains("expandenv"));
    }

    /// Calls whose expected results are `helm template` output (Helm 4.1.4) of
    /// `{{ FUNC ARGS… | toJson }}`.
    #[test]
    fn matches_helm_outputs() {
        let mut map = FuncMap::new();
        register_sprig_a(&mut map);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        ("regexReplaceAll", vec![Value::str("(\\w+)@(\\w+)\\.com"), Value::str("bob@example.com, al@x.com"), Value::str("$2:$1")], "\"example:bob, x:al\""),
        ("regexReplaceAll", vec![Value::str("(?P<y>\\d{4})-(?P<m>\\d{2})"), Value::str("2024-05 and 1999-12"), Value::str("${m}/$y")], "\"05/2024 and 12/1999\""),
        ("regexReplaceAll", vec![Value::str("x*"), Value::str("abc"), Value::str("-")], "\"-a-b-c-\""),
        ("regexReplaceAll", vec![Value::str("[^a-zA-Z0-9-_.]+"), Value::str("v1.2.3+build/meta data"), Value::str(" ")], "\"v1.2.3 build meta data\""),
        ("regexReplaceAll", vec![Value::str("(a)|b"), Value::str("ab"), Value::str("[$1]")], "\"[a][]\""),
        ("regexReplaceAll", vec![Value::str("\u{e9}"), Value::str("caf\u{e9} \u{e9}"), Value::str("$0$0")], "\"caf\u{e9}\u{e9} \u{e9}\u{e9}\""),
        ("regexReplaceAll", vec![Value::str("(?i)HELLO"), Value::str("hello Hello"), Value::str("bye")], "\"bye bye\""),
        ("regexReplaceAll", vec![Value::str("^"), Value::str("a\nb"), Value::str("> ")], "\"\\u003e a\\nb\""),
        ("regexReplaceAll", vec![Value::str("(?m)^"), Value::str("a\nb"), Value::str("> ")], "\"\\u003e a\\n\\u003e b\""),
        ("regexReplaceAll", vec![Value::str("\\s+"), Value::str("a \t\n b"), Value::str("_")], "\"a_b\""),
        ("regexReplaceAllLiteral", vec![Value::str("\\."), Value::str("a.b.c"), Value::str("$1")], "\"a$1b$1c\""),
        ("mustRegexReplaceAllLiteral", vec![Value::str("@sha.*"), Value::str("v1.0@sha256:abc"), Value::str("")], "\"v1.0\""),
        ("regexFind", vec![Value::str("[0-9]+\\.[0-9]+"), Value::str("version 10.25.3")], "\"10.25\""),
        ("regexFind", vec![Value::str("\\bfoo\\b"), Value::str("afoo foo")], "\"foo\""),
        ("regexSplit", vec![Value::str(",\\s*"), Value::str("a, b,c,,d"), Value::int(-1)], "[\"a\",\"b\",\"c\",\"\",\"d\"]"),
        ("regexSplit", vec![Value::str(""), Value::str("h\u{e9}llo"), Value::int(3)], "[\"h\",\"\u{e9}\",\"llo\"]"),
        ("regexSplit", vec![Value::str("x*"), Value::str("axbxxc"), Value::int(-1)], "[\"a\",\"b\",\"c\"]"),
        ("regexSplit", vec![Value::str("^"), Value::str("abc"), Value::int(-1)], "[\"abc\"]"),
        ("regexFindAll", vec![Value::str("."), Value::str("h\u{e9}llo"), Value::int(-1)], "[\"h\",\"\u{e9}\",\"l\",\"l\",\"o\"]"),
        ("regexFindAll", vec![Value::str("\\d*"), Value::str("a12b"), Value::int(-1)], "[\"\",\"12\",\"\"]"),
        ("regexFindAll", vec![Value::str("(?U)a+"), Value::str("aaa"), Value::int(-1)], "[\"a\",\"a\",\"a\"]"),
        ("regexQuoteMeta", vec![Value::str("[a-z]+ (x|y)$ ^ \\ {2}")], "\"\\\\[a-z\\\\]\\\\+ \\\\(x\\\\|y\\\\)\\\\$ \\\\^ \\\\\\\\ \\\\{2\\\\}\""),
        ("wrap", vec![Value::int(10), Value::str("The quick brown fox jumps over the lazy dog")], "\"The quick\\nbrown fox\\njumps over\\nthe lazy\\ndog\""),
        ("wrap", vec![Value::int(4), Value::str("  lead spaces and averyveryverylongword here")], "\"lead\\nspaces\\nand\\naveryveryverylongword\\nhere\""),
        ("wrapWith", vec![Value::int(6), Value::str("<br>"), Value::str("The quick brown foxjumpsover")], "\"The\\u003cbr\\u003equick\\u003cbr\\u003ebrown\\u003cbr\\u003efoxjum\\u003cbr\\u003epsover\""),
        ("abbrev", vec![Value::int(7), Value::str("kubernetes")], "\"kube...\""),
        ("abbrevboth", vec![Value::int(3), Value::int(8), Value::str("abcdefghijklmno")], "\"abcde...\""),
        ("abbrevboth", vec![Value::int(10), Value::int(8), Value::str("abcdefghijklmno")], "\"...klmno\""),
        ("abbrevboth", vec![Value::int(-2), Value::int(8), Value::str("abcdefghijklmno")], "\"abcde...\""),
        ("trunc", vec![Value::int(63), Value::str("a-very-long-release-name-that-goes-well-beyond-the-sixty-three-character-limit")], "\"a-very-long-release-name-that-goes-well-beyond-the-sixty-three-\""),
        ("quote", vec![Value::str("tab\there \"q\" \\ back \u{e9} \u{65e5}\u{672c} \u{2028} \u{feff} \u{1f600} \u{300}")], "\"\\\"tab\\\\there \\\\\\\"q\\\\\\\" \\\\\\\\ back \u{e9} \u{65e5}\u{672c} \\\\u2028 \\\\ufeff \u{1f600} \u{300}\\\"\""),
        ("squote", vec![Value::str("it's")], "\"'it's'\""),
        ("nospace", vec![Value::str("a\u{a0}b c")], "\"a\u{c2}bc\""),
        ("trimAll", vec![Value::str("-_"), Value::str("--_x-y_--")], "\"x-y\""),
        ("trim", vec![Value::str("\u{a0} x \u{3000}")], "\"x\""),
        ("replace", vec![Value::str("ab"), Value::str("X"), Value::str("aabbab")], "\"aXbX\""),
        ("splitList", vec![Value::str("::"), Value::str("a::b:::c")], "[\"a\",\"b\",\":c\"]"),
        ("indent", vec![Value::int(3), Value::str("")], "\"   \""),
        ("nindent", vec![Value::int(2), Value::str("x\n\ny")], "\"\\n  x\\n  \\n  y\""),
        ("substr", vec![Value::int(2), Value::int(-1), Value::str("h\u{e9}llo")], "\"\\ufffdllo\""),
        ("title", vec![Value::str("o'neil mc-donald x_y 1st")], "\"O'Neil Mc-Donald X_y 1st\""),
        ("untitle", vec![Value::str("ABC DEF")], "\"aBC dEF\""),
        ("urlParse", vec![Value::str("https://user@h.example.com/p%2Fq?a=b#x")], "{\"fragment\":\"x\",\"host\":\"h.example.com\",\"hostname\":\"h.example.com\",\"opaque\":\"\",\"path\":\"/p/q\",\"query\":\"a=b\",\"scheme\":\"https\",\"userinfo\":\"user\"}"),
        ("urlParse", vec![Value::str("file:///etc/hosts")], "{\"fragment\":\"\",\"host\":\"\",\"hostname\":\"\",\"opaque\":\"\",\"path\":\"/etc/hosts\",\"query\":\"\",\"scheme\":\"file\",\"userinfo\":\"\"}"),
        ("urlParse", vec![Value::str("//x/y?")], "{\"fragment\":\"\",\"host\":\"x\",\"hostname\":\"x\",\"opaque\":\"\",\"path\":\"/y\",\"query\":\"\",\"scheme\":\"\",\"userinfo\":\"\"}"),
        ("dir", vec![Value::str("/a/b/")], "\"/a/b\""),
        ("base", vec![Value::str("/")], "\"/\""),
        ("clean", vec![Value::str("./a/./b/")], "\"a/b\""),
        ("ext", vec![Value::str(".bashrc")], "\".bashrc\""),
        ];
        let mut wrong = Vec::new();
        for (name, args, want) in &cases {
            let want: serde_json::Value = serde_json::from_str(want).unwrap();
            let got = to_json(&call(&map, name, args));
            if got != want {
                wrong.push(format!("{name}{args:?}: want {want}, got {got}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
