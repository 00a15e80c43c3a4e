//! API errors as the real server words them: `kind: Status` bodies with `reason`, `code`,
//! `message` and `details`.

use serde_json::{json, Value};

use super::discovery::ResourceInfo;

/// An error answer: HTTP code, `reason`, message and optional details.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, res: &ResourceInfo, name: &str) -> ApiError {
        let mut d = json!({"name": name, "kind": res.plural});
        if !res.group.is_empty() {
            d["group"] = json!(res.group);
        }
        self.details = Some(d);
        self
    }

    /// `secrets "x" not found`.
    pub fn not_found(res: &ResourceInfo, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", res.qualified()),
        )
        .with_details(res, name)
    }

    /// `secrets "x" already exists`.
    pub fn already_exists(res: &ResourceInfo, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", res.qualified()),
        )
        .with_details(res, name)
    }

    /// The optimistic-concurrency conflict of a stale `resourceVersion`.
    pub fn conflict(res: &ResourceInfo, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                res.qualified()
            ),
        )
        .with_details(res, name)
    }

    /// 422 with the `Kind.group "name" is invalid: <cause>` wording.
    pub fn invalid(res: &ResourceInfo, name: &str, cause: &str) -> ApiError {
        let kind = if res.group.is_empty() {
            res.kind.clone()
        } else {
            format!("{}.{}", res.kind, res.group)
        };
        let mut e = ApiError::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {cause}"),
        );
        let mut d = json!({"name": name, "kind": res.kind, "causes": [{"message": cause}]});
        if !res.group.is_empty() {
            d["group"] = json!(res.group);
        }
        e.details = Some(d);
        e
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// The 404 for a path the server does not serve.
    pub fn no_route() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// The `kind: Status` body.
    pub fn to_status(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

/// The `Status` a successful delete answers with.
pub fn success_status(res: &ResourceInfo, name: &str, uid: &str) -> Value {
    let mut d = json!({"name": name, "kind": res.plural, "uid": uid});
    if !res.group.is_empty() {
        d["group"] = json!(res.group);
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": d,
    })
}
