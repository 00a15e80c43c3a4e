//! What dependency resolution and Chart.yaml validation need from Masterminds/semver v3:
//! lenient version parsing (`NewVersion`, which Helm uses to validate Chart.yaml `version`)
//! and constraint checking (`NewConstraint(...).Check`), to decide whether a vendored
//! subchart satisfies a dependency's `version` range. One implementation serves templates
//! and charts: [`crate::template::funcs::semver`].

use crate::template::funcs::semver::{Constraints, Version};

/// `semver.NewVersion(s)` succeeds (lenient: `v` prefix, missing minor/patch allowed).
pub fn is_valid_version(s: &str) -> bool {
    Version::parse(s).is_ok()
}

/// `semver.NewConstraint(constraint).Check(version)`; false when either fails to parse (Helm's
/// `IsCompatibleRange`). An empty constraint does not parse.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let Ok(v) = Version::parse(version) else {
        return false;
    };
    Constraints::parse(constraint).is_ok_and(|c| c.check(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lenient_versions() {
        assert!(is_valid_version("1.2.3"));
        assert!(is_valid_version("v1.2"));
        assert!(is_valid_version("1"));
        assert!(is_valid_version("1.2.3-beta.1+build.5"));
        assert!(!is_valid_version("1.2.3-01"));
        assert!(!is_valid_version("1.2.3.4"));
        assert!(!is_valid_version("latest"));
        assert!(!is_valid_version(""));
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
