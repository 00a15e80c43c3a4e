//! Sprig's `urlParse` and `urlJoin`, built on a port of the parts of Go's `net/url` they
//! use (`Parse`, `Hostname`, `Userinfo.String`, `URL.String`), so the dictionary keys and
//! the escaping match Helm's output.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::convert::{expect_args, string_arg};
use super::strings::go_quote;
use super::FuncMap;
use crate::template::value::{FuncError, Map, Value};

/// Register `urlParse` and `urlJoin`.
pub fn register(map: &mut FuncMap) {
    map.insert("urlParse", url_parse);
    map.insert("urlJoin", url_join);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

/// Go's `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::QueryComponent => return true,
            Mode::Fragment => return false,
            Mode::Host | Mode::Zone => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`; errors are Go's `EscapeError` / `InvalidHostError` texts.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut needs_work = false;
    while i < b.len() {
        match b[i] {
            b'%' => {
                needs_work = true;
                if i + 2 >= b.len()
                    || !b[i + 1].is_ascii_hexdigit()
                    || !b[i + 2].is_ascii_hexdigit()
                {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&b[i..end]))
                    ));
                }
                let escape = &s[i..i + 3];
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && escape != "%25" {
                    return Err(format!("invalid URL escape {}", go_quote(escape)));
                }
                if mode == Mode::Zone {
                    let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                    if escape != "%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(format!("invalid URL escape {}", go_quote(escape)));
                    }
                }
                i += 3;
            }
            b'+' => {
                needs_work |= mode == Mode::QueryComponent;
                i += 1;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&s[i..i + 1])
                    ));
                }
                i += 1;
            }
        }
    }
    if !needs_work {
        return Ok(s.to_string());
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                out.push(unhex(b[i + 1]) << 4 | unhex(b[i + 2]));
                i += 3;
            }
            b'+' if mode == Mode::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `escape`.
fn escape(s: &str, mode: Mode) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c == b' ' && mode == Mode::QueryComponent {
            out.push('+');
        } else if should_escape(c, mode) {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 15)]));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

/// `url.Userinfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Userinfo {
    pub username: String,
    pub password: Option<String>,
}

impl Userinfo {
    /// `Userinfo.String`: the escaped `user[:password]`.
    fn encoded(&self) -> String {
        let mut s = escape(&self.username, Mode::UserPassword);
        if let Some(p) = &self.password {
            s.push(':');
            s.push_str(&escape(p, Mode::UserPassword));
        }
        s
    }
}

/// The fields of Go's `url.URL` that Sprig reads or writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub opaque: String,
    pub user: Option<Userinfo>,
    pub host: String,
    pub path: String,
    pub raw_path: String,
    pub force_query: bool,
    pub raw_query: String,
    pub fragment: String,
    pub raw_fragment: String,
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".into());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go 1.25 only accepts IPv6 addresses (with an optional zone) between brackets.
fn check_ip_literal(inner: &str) -> Result<(), String> {
    let addr = inner.split_once('%').map_or(inner, |(a, _)| a);
    if addr.parse::<Ipv6Addr>().is_ok() {
        return Ok(());
    }
    if addr.parse::<Ipv4Addr>().is_ok() {
        return Err("invalid IP-literal".into());
    }
    Err(format!(
        "invalid host: ParseAddr({}): unable to parse IP",
        go_quote(inner)
    ))
}

fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let i = host
            .rfind(']')
            .ok_or_else(|| "missing ']' in host".to_string())?;
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
        let result = match host[..i].find("%25") {
            Some(zone) => {
                let a = unescape(&host[..zone], Mode::Host)?;
                let b = unescape(&host[zone..i], Mode::Zone)?;
                let c = unescape(&host[i..], Mode::Host)?;
                a + &b + &c
            }
            None => unescape(host, Mode::Host)?,
        };
        let close = result.rfind(']').unwrap_or(result.len());
        check_ip_literal(result.get(1..close).unwrap_or(""))?;
        return Ok(result);
    }
    if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

