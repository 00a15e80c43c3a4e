//! Helm 4's reformatting of template execution errors (`reformatExecErrorMsg` in Helm's
//! `pkg/engine`): when every error in Go's chain of wrapped errors is a text/template error
//! it can take apart, Helm prints each distinct one as
//!
//! ```text
//! chart/templates/x.yaml:2:13
//!   executing "chart/templates/x.yaml" at <.Values.a.b>:
//!     nil pointer evaluating interface {}.b
//! ```
//!
//! and otherwise keeps Go's one-line message. Errors the executor raises itself (`nil
//! pointer evaluating …`, `range can't iterate over …`) always qualify; `error calling X: …`
//! qualifies only when X's own error is a template error (an `include` that failed).

/// One link of the chain, taken apart as Helm's `TraceableError` does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Traceable {
    location: String,
    executed_function: String,
    message: String,
}

impl Traceable {
    fn write(&self, out: &mut String) {
        if !self.location.is_empty() {
            out.push_str(&self.location);
            out.push_str("\n  ");
        }
        if !self.executed_function.is_empty() {
            out.push_str(&self.executed_function);
            out.push_str("\n    ");
        }
        if !self.message.is_empty() {
            out.push_str(&self.message);
            out.push('\n');
        }
    }
}

/// Helm's reformatted message for an execution error whose Go error chain has these texts
/// (outermost first), or `None` when Helm keeps the original message.
pub(crate) fn reformat(chain: &[String]) -> Option<String> {
    let mut links: Vec<Traceable> = Vec::new();
    for text in chain {
        let link = parse_link(text)?;
        if links.last() != Some(&link) {
            links.push(link);
        }
    }
    let mut out = String::new();
    for link in &links {
        link.write(&mut out);
    }
    Some(out.trim().to_string())
}

/// Helm's `parseTemplateExecErrorString`.
fn parse_link(text: &str) -> Option<Traceable> {
    let rest = text.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        return Some(Traceable {
            location: String::new(),
            executed_function: String::new(),
            message: text.to_string(),
        });
    }
    if let Some(idx) = rest.find(": executing ") {
        return parse_executing(&rest[..idx], &rest[idx + ": executing ".len()..]);
    }
    // `NAME: MESSAGE`, split at the last ": " so that `file:line:col` stays whole.
    let sep = rest.rfind(": ")?;
    Some(Traceable {
        location: rest[..sep].to_string(),
        executed_function: String::new(),
        message: cut_chained(&rest[sep + 2..]).to_string(),
    })
}

/// `"NAME" at <NODE>: MESSAGE` after `LOCATION: executing `.
fn parse_executing(location: &str, after: &str) -> Option<Traceable> {
    let quoted = after.strip_prefix('"')?;
    let end_quote = quoted.find('"')?;
    let function = &quoted[..end_quote];
    let after_at = quoted[end_quote + 1..].strip_prefix(" at <")?;
    let end_loc = after_at.find(">: ")?;
    let node = &after_at[..end_loc];
    let message = cut_chained(&after_at[end_loc + ">: ".len()..]);
    Some(Traceable {
        location: location.to_string(),
        executed_function: format!("executing \"{function}\" at <{node}>:"),
        message: message.to_string(),
    })
}

/// Drop a chained error (` template: …`) that the next link of the chain shows itself.
fn cut_chained(message: &str) -> &str {
    match message.find(" template:") {
        Some(cut) => &message[..cut],
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executor_errors_become_three_lines() {
        let e = "template: c/templates/x.yaml:2:13: executing \"c/templates/x.yaml\" at <.Values.a.b>: nil pointer evaluating interface {}.b";
        assert_eq!(
            reformat(&[e.to_string(), e.to_string()]).as_deref(),
            Some("c/templates/x.yaml:2:13\n  executing \"c/templates/x.yaml\" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b")
        );
    }

    #[test]
    fn function_errors_keep_the_original_text() {
        let e = "template: c/templates/x.yaml:2:6: executing \"c/templates/x.yaml\" at <div 1 0>: error calling div: runtime error: integer divide by zero";
        let chain = [
            e.to_string(),
            e.to_string(),
            "runtime error: integer divide by zero".to_string(),
        ];
        assert_eq!(reformat(&chain), None);
    }

    #[test]
    fn failed_includes_show_each_template() {
        let outer = "template: c/templates/x.yaml:2:6: executing \"c/templates/x.yaml\" at <include \"n\" .>: error calling include: template: no template \"n\" associated with template \"gotpl\"";
        let inner = "template: no template \"n\" associated with template \"gotpl\"";
        let chain = [outer.to_string(), outer.to_string(), inner.to_string()];
        assert_eq!(
            reformat(&chain).as_deref(),
            Some("c/templates/x.yaml:2:6\n  executing \"c/templates/x.yaml\" at <include \"n\" .>:\n    error calling include:\ntemplate: no template \"n\" associated with template \"gotpl\"")
        );
    }
}
