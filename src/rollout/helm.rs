//! The helm binary the rollout drives: which one ([`resolve`]: `$HELM_BIN` when run as a
//! Helm plugin, else `--helm-bin`, else `helm` on `PATH`), whether it is recent enough
//! ([`HelmBinary::probe`]: `--labels` on `upgrade` needs Helm 3.13), the exact command
//! lines of `upgrade --install` and `rollback` ([`upgrade_args`], [`rollback_args`], pure so
//! they are unit-tested), and running it with a time limit ([`run`]).
//!
//! Helm gets the kubeconfig the user gave us by reference only (`--kubeconfig PATH`, or the
//! inherited `KUBECONFIG`): credentials are never copied, logged or put on a command line.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Lines of helm's stderr kept in an error (its last ones: where helm says what failed).
pub const STDERR_TAIL_LINES: usize = 20;

/// The oldest helm that has every flag we pass (`upgrade --labels` came with 3.13).
pub const MIN_HELM: (u64, u64) = (3, 13);

/// Why helm could not be found or run, or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelmError {
    /// No usable binary; `tried` says where we looked, in order.
    #[error("no helm binary found (tried {tried}); install helm {}.{} or newer, or point --helm-bin at it", MIN_HELM.0, MIN_HELM.1)]
    NotFound { tried: String },
    /// The binary exists but does not run, or is too old.
    #[error("{path}: {message}")]
    Unusable { path: String, message: String },
    /// Helm ran and exited non-zero; `stderr` holds its last lines.
    #[error("helm {command} failed on context \"{context}\" ({status}): {stderr}")]
    Failed {
        context: String,
        command: String,
        status: String,
        stderr: String,
    },
    /// Helm did not finish within the time limit and was stopped.
    #[error(
        "helm {command} on context \"{context}\" did not finish within {seconds}s and was stopped"
    )]
    TimedOut {
        context: String,
        command: String,
        seconds: u64,
    },
}

impl HelmError {
    /// Process exit code: a helm that is missing, unusable or hanging is the environment
    /// (3); a helm command that failed is a failed rollout step (1).
    pub fn exit_code(&self) -> i32 {
        match self {
            HelmError::Failed { .. } => 1,
            _ => 3,
        }
    }
}

/// Where to look for helm, read once so resolution is testable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelmLookup {
    /// `$HELM_BIN`: Helm sets it (to the `helm` that runs us) when we run as a Helm plugin.
    pub helm_bin_env: Option<OsString>,
    /// `--helm-bin`.
    pub flag: Option<PathBuf>,
    /// `$PATH`.
    pub path_env: Option<OsString>,
}

impl HelmLookup {
    /// `$HELM_BIN` and `$PATH` of this process, with the `--helm-bin` flag.
    pub fn from_process(flag: Option<PathBuf>) -> HelmLookup {
        HelmLookup {
            helm_bin_env: std::env::var_os("HELM_BIN").filter(|v| !v.is_empty()),
            flag,
            path_env: std::env::var_os("PATH"),
        }
    }
}

/// The helm to run: `$HELM_BIN`, else `--helm-bin`, else `helm` on `PATH`. `$HELM_BIN` wins
/// because it is the very helm the user ran us from (`helm opm …`). A bare name (Helm sets
/// `HELM_BIN` to its `argv[0]`, often just `helm`) is looked up on `PATH`.
pub fn resolve(lookup: &HelmLookup) -> Result<PathBuf, HelmError> {
    let (given, origin) = match (&lookup.helm_bin_env, &lookup.flag) {
        (Some(env), _) => (PathBuf::from(env), "$HELM_BIN"),
        (None, Some(flag)) => (flag.clone(), "--helm-bin"),
        (None, None) => (PathBuf::from("helm"), "PATH"),
    };
    let bare = given.components().count() == 1 && !given.is_absolute();
    if !bare {
        return if is_executable(&given) {
            Ok(given)
        } else {
            Err(HelmError::NotFound {
                tried: format!("{origin}={}: not an executable file", given.display()),
            })
        };
    }
    if let Some(found) = search_path(&given, lookup.path_env.as_deref()) {
        return Ok(found);
    }
    let shown = given.display();
    Err(HelmError::NotFound {
        tried: if origin == "PATH" {
            format!("`{shown}` on PATH")
        } else {
            format!("{origin}={shown}: `{shown}` is not on PATH")
        },
    })
}

