//! The audit Policy engine: which level a Policy assigns a request, as kube-apiserver
//! decides it (the first matching rule wins).

use serde_json::Value;

use crate::controls::util::{arr, str_at, strs};

/// One request an audit policy is asked about.
#[derive(Debug, Clone)]
pub struct AuditRequest<'a> {
    /// User name.
    pub user: &'a str,
    /// Groups.
    pub groups: &'a [&'a str],
    /// Verb.
    pub verb: &'a str,
    /// `Some((group, resource with /subresource, namespace, name))` for a resource request.
    pub resource: Option<(&'a str, &'a str, &'a str, &'a str)>,
    /// Path, for a non-resource request.
    pub path: &'a str,
}

/// The level (`None`, `Metadata`, `Request`, `RequestResponse`) an audit Policy assigns a
/// request, and the index of the rule that decided it: the first rule that matches wins;
/// when none matches, the request is not logged.
pub fn audit_level(policy: &Value, req: &AuditRequest) -> (String, Option<usize>) {
    for (i, rule) in arr(policy, "/rules").iter().enumerate() {
        if rule_matches(rule, req) {
            return (
                str_at(rule, "/level").unwrap_or("None").to_string(),
                Some(i),
            );
        }
    }
    ("None".to_string(), None)
}

fn rule_matches(rule: &Value, req: &AuditRequest) -> bool {
    let users = strs(rule, "/users");
    if !users.is_empty() && !users.contains(&req.user) {
        return false;
    }
    let groups = strs(rule, "/userGroups");
    if !groups.is_empty() && !groups.iter().any(|g| req.groups.contains(g)) {
        return false;
    }
    let verbs = strs(rule, "/verbs");
    if !verbs.is_empty() && !verbs.contains(&req.verb) {
        return false;
    }
    let namespaces = strs(rule, "/namespaces");
    let resources = arr(rule, "/resources");
    if !namespaces.is_empty() || !resources.is_empty() {
        let Some((group, resource, ns, obj)) = req.resource else {
            return false;
        };
        if !namespaces.is_empty() && !namespaces.contains(&ns) {
            return false;
        }
        if resources.is_empty() {
            return true;
        }
        let (res, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (resource, None),
        };
        return resources.iter().any(|gr| {
            if str_at(gr, "/group").unwrap_or("") != group {
                return false;
            }
            let names = strs(gr, "/resourceNames");
            if !names.is_empty() && !names.contains(&obj) {
                return false;
            }
            let rs = strs(gr, "/resources");
            rs.is_empty()
                || rs.iter().any(|r| {
                    *r == "*"
                        || *r == resource
                        || (sub.is_some() && r.strip_suffix("/*") == Some(res))
                        || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
                })
        });
    }
    let urls = strs(rule, "/nonResourceURLs");
    if !urls.is_empty() {
        if req.resource.is_some() {
            return false;
        }
        return urls.iter().any(|u| {
            *u == req.path || u.strip_suffix('*').is_some_and(|p| req.path.starts_with(p))
        });
    }
    true
}
