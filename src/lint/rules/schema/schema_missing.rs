//! `schema-missing`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    SchemaMissing {
        id: "schema-missing",
        family: "schema",
        severity: Warning,
        summary: "No schema for a kind (only with --missing-schemas warn|error)",
        doc: r#"## What it does
Reports objects whose kind has no schema: not a built-in kind of the target version, no
CRD among the chart's templates or `crds/`, no `--crd` and no `--schema-location` file for
it. Inside `opm lint` this rule is silent unless `--missing-schemas warn|error` (or
`schema.missingSchemas` in `.opm.yaml`) asks for it: operator charts routinely render
ServiceMonitors or cert-manager Certificates whose CRDs another chart installs.

Also reported (as a warning) when schema validation cannot run at all for the target, for
example an unsupported `--kube-version` or a `--crd` file that does not parse.

## Why is this bad?
An object without a schema is not validated: typos in it reach the cluster.

## Example
```yaml
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor   # CRD not in the chart
```

## Fix
Pass the CRDs with `--crd DIR` or JSON Schemas with `--schema-location DIR`, or keep the
default `--missing-schemas skip`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