fn parse_authority(authority: &str) -> Result<(Option<Userinfo>, String), String> {
    let at = authority.rfind('@');
    let host = parse_host(match at {
        Some(i) => &authority[i + 1..],
        None => authority,
    })?;
    let Some(i) = at else {
        return Ok((None, host));
    };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.split_once(':') {
        None => Userinfo {
            username: unescape(userinfo, Mode::UserPassword)?,
            password: None,
        },
        Some((name, password)) => Userinfo {
            username: unescape(name, Mode::UserPassword)?,
            password: Some(unescape(password, Mode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

impl Url {
    /// Go `url.Parse`; the error text is Go's (`parse "…": …`).
    pub fn parse(raw: &str) -> Result<Url, String> {
        let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
        let mut url =
            Url::parse_without_fragment(u).map_err(|e| format!("parse {}: {e}", go_quote(u)))?;
        if !frag.is_empty() {
            url.fragment = unescape(frag, Mode::Fragment)
                .map_err(|e| format!("parse {}: {e}", go_quote(raw)))?;
            if escape(&url.fragment, Mode::Fragment) != frag {
                url.raw_fragment = frag.to_string();
            }
        }
        Ok(url)
    }

    fn parse_without_fragment(raw: &str) -> Result<Url, String> {
        if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
            return Err("net/url: invalid control character in URL".into());
        }
        let mut url = Url::default();
        if raw == "*" {
            url.path = "*".into();
            return Ok(url);
        }
        let (scheme, rest) = get_scheme(raw)?;
        url.scheme = scheme.to_ascii_lowercase();
        let mut rest = rest;
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            url.force_query = true;
            rest = &rest[..rest.len() - 1];
        } else if let Some((before, query)) = rest.split_once('?') {
            url.raw_query = query.to_string();
            rest = before;
        }
        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                url.opaque = rest.to_string();
                return Ok(url);
            }
            let segment = rest.split_once('/').map_or(rest, |(s, _)| s);
            if segment.contains(':') {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let authority_and_path = &rest[2..];
            let (authority, path) = match authority_and_path.find('/') {
                Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
                None => (authority_and_path, ""),
            };
            let (user, host) = parse_authority(authority)?;
            url.user = user;
            url.host = host;
            rest = path;
        }
        url.path = unescape(rest, Mode::Path)?;
        if escape(&url.path, Mode::Path) != rest {
            url.raw_path = rest.to_string();
        }
        Ok(url)
    }

    /// Go `URL.Hostname`: the host without a valid port and without IPv6 brackets.
    pub fn hostname(&self) -> &str {
        let mut host = self.host.as_str();
        if let Some(colon) = host.rfind(':') {
            if valid_optional_port(&host[colon..]) {
                host = &host[..colon];
            }
        }
        if host.starts_with('[') && host.ends_with(']') && host.len() >= 2 {
            host = &host[1..host.len() - 1];
        }
        host
    }

    /// A valid escaping of `path` or `fragment` as given (Go's `validEncoded`).
    fn valid_encoded(s: &str, mode: Mode) -> bool {
        s.bytes().all(|c| {
            matches!(
                c,
                b'!' | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'['
                    | b']'
                    | b'%'
            ) || !should_escape(c, mode)
        })
    }

    fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && Url::valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".into();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty()
            && Url::valid_encoded(&self.raw_fragment, Mode::Fragment)
            && unescape(&self.raw_fragment, Mode::Fragment).is_ok_and(|f| f == self.fragment)
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Mode::Fragment)
    }
}

/// Go `URL.String`.
impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if let Some(user) = &self.user {
                    buf.push_str(&user.encoded());
                    buf.push('@');
                }
                if !self.host.is_empty() {
                    buf.push_str(&escape(&self.host, Mode::Host));
                }
            }
            let path = self.escaped_path();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() {
                // A first segment with a colon would read as a scheme: Go adds "./".
                let segment = path.split_once('/').map_or(path.as_str(), |(s, _)| s);
                if segment.contains(':') {
                    buf.push_str("./");
                }
            }
            buf.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.escaped_fragment());
        }
        f.write_str(&buf)
    }
}

fn url_parse(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("urlParse", args, 1)?;
    let raw = string_arg("urlParse", args, 0)?;
    let url = Url::parse(&raw).map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
    let mut dict = Map::new();
    dict.insert("scheme".into(), Value::str(&url.scheme));
    dict.insert("host".into(), Value::str(&url.host));
    dict.insert("hostname".into(), Value::str(url.hostname()));
    dict.insert("path".into(), Value::str(&url.path));
    dict.insert("query".into(), Value::str(&url.raw_query));
    dict.insert("opaque".into(), Value::str(&url.opaque));
    dict.insert("fragment".into(), Value::str(&url.fragment));
    dict.insert(
        "userinfo".into(),
        Value::string(url.user.as_ref().map(Userinfo::encoded).unwrap_or_default()),
    );
    Ok(Value::map(dict))
}

/// Sprig's `dictGetOrEmpty`: a missing key is "", a non-string value is an error.
fn dict_string(dict: &Map, key: &str) -> Result<String, FuncError> {
    match dict.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(other) => Err(FuncError::new(format!(
            "unable to parse {key} key, must be of type string, but {} found",
            super::reflect::kind_name(other)
        ))),
    }
}

