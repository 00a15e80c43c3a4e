//! The one error type of the template engine, printed exactly as Go's `text/template` prints
//! its errors, because Helm shows (and post-processes) those strings.

use std::fmt;

/// Which phase failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// Lexing or parsing a template source.
    Parse,
    /// Executing a parsed template.
    Exec,
}

/// A parse or execution error with Go's location information.
///
/// Display matches Go:
/// - parse: `template: NAME:LINE: MESSAGE`
/// - exec:  `template: NAME:LINE:COL: executing "TEMPLATE" at <CONTEXT>: MESSAGE`
/// - exec errors not tied to a node: `template: TEMPLATE: MESSAGE`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    /// The file (Go's `ParseName`) the failing node was parsed from.
    pub template: String,
    /// 1-based line; 0 when the error is not tied to a position.
    pub line: usize,
    /// 0-based byte column within the line, as Go reports it (exec errors only).
    pub column: Option<usize>,
    /// The failing node as Go prints it (`.Values.x`, `include "a" .`).
    pub context: Option<String>,
    /// The name of the template being executed (a `define` name or the file name).
    pub executing: Option<String>,
    pub message: String,
}

impl TemplateError {
    pub(crate) fn parse(template: &str, line: usize, message: impl Into<String>) -> Self {
        TemplateError {
            kind: TemplateErrorKind::Parse,
            template: template.to_string(),
            line,
            column: None,
            context: None,
            executing: None,
            message: message.into(),
        }
    }

    /// An execution error that is not tied to a node (`template: NAME: MESSAGE`).
    pub(crate) fn exec_plain(template: &str, message: impl Into<String>) -> Self {
        TemplateError {
            kind: TemplateErrorKind::Exec,
            template: template.to_string(),
            line: 0,
            column: None,
            context: None,
            executing: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.column) {
            (TemplateErrorKind::Parse, _) => {
                write!(
                    f,
                    "template: {}:{}: {}",
                    self.template, self.line, self.message
                )
            }
            (TemplateErrorKind::Exec, Some(col)) => write!(
                f,
                "template: {}:{}:{}: executing \"{}\" at <{}>: {}",
                self.template,
                self.line,
                col,
                self.executing.as_deref().unwrap_or(&self.template),
                self.context.as_deref().unwrap_or(""),
                self.message
            ),
            (TemplateErrorKind::Exec, None) if self.template.is_empty() => {
                write!(f, "template: {}", self.message)
            }
            (TemplateErrorKind::Exec, None) => {
                write!(f, "template: {}: {}", self.template, self.message)
            }
        }
    }
}

impl std::error::Error for TemplateError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_go() {
        let p = TemplateError::parse("c/templates/a.yaml", 3, "function \"foo\" not defined");
        assert_eq!(
            p.to_string(),
            "template: c/templates/a.yaml:3: function \"foo\" not defined"
        );
        let e = TemplateError {
            kind: TemplateErrorKind::Exec,
            template: "c/templates/_h.tpl".into(),
            line: 2,
            column: Some(5),
            context: Some(".Values.a.b".into()),
            executing: Some("c.name".into()),
            message: "nil pointer evaluating interface {}.b".into(),
        };
        assert_eq!(
            e.to_string(),
            "template: c/templates/_h.tpl:2:5: executing \"c.name\" at <.Values.a.b>: nil pointer evaluating interface {}.b"
        );
        let plain = TemplateError::exec_plain("x", "\"x\" is an incomplete or empty template");
        assert_eq!(
            plain.to_string(),
            "template: x: \"x\" is an incomplete or empty template"
        );
    }
}
