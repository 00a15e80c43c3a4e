//! Names `opm create` derives and checks: the chart name (a DNS-1123 label that starts with
//! a letter, since the sample Kind comes from it), API groups, Kinds and plurals.

use super::ScaffoldError;

/// Longest chart name: Kubernetes names and label values stop at 63 characters.
const MAX_NAME: usize = 63;

/// Checks NAME: lowercase letters, digits and `-`, starting with a letter and ending with a
/// letter or digit (a DNS-1035 label, so the derived resource names and Kind are valid too).
pub fn check_chart_name(name: &str) -> Result<(), ScaffoldError> {
    let bad = |why: &str| ScaffoldError::BadName {
        name: name.to_string(),
        why: why.to_string(),
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > MAX_NAME {
        return Err(bad("it is longer than 63 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(bad(
            "only lowercase letters, digits and '-' are allowed (a DNS-1123 label)",
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(bad("it must start with a lowercase letter"));
    }
    if name.ends_with('-') {
        return Err(bad("it must end with a letter or digit"));
    }
    Ok(())
}

/// Checks an API group: a DNS-1123 subdomain with at least one dot (`example.com`), as
/// CustomResourceDefinitions require.
pub fn check_group(group: &str) -> Result<(), ScaffoldError> {
    let bad = |why: &str| ScaffoldError::BadGroup {
        group: group.to_string(),
        why: why.to_string(),
    };
    if group.len() > 253 {
        return Err(bad("it is longer than 253 characters"));
    }
    if !group.contains('.') {
        return Err(bad(
            "a custom resource group needs at least one dot, like example.com",
        ));
    }
    for label in group.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(bad(
                "each dot-separated part must be lowercase letters, digits and '-', not starting or ending with '-' (a DNS-1123 subdomain)",
            ));
        }
    }
    Ok(())
}

/// The sample Kind for a chart name: PascalCase, without a trailing `-operator` or
/// `-controller` (`widget-operator` → `Widget`, `db-backup` → `DbBackup`).
pub fn kind_for(name: &str) -> String {
    let base = ["-operator", "-controller"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(name);
    pascal_case(base)
}

/// `db-backup-operator` → `DbBackupOperator`.
pub fn pascal_case(name: &str) -> String {
    name.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// English plural of a lowercase singular, the way kubebuilder guesses it.
pub fn plural_of(singular: &str) -> String {
    let consonant_y = singular.ends_with('y')
        && !singular.ends_with("ay")
        && !singular.ends_with("ey")
        && !singular.ends_with("oy")
        && !singular.ends_with("uy");
    if let Some(stem) = singular.strip_suffix('y').filter(|_| consonant_y) {
        format!("{stem}ies")
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| singular.ends_with(end))
    {
        format!("{singular}es")
    } else {
        format!("{singular}s")
    }
}

/// Strict SemVer 2 (`1.2.3`, `0.1.0-rc.1+build`): Helm 4's lint warns about anything else.
pub fn is_semver2(version: &str) -> bool {
    let (core, _) = version.split_once('+').unwrap_or((version, ""));
    let (core, pre) = match core.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    let ident = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|id| {
                !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    let build_ok = version.split_once('+').is_none_or(|(_, b)| ident(b));
    parts.len() == 3 && parts.iter().all(numeric) && pre.is_none_or(ident) && build_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_chart_name("widget-operator").is_ok());
        for bad in [
            "",
            "Widget",
            "1widget",
            "widget-",
            "wid_get",
            &"a".repeat(64),
        ] {
            assert!(check_chart_name(bad).is_err(), "{bad}");
        }
        assert_eq!(kind_for("widget-operator"), "Widget");
        assert_eq!(kind_for("db-backup"), "DbBackup");
        assert_eq!(kind_for("operator"), "Operator");
        assert_eq!(plural_of("policy"), "policies");
        assert_eq!(plural_of("gateway"), "gateways");
        assert_eq!(plural_of("box"), "boxes");
        assert_eq!(plural_of("widget"), "widgets");
        assert!(check_group("widgets.example.com").is_ok());
        assert!(check_group("example").is_err());
        assert!(check_group("Example.com").is_err());
        assert!(is_semver2("0.1.0"));
        assert!(is_semver2("1.2.3-rc.1+build.5"));
        assert!(!is_semver2("1.2"));
        assert!(!is_semver2("v1.2.3"));
        assert!(!is_semver2("01.2.3"));
    }
}