fn search_path(name: &Path, path_env: Option<&OsStr>) -> Option<PathBuf> {
    let dirs = path_env?;
    for dir in std::env::split_paths(dirs) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        let candidate = dir.join(name);
        if is_executable(&candidate) {
            return Some(candidate);
        }
        if cfg!(windows) {
            let exe = candidate.with_extension("exe");
            if is_executable(&exe) {
                return Some(exe);
            }
        }
    }
    None
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// A helm binary that runs and is recent enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmBinary {
    pub path: PathBuf,
    /// What `helm version --short` printed (`v3.17.3+ge4da497`).
    pub version: String,
}

impl HelmBinary {
    /// Runs `helm version --short` and checks the version.
    pub async fn probe(path: PathBuf, timeout: Duration) -> Result<HelmBinary, HelmError> {
        let shown = path.display().to_string();
        let unusable = |message: String| HelmError::Unusable {
            path: shown.clone(),
            message,
        };
        let mut cmd = tokio::process::Command::new(&path);
        cmd.args(["version", "--short"])
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = match tokio::time::timeout(timeout, cmd.output()).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(unusable(format!("cannot run it: {e}"))),
            Err(_) => {
                return Err(unusable(format!(
                    "`version --short` did not answer within {}s",
                    timeout.as_secs()
                )))
            }
        };
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() {
            return Err(unusable(format!(
                "`version --short` failed: {}",
                tail(&String::from_utf8_lossy(&out.stderr), 3)
            )));
        }
        match parse_version(&text) {
            Some(v) if v >= MIN_HELM => Ok(HelmBinary {
                path,
                version: text,
            }),
            Some(_) => Err(unusable(format!(
                "helm {text} is too old: rollouts need helm {}.{} or newer (`upgrade --labels`)",
                MIN_HELM.0, MIN_HELM.1
            ))),
            None => Err(unusable(format!(
                "`version --short` printed {text:?}, which is not a helm version"
            ))),
        }
    }
}

/// `(major, minor)` of `v3.17.3+ge4da497` or `v4.1.4`.
pub fn parse_version(text: &str) -> Option<(u64, u64)> {
    let v = text.trim().strip_prefix('v')?;
    let mut parts = v.split(['.', '+', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Where and as whom helm talks to a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmTarget<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub context: &'a str,
    /// `--kubeconfig` when the user gave one; else helm reads `KUBECONFIG` like we do.
    pub kubeconfig: Option<&'a Path>,
}

impl HelmTarget<'_> {
    fn push_scope(&self, args: &mut Vec<OsString>) {
        args.push("--namespace".into());
        args.push(self.namespace.into());
        args.push("--kube-context".into());
        args.push(self.context.into());
        if let Some(k) = self.kubeconfig {
            args.push("--kubeconfig".into());
            args.push(k.into());
        }
    }
}

/// `upgrade --install RELEASE CHART --namespace NS --create-namespace --kube-context CTX
/// [--kubeconfig PATH] [--version V] [-f FILE]… --labels K=V,… [extra…]`. No `--wait`: the
/// rollout's health gate does the waiting (and judges more than readiness).
pub fn upgrade_args(
    target: &HelmTarget<'_>,
    chart: &str,
    version: Option<&str>,
    values: &[PathBuf],
    labels: &[(String, String)],
    extra: &[String],
) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "upgrade".into(),
        "--install".into(),
        target.release.into(),
        chart.into(),
    ];
    target.push_scope(&mut args);
    args.push("--create-namespace".into());
    if let Some(v) = version {
        args.push("--version".into());
        args.push(v.into());
    }
    for f in values {
        args.push("-f".into());
        args.push(f.into());
    }
    if !labels.is_empty() {
        let joined: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        args.push("--labels".into());
        args.push(joined.join(",").into());
    }
    args.extend(extra.iter().map(OsString::from));
    args
}

/// `rollback RELEASE REVISION --namespace NS --kube-context CTX [--kubeconfig PATH]`.
pub fn rollback_args(target: &HelmTarget<'_>, revision: u32) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "rollback".into(),
        target.release.into(),
        revision.to_string().into(),
    ];
    target.push_scope(&mut args);
    args
}

/// `show crds CHART [--version V]`: the `crds/` files of a chart helm fetches.
pub fn show_crds_args(chart: &str, version: Option<&str>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["show".into(), "crds".into(), chart.into()];
    if let Some(v) = version {
        args.push("--version".into());
        args.push(v.into());
    }
    args
}

/// What a finished helm run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmOutput {
    pub stdout: String,
    pub stderr: String,
}

/// One helm invocation: the binary, its arguments, extra environment (added to ours) and
/// what it is for (`context` and `command` name it in errors).
#[derive(Debug, Clone)]
pub struct HelmRun<'a> {
    pub binary: &'a Path,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub context: &'a str,
    pub timeout: Duration,
}

