//! Redaction: the one function that removes secret material from every object before it
//! enters a snapshot, used by both the live collector and the import. It works by
//! **allow-list**: what is not named is dropped.
//!
//! - A kind auditpack evaluates (the kinds of [`crate::snapshot::KINDS`]) keeps the fields
//!   its allow-list names (module `allow`, described in `docs/collect.md`): those the
//!   checks, the diff and the packet read, and a few references that make the evidence
//!   readable. Values that are evidence but may hold a credential are masked in place
//!   ([`REDACTED`]): literal `env` values,
//!   probe header values, probe and lifecycle `exec` commands, credential values in
//!   container `command` and `args` (flag names kept; see [`mask`]), userinfo and
//!   credential query parameters in URLs, label values under credential-like keys, and
//!   annotations other than the few checks read.
//! - A Secret (kind compared without regard to case) keeps its metadata and `type`; its
//!   `data` and `stringData` are listed key by key.
//! - Any other kind keeps `apiVersion`, `kind` and `metadata` without annotations: a CRD's
//!   settings, a `kind: Config` kubeconfig, a ConfigMap's data, a list of an unknown kind.
//!
//! Every removal is returned as a [`Redaction`] (kind, object, JSON pointer, reason; never
//! the value), except `metadata.managedFields`, each allow-list's `quiet` fields (API
//! bookkeeping and scheduling fields) and `status` fields, which are dropped as noise.
//! The evidence files (EncryptionConfiguration, audit Policy) pass through allow-lists of
//! their own: [`redact_encryption_config`], [`redact_audit_policy`].

use serde_json::{Map, Value};

use crate::snapshot::Redaction;

mod allow;
pub mod mask;

use allow::{Obj, Spec};

/// The marker that replaces a value that was masked (an environment variable's value,
/// a credential in an argument).
pub const REDACTED: &str = "<redacted by auditpack>";

/// The annotation `kubectl apply` writes, which repeats the whole applied object.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One removal from an evidence file or object: where, and why (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// JSON pointer (RFC 6901) to what was removed or masked.
    pub pointer: String,
    /// Why.
    pub reason: &'static str,
}

/// Removes secret material and noise from one object in place, and returns what was
/// removed. `key` is the snapshot kind key the object is filed under (used in the
/// returned redactions). A known kind spelled in another case (`kind: secret`) is
/// redacted as that kind and its `kind` written the API's way.
pub fn redact_object(object: &mut Value, key: &str) -> Vec<Redaction> {
    let (namespace, name) = {
        let (ns, name) = crate::snapshot::object_ref(object);
        ((!ns.is_empty()).then(|| ns.to_string()), name.to_string())
    };
    redact_value(object)
        .into_iter()
        .map(|r| Redaction {
            kind: key.to_string(),
            namespace: namespace.clone(),
            name: name.clone(),
            pointer: r.pointer,
            reason: r.reason.to_string(),
        })
        .collect()
}