fn url_join(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("urlJoin", args, 1)?;
    let Value::Map(dict) = &args[0] else {
        return Err(FuncError::new(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            args[0].type_name()
        )));
    };
    let dict = dict.borrow();
    let mut url = Url {
        scheme: dict_string(&dict, "scheme")?,
        host: dict_string(&dict, "host")?,
        path: dict_string(&dict, "path")?,
        raw_query: dict_string(&dict, "query")?,
        opaque: dict_string(&dict, "opaque")?,
        fragment: dict_string(&dict, "fragment")?,
        ..Url::default()
    };
    let userinfo = dict_string(&dict, "userinfo")?;
    if !userinfo.is_empty() {
        let parsed = Url::parse(&format!("proto://{userinfo}@host"))
            .map_err(|e| FuncError::new(format!("unable to parse userinfo in dict: {e}")))?;
        url.user = parsed.user;
    }
    Ok(Value::string(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> String {
        match url_parse(&[Value::str(raw)]) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    #[test]
    fn url_parse_matches_helm() {
        // Expected values were produced by `helm template` with `urlParse … | toJson`.
        assert_eq!(
            parsed("http://[::1]:80/a%20b?x=1#f%20g"),
            "map[fragment:f g host:[::1]:80 hostname:::1 opaque: path:/a b query:x=1 scheme:http userinfo:]"
        );
        assert_eq!(
            parsed("HTTPS://u:p%40ss@Host.com:8443/p/a/t/h?q=1&b=2"),
            "map[fragment: host:Host.com:8443 hostname:Host.com opaque: path:/p/a/t/h query:q=1&b=2 scheme:https userinfo:u:p%40ss]"
        );
        assert_eq!(
            parsed("mailto:joe@x.com"),
            "map[fragment: host: hostname: opaque:joe@x.com path: query: scheme:mailto userinfo:]"
        );
        assert_eq!(
            parsed("http://1.2.3.4:80:90/"),
            "map[fragment: host:1.2.3.4:80:90 hostname:1.2.3.4:80 opaque: path:/ query: scheme:http userinfo:]"
        );
        assert_eq!(
            parsed("http://[fe80::1%25en0]/"),
            "map[fragment: host:[fe80::1%en0] hostname:fe80::1%en0 opaque: path:/ query: scheme:http userinfo:]"
        );
        assert_eq!(
            parsed("http://u@h@x/"),
            "map[fragment: host:x hostname:x opaque: path:/ query: scheme:http userinfo:u%40h]"
        );
        assert_eq!(
            parsed("http://h/a?b?c"),
            "map[fragment: host:h hostname:h opaque: path:/a query:b?c scheme:http userinfo:]"
        );
        assert_eq!(
            parsed("http://a b"),
            "ERR unable to parse url: parse \"http://a b\": invalid character \" \" in host name"
        );
        assert_eq!(
            parsed("http://a:b"),
            "ERR unable to parse url: parse \"http://a:b\": invalid port \":b\" after host"
        );
        assert_eq!(
            parsed("http://a%41b/"),
            "ERR unable to parse url: parse \"http://a%41b/\": invalid URL escape \"%41\""
        );
        assert_eq!(
            parsed("http://[::1"),
            "ERR unable to parse url: parse \"http://[::1\": missing ']' in host"
        );
        assert_eq!(
            parsed("http://h/#%zz"),
            "ERR unable to parse url: parse \"http://h/#%zz\": invalid URL escape \"%zz\""
        );
        assert_eq!(
            parsed("http://[1.2.3.4]/"),
            "ERR unable to parse url: parse \"http://[1.2.3.4]/\": invalid IP-literal"
        );
    }

    #[test]
    fn url_join_round_trips() {
        let mut dict = Map::new();
        dict.insert("scheme".into(), Value::str("https"));
        dict.insert("host".into(), Value::str("example.com:8443"));
        dict.insert("path".into(), Value::str("/a b/c"));
        dict.insert("query".into(), Value::str("x=1&y=2"));
        dict.insert("fragment".into(), Value::str("frag ment"));
        dict.insert("userinfo".into(), Value::str("user:pa%40ss"));
        assert_eq!(
            url_join(&[Value::map(dict.clone())]).unwrap(),
            Value::str("https://user:pa%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%20ment")
        );
        dict.insert("port".into(), Value::int(3));
        dict.insert("host".into(), Value::int(3));
        assert_eq!(
            url_join(&[Value::map(dict)]).unwrap_err().message,
            "unable to parse host key, must be of type string, but int found"
        );
        let mut rel = Map::new();
        rel.insert("path".into(), Value::str("a:b/c"));
        assert_eq!(url_join(&[Value::map(rel)]).unwrap(), Value::str("./a:b/c"));
    }
}