/// Runs helm to completion (stopping it after the time limit). Non-zero exit is
/// [`HelmError::Failed`] with the last lines of stderr.
pub async fn run(spec: HelmRun<'_>) -> Result<HelmOutput, HelmError> {
    let command = spec
        .args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut cmd = tokio::process::Command::new(spec.binary);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let out = match tokio::time::timeout(spec.timeout, cmd.output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(HelmError::Unusable {
                path: spec.binary.display().to_string(),
                message: format!("cannot run it: {e}"),
            })
        }
        Err(_) => {
            return Err(HelmError::TimedOut {
                context: spec.context.to_string(),
                command,
                seconds: spec.timeout.as_secs(),
            })
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        return Ok(HelmOutput { stdout, stderr });
    }
    let status = match out.status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_string(),
    };
    let text = if stderr.trim().is_empty() {
        &stdout
    } else {
        &stderr
    };
    Err(HelmError::Failed {
        context: spec.context.to_string(),
        command,
        status,
        stderr: tail(text, STDERR_TAIL_LINES),
    })
}

/// The last `lines` non-empty lines of `text`, joined with newlines.
pub fn tail(text: &str, lines: usize) -> String {
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let skip = kept.len().saturating_sub(lines);
    let out = kept[skip..].join("\n");
    if out.is_empty() {
        "(helm printed nothing)".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kubeconfig: Option<&Path>) -> HelmTarget<'_> {
        HelmTarget {
            release: "cert-operator",
            namespace: "operators",
            context: "prod-eu",
            kubeconfig,
        }
    }

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn upgrade_command_line() {
        let args = upgrade_args(
            &target(Some(Path::new("/home/me/.kube/prod"))),
            "./charts/cert-operator",
            Some("1.4.0"),
            &[
                PathBuf::from("values.yaml"),
                PathBuf::from("values-prod.yaml"),
            ],
            &[("kubectl-opm/rollout-id".into(), "r-20261123-1".into())],
            &["--timeout".into(), "10m".into()],
        );
        assert_eq!(
            strings(&args).join(" "),
            "upgrade --install cert-operator ./charts/cert-operator --namespace operators \
             --kube-context prod-eu --kubeconfig /home/me/.kube/prod --create-namespace \
             --version 1.4.0 -f values.yaml -f values-prod.yaml \
             --labels kubectl-opm/rollout-id=r-20261123-1 --timeout 10m"
        );
    }

    #[test]
    fn rollback_command_line() {
        assert_eq!(
            strings(&rollback_args(&target(None), 41)).join(" "),
            "rollback cert-operator 41 --namespace operators --kube-context prod-eu"
        );
        assert_eq!(
            strings(&show_crds_args("oci://r/c", Some("1.0.0"))).join(" "),
            "show crds oci://r/c --version 1.0.0"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("v3.17.3+ge4da497"), Some((3, 17)));
        assert_eq!(parse_version("v4.1.4"), Some((4, 1)));
        assert_eq!(parse_version("v3.13.0-rc.1"), Some((3, 13)));
        assert_eq!(parse_version("3.17"), None);
        assert_eq!(parse_version("garbage"), None);
        assert!(parse_version("v3.12.3").unwrap() < MIN_HELM);
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\n\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("  \n", 2), "(helm printed nothing)");
    }

    #[test]
    fn resolution_order_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let helm = dir.path().join("helm");
        std::fs::write(&helm, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path_env = Some(dir.path().as_os_str().to_os_string());
        let other = dir.path().join("other-helm");
        // $HELM_BIN (a bare name, looked up on PATH) wins over --helm-bin.
        let lookup = HelmLookup {
            helm_bin_env: Some("helm".into()),
            flag: Some(other.clone()),
            path_env: path_env.clone(),
        };
        assert_eq!(resolve(&lookup), Ok(helm.clone()));
        // --helm-bin must exist.
        let lookup = HelmLookup {
            helm_bin_env: None,
            flag: Some(other.clone()),
            path_env: path_env.clone(),
        };
        assert_eq!(
            resolve(&lookup),
            Err(HelmError::NotFound {
                tried: format!("--helm-bin={}: not an executable file", other.display())
            })
        );
        // PATH.
        let lookup = HelmLookup {
            helm_bin_env: None,
            flag: None,
            path_env,
        };
        assert_eq!(resolve(&lookup), Ok(helm));
        let lookup = HelmLookup::default();
        let err = resolve(&lookup).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no helm binary found (tried `helm` on PATH); install helm 3.13 or newer, or point --helm-bin at it"
        );
        assert_eq!(err.exit_code(), 3);
    }
}
