//! The named string formats of the Kubernetes CEL `format` library
//! (`format.dns1123Label.validate(s)`), with the API server's error messages: the
//! apimachinery name validators for the Kubernetes formats, the OpenAPI format checks
//! for `uri`, `uuid`, `byte`, `date` and `datetime`.

use std::sync::OnceLock;

use regex::Regex;

const DNS1123_LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035_LABEL: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

fn anchored(cell: &'static OnceLock<Option<Regex>>, pattern: &str, text: &str) -> bool {
    cell.get_or_init(|| Regex::new(&format!("^(?:{pattern})$")).ok())
        .as_ref()
        .is_some_and(|re| re.is_match(text))
}

fn dns1123_label(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let mut errs = Vec::new();
    if text.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !anchored(&RE, DNS1123_LABEL, text) {
        errs.push(format!(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \
             '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or \
             '123-abc', regex used for validation is '{DNS1123_LABEL}')"
        ));
    }
    errs
}

fn dns1123_subdomain(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let mut errs = Vec::new();
    if text.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if !anchored(&RE, DNS1123_SUBDOMAIN, text) {
        errs.push(format!(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
             characters, '-' or '.', and must start and end with an alphanumeric character \
             (e.g. 'example.com', regex used for validation is '{DNS1123_SUBDOMAIN}')"
        ));
    }
    errs
}

fn dns1035_label(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let mut errs = Vec::new();
    if text.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !anchored(&RE, DNS1035_LABEL, text) {
        errs.push(format!(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
             start with an alphabetic character, and end with an alphanumeric character \
             (e.g. 'my-name',  or 'abc-123', regex used for validation is '{DNS1035_LABEL}')"
        ));
    }
    errs
}

fn qualified_name(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let parts: Vec<&str> = text.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => {
            return vec![format!(
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', \
                 and must start and end with an alphanumeric character (e.g. 'MyName',  or \
                 'my.name',  or '123-abc', regex used for validation is '{QUALIFIED_NAME}') \
                 with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            )]
        }
    };
    let mut errs = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push("prefix part must be non-empty".to_string());
        } else {
            errs.extend(
                dns1123_subdomain(p)
                    .into_iter()
                    .map(|e| format!("prefix part {e}")),
            );
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if !anchored(&RE, QUALIFIED_NAME, name) {
        errs.push(format!(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must \
             start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or \
             '123-abc', regex used for validation is '{QUALIFIED_NAME}')"
        ));
    }
    errs
}

fn label_value(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let mut errs = Vec::new();
    if text.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !anchored(&RE, LABEL_VALUE, text) {
        errs.push(format!(
            "a valid label must be an empty string or consist of alphanumeric characters, \
             '-', '_' or '.', and must start and end with an alphanumeric character (e.g. \
             'MyValue',  or 'my_value',  or '12345', regex used for validation is \
             '{LABEL_VALUE}')"
        ));
    }
    errs
}

/// apimachinery's `maskTrailingDash`: a `generateName` prefix may end in `-`, so the last
/// two characters are replaced by one alphanumeric before validating.
fn mask_trailing_dash(text: &str) -> String {
    if text.len() > 1 && text.ends_with('-') {
        let cut = text.len() - 2;
        match text.get(..cut) {
            Some(head) => format!("{head}a"),
            None => text.to_string(),
        }
    } else {
        text.to_string()
    }
}

fn check(format: &str, text: &str, message: &str) -> Vec<String> {
    match super::validate::check_format(format, text) {
        None => Vec::new(),
        Some(_) => vec![message.to_string()],
    }
}

/// Validate `text` against a named format; the empty list means valid. Unknown names
/// give no errors (`format.named` only hands out known ones).
pub fn validate_named(name: &str, text: &str) -> Vec<String> {
    match name {
        "dns1123Label" => dns1123_label(text),
        "dns1123Subdomain" => dns1123_subdomain(text),
        "dns1035Label" => dns1035_label(text),
        "qualifiedName" => qualified_name(text),
        "dns1123LabelPrefix" => dns1123_label(&mask_trailing_dash(text)),
        "dns1123SubdomainPrefix" => dns1123_subdomain(&mask_trailing_dash(text)),
        "dns1035LabelPrefix" => dns1035_label(&mask_trailing_dash(text)),
        "labelValue" => label_value(text),
        "uri" => match super::validate::check_format("uri", text) {
            None => Vec::new(),
            Some(_) => vec![format!("parse {text:?}: invalid URI for request")],
        },
        "uuid" => check("uuid", text, "does not match the UUID format"),
        "byte" => check("byte", text, "invalid base64"),
        "date" => check("date", text, "invalid date"),
        "datetime" => check("date-time", text, "invalid datetime"),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str, text: &str) -> bool {
        validate_named(name, text).is_empty()
    }

    #[test]
    fn kubernetes_names() {
        assert!(ok("dns1123Label", "my-name"));
        assert!(!ok("dns1123Label", "My-Name"));
        assert!(!ok("dns1123Label", &"a".repeat(64)));
        assert_eq!(validate_named("dns1123Label", &"a".repeat(64)).len(), 1);
        assert!(ok("dns1123Subdomain", "apiextensions.k8s.io"));
        assert!(!ok("dns1123Subdomain", "-bad.example"));
        assert!(ok("dns1035Label", "abc-123"));
        assert!(!ok("dns1035Label", "123-abc"));
        assert!(ok("qualifiedName", "example.com/MyName"));
        assert!(ok("qualifiedName", "my.name"));
        assert!(!ok("qualifiedName", "a/b/c"));
        assert_eq!(
            validate_named("qualifiedName", "/x"),
            vec!["prefix part must be non-empty".to_string()]
        );
        assert!(ok("dns1123LabelPrefix", "my-prefix-"));
        assert!(!ok("dns1123Label", "my-prefix-"));
        assert!(ok("dns1123SubdomainPrefix", "mysubdomain.prefix.-"));
        assert!(ok("dns1035LabelPrefix", "my-label-prefix-"));
        assert!(ok("labelValue", ""));
        assert!(ok("labelValue", "My_Value.1"));
        assert!(!ok("labelValue", "-x"));
    }

    #[test]
    fn openapi_formats() {
        assert!(ok("uri", "http://example.com"));
        assert_eq!(
            validate_named("uri", "example.com"),
            vec!["parse \"example.com\": invalid URI for request".to_string()]
        );
        assert!(ok("uuid", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(!ok("uuid", "123e4567"));
        assert!(ok("byte", "aGVsbG8="));
        assert!(!ok("byte", "aGVsbG8"));
        assert!(ok("date", "2021-01-01"));
        assert!(!ok("date", "2021-13-01"));
        assert!(ok("datetime", "2021-01-01T00:00:00Z"));
        assert!(!ok("datetime", "yesterday"));
    }
}
