//! Which clusters a command talks to: the `--kubeconfig`/`--kube-context`/`--all-contexts`/
//! `-n`/`--parallel`/`--request-timeout` flags ([`ClusterArgs`], flattened into commands),
//! the environment kubectl and Helm use ([`ClusterEnv`]: `KUBECONFIG`, `HELM_KUBECONTEXT`,
//! `HELM_NAMESPACE`, `HELM_DRIVER`) and their resolution into [`Target`]s.
//!
//! Precedence, per setting: flag > `HELM_*` variable > kubeconfig (current-context, the
//! context's namespace) > in-cluster service account (only when no kubeconfig exists) >
//! namespace `default`. Several `KUBECONFIG` files are merged like kubectl does: the first
//! file that defines a context, cluster, user or `current-context` wins.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::error::ClusterError;
use super::release::Driver;

/// Default bound on how many contexts are worked on at once.
pub const DEFAULT_PARALLEL: usize = 8;

/// Context name given to the in-cluster (service account) configuration.
pub const IN_CLUSTER_CONTEXT: &str = "in-cluster";

/// Cluster selection flags, flattened into every command that talks to clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ClusterArgs {
    /// Kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context(s) to use, comma-separated or repeated (default: $HELM_KUBECONTEXT,
    /// then the current context).
    #[arg(
        long = "kube-context",
        visible_alias = "context",
        value_name = "NAME[,NAME...]",
        value_delimiter = ','
    )]
    pub contexts: Vec<String>,
    /// Use every context of the kubeconfig.
    #[arg(long, conflicts_with = "contexts")]
    pub all_contexts: bool,
    /// Namespace (default: $HELM_NAMESPACE, then the context's namespace, then "default").
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// How many contexts to work on at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARALLEL, value_parser = parse_parallel)]
    pub parallel: usize,
    /// Time limit of one API request (e.g. 10s, 500ms, 1m); retries get their own.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
}

/// [`ClusterArgs`] without `-n/--namespace`, for commands that already have their own
/// namespace flag (`render`, `lint`, `crd diff`): flatten this and call
/// [`ContextArgs::with_namespace`] with the command's namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ContextArgs {
    /// Kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context(s) to use, comma-separated or repeated (default: $HELM_KUBECONTEXT,
    /// then the current context).
    #[arg(
        long = "kube-context",
        visible_alias = "context",
        value_name = "NAME[,NAME...]",
        value_delimiter = ','
    )]
    pub contexts: Vec<String>,
    /// Use every context of the kubeconfig.
    #[arg(long, conflicts_with = "contexts")]
    pub all_contexts: bool,
    /// How many contexts to work on at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARALLEL, value_parser = parse_parallel)]
    pub parallel: usize,
    /// Time limit of one API request (e.g. 10s, 500ms, 1m); retries get their own.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
}

impl ContextArgs {
    /// The full selection with the command's own namespace flag (`None`: not given, so
    /// `HELM_NAMESPACE` and the context's namespace apply).
    pub fn with_namespace(&self, namespace: Option<String>) -> ClusterArgs {
        ClusterArgs {
            kubeconfig: self.kubeconfig.clone(),
            contexts: self.contexts.clone(),
            all_contexts: self.all_contexts,
            namespace,
            parallel: self.parallel,
            request_timeout: self.request_timeout,
        }
    }
}

/// The environment variables that select clusters, read once so resolution is testable.
/// `HELM_*` values that are empty count as unset (Helm exports them empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterEnv {
    /// `KUBECONFIG`: one or more files (`:`-separated, `;` on Windows).
    pub kubeconfig: Option<OsString>,
    /// `HELM_KUBECONTEXT` (set by Helm for plugins when `--kube-context` was given).
    pub helm_kubecontext: Option<String>,
    /// `HELM_NAMESPACE` (set by Helm for plugins).
    pub helm_namespace: Option<String>,
    /// `HELM_DRIVER` (only when the user exported it).
    pub helm_driver: Option<String>,
    /// Home directory, for `~/.kube/config`.
    pub home: Option<PathBuf>,
}

