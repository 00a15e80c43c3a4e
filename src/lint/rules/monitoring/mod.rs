//! Monitoring rules: Prometheus Operator ServiceMonitors, PodMonitors and PrometheusRules —
//! do they select the chart's Services and pods, name ports that exist, and hold valid
//! expressions; are they guarded by the API's availability.

pub mod podmonitor_port_not_found;
pub mod podmonitor_selects_nothing;
pub mod prometheusrule_invalid_expr;
pub mod prometheusrule_missing_labels;
pub mod servicemonitor_namespace_selector_mismatch;
pub mod servicemonitor_not_capability_guarded;
pub mod servicemonitor_port_not_found;
pub mod servicemonitor_selects_nothing;

use super::util::{bool_at, get, label_selector_matches, labels, strings_at};
use crate::lint::{Context, LintObject};

/// Which namespaces a monitor's `namespaceSelector` covers.
pub enum Scope {
    Any,
    Names(Vec<String>),
}

impl Scope {
    pub fn of(monitor: &LintObject, ctx: &Context<'_>) -> Scope {
        if bool_at(&monitor.object, "spec.namespaceSelector.any") == Some(true) {
            return Scope::Any;
        }
        let names = strings_at(&monitor.object, "spec.namespaceSelector.matchNames");
        if names.is_empty() {
            Scope::Names(vec![monitor
                .namespace
                .clone()
                .unwrap_or_else(|| ctx.namespace.to_string())])
        } else {
            Scope::Names(names)
        }
    }

    pub fn contains(&self, ns: Option<&str>) -> bool {
        match self {
            Scope::Any => true,
            Scope::Names(names) => ns.is_some_and(|n| names.iter().any(|x| x == n)),
        }
    }

    /// The scope is only the release namespace (or the monitor's own), so a selector that
    /// matches nothing there is a bug rather than a reference to someone else's Services
    /// (kube-prometheus-stack scrapes kubelet and CoreDNS in kube-system on purpose).
    pub fn is_chart_local(&self, ctx: &Context<'_>, monitor: &LintObject) -> bool {
        match self {
            Scope::Any => false,
            Scope::Names(names) => names
                .iter()
                .all(|n| n == ctx.namespace || monitor.namespace.as_deref() == Some(n.as_str())),
        }
    }
}

/// The built-in `default/kubernetes` Service (the API server) carries these labels; monitors
/// selecting it are about the cluster, not the chart.
pub fn selects_api_server(monitor: &LintObject) -> bool {
    let selector = get(&monitor.object, "spec.selector").unwrap_or_default();
    let apiserver = [
        ("component".to_string(), "apiserver".to_string()),
        ("provider".to_string(), "kubernetes".to_string()),
    ];
    !super::util::label_selector_is_empty(&selector)
        && label_selector_matches(&selector, &apiserver)
}

/// Services of the chart whose labels a ServiceMonitor's selector matches, in any namespace.
pub fn selected_services(ctx: &Context<'_>, monitor: &LintObject) -> Vec<usize> {
    let selector = get(&monitor.object, "spec.selector").unwrap_or_default();
    ctx.objects
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            o.kind == "Service" && label_selector_matches(&selector, &labels(&o.object))
        })
        .map(|(i, _)| i)
        .collect()
}

pub fn is_monitoring_kind(kind: &str) -> bool {
    matches!(
        kind,
        "ServiceMonitor" | "PodMonitor" | "PrometheusRule" | "Probe" | "ScrapeConfig"
    )
}
