//! `prometheusrule-invalid-expr`: PrometheusRule rules Prometheus would refuse to load.

use crate::lint::rules::util::{get, items, string_at};
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    PrometheusruleInvalidExpr {
        id: "prometheusrule-invalid-expr",
        family: "monitoring",
        severity: Error,
        summary: "PrometheusRule has an invalid expression, `for` duration, or rule shape",
        doc: r#"## What it does
Checks every rule of every PrometheusRule group: `expr` is present and lexically valid
PromQL (balanced brackets and quotes, no unrendered `{{ }}`, no dangling operator),
`for` is a valid duration, and the rule has exactly one of `alert` or `record`.

## Why is this bad?
The Prometheus Operator's admission webhook rejects the object (the install fails), or,
without the webhook, Prometheus refuses to load the whole rule file: every alert in it is
lost.

## Example
```yaml
- alert: OperatorDown
  expr: absent(up{job="my-operator"} == 1
  for: 5min
```

## Fix
Close the bracket and use Prometheus duration units (`5m`). Escape alert templates in
Helm as `{{ "{{" }} $labels.pod {{ "}}" }}` so they survive rendering — but never inside
`expr`.
"#,
    }
}

/// A lexical check of PromQL: what the Prometheus parser rejects before it gets to types.
pub fn validate_promql(expr: &str) -> Result<(), String> {
    if expr.trim().is_empty() {
        return Err("expression is empty".into());
    }
    let chars: Vec<char> = expr.chars().collect();
    let mut stack: Vec<char> = Vec::new();
    let mut last = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' | '\'' | '`' => {
                let quote = c;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unterminated string (opened with {quote})")),
                        Some('\\') if quote != '`' => i += 2,
                        Some(&q) if q == quote => break,
                        Some(_) => i += 1,
                    }
                }
                last = "string".into();
            }
            '#' => {
                while chars.get(i).is_some_and(|&c| c != '\n') {
                    i += 1;
                }
                continue;
            }
            '{' if chars.get(i + 1) == Some(&'{') => {
                return Err("contains an unrendered template `{{`".into())
            }
            '(' | '[' | '{' => {
                stack.push(c);
                last = c.to_string();
            }
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some(open) if open == want => {}
                    Some(open) => return Err(format!("`{c}` closes `{open}`")),
                    None => return Err(format!("unexpected `{c}`")),
                }
                last = c.to_string();
            }
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' || c == ':' || c == '.' => {
                let start = i;
                while chars
                    .get(i + 1)
                    .is_some_and(|&n| n.is_alphanumeric() || n == '_' || n == ':' || n == '.')
                {
                    i += 1;
                }
                last = chars[start..=i].iter().collect();
            }
            c => last = c.to_string(),
        }
        i += 1;
    }
    if let Some(open) = stack.last() {
        return Err(format!("unclosed `{open}`"));
    }
    let dangling = matches!(
        last.as_str(),
        "+" | "-" | "*" | "/" | "%" | "^" | "=" | "<" | ">" | "," | "~" | "and" | "or" | "unless"
    );
    if dangling {
        return Err(format!("ends with the operator `{last}`"));
    }
    Ok(())
}

/// Prometheus model durations: `1h30m`, `5m`, `30s`, `0`.
pub fn valid_duration(s: &str) -> bool {
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "PrometheusRule" {
            continue;
        }
        for (g, group) in items(get(&obj.object, "spec.groups")).iter().enumerate() {
            for (r, rule) in items(get(group, "rules")).iter().enumerate() {
                let at = format!("spec.groups[{g}].rules[{r}]");
                let name = string_at(rule, "alert")
                    .or_else(|| string_at(rule, "record"))
                    .unwrap_or_else(|| format!("#{r}"));
                let has_alert = get(rule, "alert").is_some();
                let has_record = get(rule, "record").is_some();
                if has_alert == has_record {
                    out.push(
                        Finding::on(
                            i,
                            format!(
                                "PrometheusRule {} rule {name} must have exactly one of alert or record",
                                obj.name
                            ),
                        )
                        .field(at.clone()),
                    );
                }
                match get(rule, "expr") {
                    Some(Value::String(expr)) => {
                        if let Err(why) = validate_promql(&expr) {
                            out.push(
                                Finding::on(
                                    i,
                                    format!(
                                        "PrometheusRule {} rule {name}: invalid expr: {why}",
                                        obj.name
                                    ),
                                )
                                .field(format!("{at}.expr")),
                            );
                        }
                    }
                    Some(Value::Int(_, _)) | Some(Value::Float(_)) => {}
                    _ => out.push(
                        Finding::on(
                            i,
                            format!("PrometheusRule {} rule {name} has no expr", obj.name),
                        )
                        .field(at.clone()),
                    ),
                }
                if let Some(d) = string_at(rule, "for") {
                    if !valid_duration(&d) {
                        out.push(
                            Finding::on(
                                i,
                                format!(
                                    "PrometheusRule {} rule {name}: invalid for duration {d:?}",
                                    obj.name
                                ),
                            )
                            .field(format!("{at}.for")),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_expressions() {
        for e in [
            r#"absent(up{job="op"} == 1)"#,
            r#"sum by (le) (rate(http_request_duration_seconds_bucket{code=~"5.."}[5m])) > 0.5"#,
            "max_over_time(x[1h:5m]) # comment (",
            r#"label_replace(up, "a", "$1", "b", "(.*)")"#,
            "1",
            "up offset 5m",
        ] {
            assert_eq!(validate_promql(e), Ok(()), "{e}");
        }
    }

    #[test]
    fn rejects_broken_expressions() {
        assert_eq!(validate_promql("rate(x[5m]"), Err("unclosed `(`".into()));
        assert_eq!(
            validate_promql("up{a=\"b}"),
            Err("unterminated string (opened with \")".into())
        );
        assert_eq!(
            validate_promql("up >"),
            Err("ends with the operator `>`".into())
        );
        assert_eq!(validate_promql("up)"), Err("unexpected `)`".into()));
        assert!(validate_promql("up{job=\"{{ .Release.Name }}\"} == 0").is_ok());
        assert!(validate_promql("up{job={{ .Release.Name }}}").is_err());
        assert!(validate_promql("  ").is_err());
    }

    #[test]
    fn durations_follow_prometheus() {
        assert!(valid_duration("5m"));
        assert!(valid_duration("1h30m"));
        assert!(valid_duration("0"));
        assert!(!valid_duration("5min"));
        assert!(!valid_duration("m"));
        assert!(!valid_duration(""));
    }
}