impl ClusterEnv {
    /// Reads the variables of this process.
    pub fn from_process() -> Self {
        fn var(name: &str) -> Option<String> {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        }
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        ClusterEnv {
            kubeconfig: std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()),
            helm_kubecontext: var("HELM_KUBECONTEXT"),
            helm_namespace: var("HELM_NAMESPACE"),
            helm_driver: var("HELM_DRIVER"),
            home,
        }
    }

    /// The Helm storage driver from `HELM_DRIVER` (Secrets when unset).
    pub fn driver(&self) -> Result<Driver, ClusterError> {
        match &self.helm_driver {
            None => Ok(Driver::Secret),
            Some(v) => Driver::parse(v),
        }
    }
}

/// One cluster to work on: a kubeconfig context, the namespace, and a ready client config.
#[derive(Debug, Clone)]
pub struct Target {
    /// The kubeconfig context name ([`IN_CLUSTER_CONTEXT`] for the service account).
    pub context: String,
    /// The namespace resolved by precedence (flag > HELM_NAMESPACE > context > default).
    pub namespace: String,
    /// Client configuration (server, credentials, exec plugins, TLS) for this context.
    pub config: kube::Config,
    /// Where Helm keeps releases here (`HELM_DRIVER`).
    pub driver: Driver,
    /// Per-request time limit (`--request-timeout`).
    pub request_timeout: Option<Duration>,
}

impl Target {
    /// The API server URL, for messages.
    pub fn server(&self) -> String {
        self.config.cluster_url.to_string()
    }
}

/// The kubeconfig files to read, in order: `--kubeconfig`, else every `KUBECONFIG` entry,
/// else `~/.kube/config`. The flag must name an existing file; missing `KUBECONFIG` entries
/// are skipped like kubectl does.
pub fn kubeconfig_paths(
    args: &ClusterArgs,
    env: &ClusterEnv,
) -> Result<Vec<PathBuf>, ClusterError> {
    if let Some(path) = &args.kubeconfig {
        if !path.is_file() {
            return Err(ClusterError::Config {
                message: format!(
                    "--kubeconfig {}: no such file; give the path of a kubeconfig file",
                    path.display()
                ),
            });
        }
        return Ok(vec![path.clone()]);
    }
    if let Some(list) = &env.kubeconfig {
        return Ok(std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty() && p.is_file())
            .collect());
    }
    Ok(env
        .home
        .as_ref()
        .map(|h| h.join(".kube").join("config"))
        .filter(|p| p.is_file())
        .into_iter()
        .collect())
}

/// Reads and merges kubeconfig files (first file wins per entry, like kubectl).
pub fn load_kubeconfig(paths: &[PathBuf]) -> Result<Kubeconfig, ClusterError> {
    let mut merged = Kubeconfig::default();
    for path in paths {
        let next = Kubeconfig::read_from(path).map_err(|e| ClusterError::Config {
            message: format!("kubeconfig {}: {e}", path.display()),
        })?;
        merged = merged.merge(next).map_err(|e| ClusterError::Config {
            message: format!("kubeconfig {}: cannot merge: {e}", path.display()),
        })?;
    }
    Ok(merged)
}

/// The context names a call selects: flag list or `--all-contexts`, else `HELM_KUBECONTEXT`,
/// else `current-context`. Every name must exist (else [`ClusterError::ContextNotFound`]).
pub fn select_contexts(
    args: &ClusterArgs,
    env: &ClusterEnv,
    kubeconfig: &Kubeconfig,
) -> Result<Vec<String>, ClusterError> {
    let known: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let wanted: Vec<String> = if args.all_contexts {
        if known.is_empty() {
            return Err(ClusterError::Config {
                message: "--all-contexts: the kubeconfig has no contexts".to_string(),
            });
        }
        known.clone()
    } else if !args.contexts.is_empty() {
        let mut list: Vec<String> = Vec::new();
        for c in &args.contexts {
            let c = c.trim();
            if !c.is_empty() && !list.iter().any(|x| x == c) {
                list.push(c.to_string());
            }
        }
        list
    } else if let Some(c) = &env.helm_kubecontext {
        vec![c.clone()]
    } else if let Some(c) = kubeconfig
        .current_context
        .as_ref()
        .filter(|c| !c.is_empty())
    {
        vec![c.clone()]
    } else {
        return Err(ClusterError::Config {
            message: format!(
                "the kubeconfig sets no current-context; choose one with --kube-context{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (known contexts: {})", known.join(", "))
                }
            ),
        });
    };
    if wanted.is_empty() {
        return Err(ClusterError::InvalidArgument(
            "--kube-context: give at least one context name".to_string(),
        ));
    }
    for c in &wanted {
        if !known.contains(c) {
            return Err(ClusterError::ContextNotFound {
                context: c.clone(),
                known,
            });
        }
    }
    Ok(wanted)
}