/// [`redact_object`] without the object's identity: the removals as pointers and reasons.
pub fn redact_value(object: &mut Value) -> Vec<Removed> {
    let str_field = |f: &str| {
        object
            .get(f)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let api_version = str_field("apiVersion");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = str_field("kind");
    let kind = kind.as_str();
    let spec: &'static Obj = match allow::KINDS
        .iter()
        .find(|(g, k, _)| *g == group && k.eq_ignore_ascii_case(kind))
    {
        Some((_, canonical, spec)) => {
            if kind != *canonical
                && let Some(m) = object.as_object_mut()
            {
                m.insert("kind".into(), Value::String((*canonical).to_string()));
            }
            spec
        }
        None if group.is_empty() && kind.eq_ignore_ascii_case("ConfigMap") => &allow::CONFIGMAP,
        None => &allow::UNEVALUATED,
    };
    let evaluated =
        !std::ptr::eq(spec, &allow::UNEVALUATED) && !std::ptr::eq(spec, &allow::CONFIGMAP);
    apply_root(object, spec, evaluated)
}

/// Passes an EncryptionConfiguration document through its allow-list: resources, provider
/// order, key names, KMS names and endpoints stay; every key's `secret` and every field
/// kube-apiserver does not define is removed.
pub fn redact_encryption_config(document: &mut Value) -> Vec<Removed> {
    apply_root(document, &allow::ENCRYPTION_CONFIGURATION, true)
}

/// Passes an audit Policy document through its allow-list (its rules and stages).
pub fn redact_audit_policy(document: &mut Value) -> Vec<Removed> {
    apply_root(document, &allow::AUDIT_POLICY, true)
}

/// A server URL as it may be recorded and shown: without userinfo (`https://user:pass@`),
/// credential query values masked. `None` when there was nothing to remove.
pub fn server_url(url: &str) -> Option<String> {
    mask::strip_userinfo(url)
}

fn apply_root(v: &mut Value, spec: &'static Obj, evaluated: bool) -> Vec<Removed> {
    let mut w = Walker {
        path: String::new(),
        found: Vec::new(),
        evaluated,
    };
    match v.as_object_mut() {
        Some(m) => w.object(m, spec),
        None => {
            if !v.is_null() {
                w.record(allow::WRONG_TYPE);
                *v = Value::Object(Map::new());
            }
        }
    }
    w.found
}

/// Walks one value along its allow-list, keeping the JSON pointer of where it is.
struct Walker {
    path: String,
    found: Vec<Removed>,
    /// Whether the object's kind is one auditpack evaluates (else its annotations all go).
    evaluated: bool,
}

/// RFC 6901 escaping of one pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Walker {
    fn record(&mut self, reason: &'static str) {
        self.found.push(Removed {
            pointer: self.path.clone(),
            reason,
        });
    }

    /// Runs `f` with `segment` appended to the path.
    fn at<R>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&escape(segment));
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Keeps an object's allowed fields, in their order.
    fn object(&mut self, m: &mut Map<String, Value>, o: &'static Obj) {
        let entries = std::mem::take(m);
        for (k, mut v) in entries {
            let spec = o
                .fields
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, s)| s)
                .or(o.rest);
            let keep = self.at(&k, |w| match spec {
                Some(spec) => w.apply(&mut v, spec),
                None if o.quiet.contains(&k.as_str()) || v.is_null() => false,
                None if o.status => {
                    if k == "message" && v.as_str().is_some_and(|s| !s.is_empty()) {
                        w.record("status message");
                    } else {
                        w.status_messages(&v);
                    }
                    false
                }
                None => {
                    w.record(if w.evaluated {
                        o.reason
                    } else {
                        allow::NOT_EVALUATED
                    });
                    false
                }
            });
            if keep {
                m.insert(k, v);
            }
        }
    }

    /// Lists every non-empty `message` inside a dropped part of a `status`.
    fn status_messages(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    self.at(k, |w| {
                        if k == "message" && c.as_str().is_some_and(|s| !s.is_empty()) {
                            w.record("status message");
                        } else {
                            w.status_messages(c);
                        }
                    });
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    self.at(&i.to_string(), |w| w.status_messages(c));
                }
            }
            _ => {}
        }
    }

    /// Applies `spec` to `v` in place; `false` when `v` is to be removed.
    fn apply(&mut self, v: &mut Value, spec: &'static Spec) -> bool {
        if v.is_null() {
            // A null holds nothing (and `podSelector: null` means something).
            return !matches!(spec, Spec::Drop(_) | Spec::DropEntries(_));
        }
        match spec {
            Spec::Str => self.typed(v.is_string()),
            Spec::Int => self.typed(v.is_number()),
            Spec::Bool => self.typed(v.is_boolean()),
            Spec::Scalar => self.typed(!v.is_object() && !v.is_array()),
            Spec::Obj(o) => self.obj(v, o),
            Spec::List(item) => self.list(v, item),
            Spec::Map(value) => self.map(v, value),
            Spec::Labels => self.labels(v),
            Spec::Annotations => self.annotations(v, self.evaluated),
            Spec::Args => self.args(v),
            Spec::Exec => self.exec(v),
            Spec::Masked(reason) => self.masked(v, reason),
            Spec::Drop(reason) => {
                self.record(reason);
                false
            }
            Spec::DropEntries(reason) => self.drop_entries(v, reason),
            Spec::Url => self.url(v),
            Spec::Quantity => self.quantity(v),
        }
    }

    /// A scalar of the expected type stays; one of another type is removed.
    fn typed(&mut self, ok: bool) -> bool {
        if !ok {
            self.record(allow::WRONG_TYPE);
        }
        ok
    }

    /// An object keeps its allowed fields.
    fn obj(&mut self, v: &mut Value, o: &'static Obj) -> bool {
        match v.as_object_mut() {
            Some(m) => self.object(m, o),
            None => {
                // Kept as an empty object, so a check that tests for the field's
                // presence (a volume's type) sees what the API would.
                self.record(allow::WRONG_TYPE);
                *v = Value::Object(Map::new());
            }
        }
        true
    }

    /// Each item of a list is kept or nulled.
    fn list(&mut self, v: &mut Value, item: &'static Spec) -> bool {
        match v.as_array_mut() {
            Some(items) => {
                for (i, x) in items.iter_mut().enumerate() {
                    let keep = self.at(&i.to_string(), |w| w.apply(x, item));
                    if !keep {
                        // Null keeps the other items' indices (evidence pointers).
                        *x = Value::Null;
                    }
                }
            }
            None => {
                self.record(allow::WRONG_TYPE);
                *v = Value::Array(Vec::new());
            }
        }
        true
    }

    /// Each entry of a map (any key) is kept or removed.
    fn map(&mut self, v: &mut Value, value: &'static Spec) -> bool {
        match v.as_object_mut() {
            Some(m) => {
                let entries = std::mem::take(m);
                for (k, mut x) in entries {
                    if self.at(&k, |w| w.apply(&mut x, value)) {
                        m.insert(k, x);
                    }
                }
            }
            None => {
                self.record(allow::WRONG_TYPE);
                *v = Value::Object(Map::new());
            }
        }
        true
    }

    /// Command-line arguments stay, with credentials in them masked.
    fn args(&mut self, v: &mut Value) -> bool {
        match v.as_array_mut() {
            Some(args) => {
                for (i, a) in args.iter_mut().enumerate() {
                    if !a.is_string() && !a.is_null() {
                        self.at(&i.to_string(), |w| w.record(allow::WRONG_TYPE));
                        *a = Value::Null;
                    }
                }
                for i in mask::mask_args(args) {
                    self.at(&i.to_string(), |w| {
                        w.record("credential in a command-line argument")
                    });
                }
            }
            None => {
                self.record(allow::WRONG_TYPE);
                *v = Value::Array(Vec::new());
            }
        }
        true
    }

    /// An exec command is replaced by one `REDACTED` word (an empty one stays empty).
    fn exec(&mut self, v: &mut Value) -> bool {
        let done = v
            .as_array()
            .is_some_and(|a| a.len() == 1 && a[0] == REDACTED);
        let empty = v.as_array().is_some_and(Vec::is_empty);
        if !done && !empty {
            *v = Value::Array(vec![Value::String(REDACTED.into())]);
            self.record("exec command");
        }
        true
    }

    /// The field stays, its value masked (an empty string stays empty).
    fn masked(&mut self, v: &mut Value, reason: &'static str) -> bool {
        match v {
            Value::String(s) if s.is_empty() || s == REDACTED => {}
            _ => {
                *v = Value::String(REDACTED.into());
                self.record(reason);
            }
        }
        true
    }

    /// The field is removed, each of its entries listed.
    fn drop_entries(&mut self, v: &Value, reason: &'static str) -> bool {
        match v.as_object() {
            Some(m) => {
                for k in m.keys() {
                    self.at(k, |w| w.record(reason));
                }
            }
            None => self.record(reason),
        }
        false
    }

    /// A resource quantity stays when it has the API's form; any other value is replaced
    /// by the marker (a number of JSON stays as it is).
    fn quantity(&mut self, v: &mut Value) -> bool {
        match v {
            Value::Number(_) => true,
            Value::String(s) if s == REDACTED || mask::is_quantity(s) => true,
            Value::String(_) => {
                *v = Value::String(REDACTED.into());
                self.record("value not of the form of a resource quantity");
                true
            }
            _ => self.typed(false),
        }
    }

    /// A URL stays, with credentials in it masked.
    fn url(&mut self, v: &mut Value) -> bool {
        match v.as_str() {
            Some(s) => {
                if let Some(m) = mask::mask_url(s) {
                    *v = Value::String(m);
                    self.record("credential in a URL");
                }
                true
            }
            None => self.typed(false),
        }
    }

    /// Labels stay (selectors and checks read them), but the value of a label whose key
    /// names a credential is masked.
    fn labels(&mut self, v: &mut Value) -> bool {
        let Some(m) = v.as_object_mut() else {
            self.record(allow::WRONG_TYPE);
            return false;
        };
        let entries = std::mem::take(m);
        for (k, mut x) in entries {
            let keep = self.at(&k, |w| match &x {
                Value::String(s) => {
                    let name = k.rsplit('/').next().unwrap_or(&k);
                    if mask::is_credential_name(name) && !mask::is_benign(name, s) {
                        x = Value::String(REDACTED.into());
                        w.record("label value under a credential-like key");
                    }
                    true
                }
                Value::Null => true,
                _ => {
                    w.record(allow::WRONG_TYPE);
                    false
                }
            });
            if keep {
                m.insert(k, x);
            }
        }
        true
    }

    /// Annotations: with `allowed`, those of [`allow::ANNOTATIONS`] stay (a value of an
    /// unexpected form masked); every other one is removed and listed.
    fn annotations(&mut self, v: &mut Value, allowed: bool) -> bool {
        let Some(m) = v.as_object_mut() else {
            self.record(allow::WRONG_TYPE);
            return false;
        };
        let entries = std::mem::take(m);
        for (k, mut x) in entries {
            let shape = allowed
                .then(|| {
                    allow::ANNOTATIONS
                        .iter()
                        .find(|(n, _)| *n == k)
                        .or_else(|| {
                            allow::ANNOTATION_PREFIXES
                                .iter()
                                .find(|(p, _)| k.starts_with(p))
                        })
                        .map(|(_, s)| *s)
                })
                .flatten();
            let keep = self.at(&k, |w| {
                if k == LAST_APPLIED {
                    w.record("last-applied-configuration annotation");
                    return false;
                }
                if allow::COPY_ANNOTATIONS.contains(&k.as_str()) {
                    w.record("annotation holding a copy of the object");
                    return false;
                }
                let Some(shape) = shape else {
                    w.record(if allowed {
                        "annotation not read by any check"
                    } else {
                        "annotation of a kind auditpack does not evaluate"
                    });
                    return false;
                };
                match &x {
                    Value::String(s) if shape.admits(s) || s == REDACTED => {}
                    _ => {
                        x = Value::String(REDACTED.into());
                        w.record("annotation value of an unexpected form");
                    }
                }
                true
            });
            if keep {
                m.insert(k, x);
            }
        }
        !m.is_empty()
    }
}

#[cfg(test)]
mod tests;