/// The namespace for a context: flag > `HELM_NAMESPACE` > the context's namespace > `default`.
pub fn resolve_namespace(
    args: &ClusterArgs,
    env: &ClusterEnv,
    context_namespace: Option<&str>,
) -> String {
    args.namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(env.helm_namespace.as_deref())
        .or(context_namespace.filter(|n| !n.is_empty()))
        .unwrap_or("default")
        .to_string()
}

/// Resolves flags and environment into targets, in the order the contexts were given (or
/// kubeconfig order for `--all-contexts`). Without any kubeconfig file the in-cluster
/// service account is used when running in a pod.
pub async fn resolve_targets(
    args: &ClusterArgs,
    env: &ClusterEnv,
) -> Result<Vec<Target>, ClusterError> {
    if args.parallel == 0 {
        return Err(ClusterError::InvalidArgument(
            "--parallel must be at least 1".to_string(),
        ));
    }
    let driver = env.driver()?;
    let paths = kubeconfig_paths(args, env)?;
    if paths.is_empty() {
        return in_cluster_target(args, env, driver);
    }
    let kubeconfig = load_kubeconfig(&paths)?;
    let contexts = select_contexts(args, env, &kubeconfig)?;
    let mut targets = Vec::with_capacity(contexts.len());
    for name in contexts {
        let context_ns = kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.namespace.clone());
        let options = KubeConfigOptions {
            context: Some(name.clone()),
            ..KubeConfigOptions::default()
        };
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
            .await
            .map_err(|e| ClusterError::Config {
                message: format!("context \"{name}\" in {}: {e}", describe_paths(&paths)),
            })?;
        let namespace = resolve_namespace(args, env, context_ns.as_deref());
        tune(&mut config, &namespace, args.request_timeout);
        targets.push(Target {
            context: name,
            namespace,
            config,
            driver,
            request_timeout: args.request_timeout,
        });
    }
    Ok(targets)
}

fn in_cluster_target(
    args: &ClusterArgs,
    env: &ClusterEnv,
    driver: Driver,
) -> Result<Vec<Target>, ClusterError> {
    let wanted = args
        .contexts
        .first()
        .cloned()
        .or_else(|| env.helm_kubecontext.clone());
    if let Some(context) = wanted {
        return Err(ClusterError::ContextNotFound {
            context,
            known: Vec::new(),
        });
    }
    let mut config = kube::Config::incluster().map_err(|e| ClusterError::Config {
        message: format!(
            "no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running \
             in a pod with a service account ({e}); point --kubeconfig at your cluster's kubeconfig"
        ),
    })?;
    let sa_namespace = config.default_namespace.clone();
    let namespace = resolve_namespace(args, env, Some(&sa_namespace));
    tune(&mut config, &namespace, args.request_timeout);
    Ok(vec![Target {
        context: IN_CLUSTER_CONTEXT.to_string(),
        namespace,
        config,
        driver,
        request_timeout: args.request_timeout,
    }])
}

/// Our own retry policy replaces kube's built-in one, so requests are not retried twice.
fn tune(config: &mut kube::Config, namespace: &str, timeout: Option<Duration>) {
    config.default_namespace = namespace.to_string();
    config.default_retry = false;
    if let Some(t) = timeout {
        config.connect_timeout = Some(config.connect_timeout.map_or(t, |c| c.min(t)));
    }
}

fn describe_paths(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p: &PathBuf| display(p)).collect();
    names.join(", ")
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// `--parallel`: a positive integer.
pub fn parse_parallel(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a positive integer")),
    }
}

/// `--request-timeout`: a duration like kubectl's (`30s`, `500ms`, `1m`, `1h`, `1m30s`; a
/// bare number is seconds). `0` means no limit, as in kubectl.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("empty duration".to_string());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("{s:?} is too large"));
    }
    let bad = || format!("{s:?} is not a duration (examples: 30s, 500ms, 1m30s)");
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: f64 = rest
            .get(..digits)
            .ok_or_else(bad)?
            .parse()
            .map_err(|_| bad())?;
        rest = rest.get(digits..).ok_or_else(bad)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_len).ok_or_else(bad)?;
        rest = rest.get(unit_len..).ok_or_else(bad)?;
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(number * scale).map_err(|_| bad())?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        cluster: ClusterArgs,
    }

    fn parse(args: &[&str]) -> Result<ClusterArgs, clap::Error> {
        let mut all = vec!["x"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).map(|c| c.cluster)
    }

    const ONE: &str = "apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: c1
  cluster: {server: 'https://one.example:6443'}
- name: shared
  cluster: {server: 'https://from-first.example'}
users:
- name: u1
  user: {token: abc}
contexts:
- name: alpha
  context: {cluster: c1, user: u1, namespace: team-a}
- name: beta
  context: {cluster: shared, user: u1}
";

    const TWO: &str = "apiVersion: v1
kind: Config
current-context: gamma
clusters:
- name: shared
  cluster: {server: 'https://from-second.example'}
- name: c3
  cluster: {server: 'https://three.example'}
users:
- name: u1
  user: {token: other}
contexts:
- name: gamma
  context: {cluster: c3, user: u1, namespace: team-g}
- name: alpha
  context: {cluster: c3, user: u1, namespace: ignored}
";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn flags_parse_like_kubectl_and_helm() {
        let a = parse(&["--kube-context", "a,b", "--context", "c", "-n", "ops"]).unwrap();
        assert_eq!(a.contexts, vec!["a", "b", "c"]);
        assert_eq!(a.namespace.as_deref(), Some("ops"));
        assert_eq!(a.parallel, DEFAULT_PARALLEL);
        let a = parse(&[
            "--all-contexts",
            "--parallel",
            "3",
            "--request-timeout",
            "1m30s",
        ])
        .unwrap();
        assert!(a.all_contexts);
        assert_eq!(a.parallel, 3);
        assert_eq!(a.request_timeout, Some(Duration::from_secs(90)));
        assert!(parse(&["--all-contexts", "--context", "a"]).is_err());
        assert!(parse(&["--parallel", "0"]).is_err());
        assert!(parse(&["--request-timeout", "soon"]).is_err());
    }

    #[derive(Parser)]
    struct OwnNamespace {
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        #[command(flatten)]
        cluster: ContextArgs,
    }

    #[test]
    fn context_args_fit_commands_with_their_own_namespace_flag() {
        let cli =
            OwnNamespace::try_parse_from(["x", "-n", "ops", "--context", "a,b", "--parallel", "2"])
                .unwrap();
        let args = cli.cluster.with_namespace(Some(cli.namespace));
        assert_eq!(
            args,
            ClusterArgs {
                contexts: vec!["a".into(), "b".into()],
                namespace: Some("ops".into()),
                parallel: 2,
                ..ClusterArgs::default()
            }
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h2m3s"), Ok(Duration::from_secs(3723)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "10x", "1..2s", "m5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn several_kubeconfig_files_merge_first_wins() {
        let dir = tempfile::tempdir().unwrap();
        let one = write(dir.path(), "one", ONE);
        let two = write(dir.path(), "two", TWO);
        let list = std::env::join_paths([&one, &dir.path().join("missing"), &two]).unwrap();
        let env = ClusterEnv {
            kubeconfig: Some(list),
            ..ClusterEnv::default()
        };
        let args = ClusterArgs {
            all_contexts: true,
            parallel: 1,
            ..ClusterArgs::default()
        };
        let targets = rt().block_on(resolve_targets(&args, &env)).unwrap();
        let got: Vec<(String, String, String)> = targets
            .iter()
            .map(|t| (t.context.clone(), t.namespace.clone(), t.server()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "alpha".into(),
                    "team-a".into(),
                    "https://one.example:6443/".into()
                ),
                (
                    "beta".into(),
                    "default".into(),
                    "https://from-first.example/".into()
                ),
                (
                    "gamma".into(),
                    "team-g".into(),
                    "https://three.example/".into()
                ),
            ]
        );
        // current-context comes from the first file that sets it.
        let args = ClusterArgs {
            parallel: 1,
            ..ClusterArgs::default()
        };
        let targets = rt().block_on(resolve_targets(&args, &env)).unwrap();
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].context, "alpha");
        assert!(!targets[0].config.default_retry);
    }

    #[test]
    fn precedence_flag_then_helm_env_then_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let one = write(dir.path(), "one", ONE);
        let mut env = ClusterEnv {
            kubeconfig: Some(one.clone().into_os_string()),
            helm_kubecontext: Some("beta".into()),
            helm_namespace: Some("helm-ns".into()),
            ..ClusterEnv::default()
        };
        let mut args = ClusterArgs {
            parallel: 1,
            ..ClusterArgs::default()
        };
        let t = rt().block_on(resolve_targets(&args, &env)).unwrap();
        assert_eq!(
            (t[0].context.as_str(), t[0].namespace.as_str()),
            ("beta", "helm-ns")
        );
        args.contexts = vec!["alpha".into()];
        args.namespace = Some("flag-ns".into());
        let t = rt().block_on(resolve_targets(&args, &env)).unwrap();
        assert_eq!(
            (t[0].context.as_str(), t[0].namespace.as_str()),
            ("alpha", "flag-ns")
        );
        args.namespace = None;
        env.helm_namespace = None;
        let t = rt().block_on(resolve_targets(&args, &env)).unwrap();
        assert_eq!(t[0].namespace, "team-a");
        // --kubeconfig replaces KUBECONFIG entirely.
        let two = write(dir.path(), "two", TWO);
        args.kubeconfig = Some(two);
        args.contexts.clear();
        env.helm_kubecontext = None;
        let t = rt().block_on(resolve_targets(&args, &env)).unwrap();
        assert_eq!(
            (t[0].context.as_str(), t[0].namespace.as_str()),
            ("gamma", "team-g")
        );
        assert_eq!(t[0].server(), "https://three.example/");
    }

    #[test]
    fn unknown_context_lists_known_ones_and_exits_3() {
        let dir = tempfile::tempdir().unwrap();
        let one = write(dir.path(), "one", ONE);
        let args = ClusterArgs {
            kubeconfig: Some(one),
            contexts: vec!["alpha".into(), "prod".into()],
            parallel: 1,
            ..ClusterArgs::default()
        };
        let err = rt()
            .block_on(resolve_targets(&args, &ClusterEnv::default()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "context \"prod\" does not exist in the kubeconfig; known contexts: alpha, beta"
        );
        assert_eq!(err.exit_code(), 3);
    }

    #[test]
    fn bad_kubeconfig_and_driver_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let args = ClusterArgs {
            kubeconfig: Some(dir.path().join("nope")),
            parallel: 1,
            ..ClusterArgs::default()
        };
        let err = rt()
            .block_on(resolve_targets(&args, &ClusterEnv::default()))
            .unwrap_err();
        assert!(err.to_string().contains("nope: no such file"), "{err}");
        assert_eq!(err.exit_code(), 3);
        let broken = write(dir.path(), "broken", "clusters: [::\n");
        let args = ClusterArgs {
            kubeconfig: Some(broken),
            parallel: 1,
            ..ClusterArgs::default()
        };
        let err = rt()
            .block_on(resolve_targets(&args, &ClusterEnv::default()))
            .unwrap_err();
        assert!(err.to_string().starts_with("kubeconfig "), "{err}");
        let env = ClusterEnv {
            helm_driver: Some("sql".into()),
            ..ClusterEnv::default()
        };
        let err = env.driver().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            ClusterEnv {
                helm_driver: Some("configmap".into()),
                ..ClusterEnv::default()
            }
            .driver()
            .unwrap(),
            Driver::ConfigMap
        );
    }
}
