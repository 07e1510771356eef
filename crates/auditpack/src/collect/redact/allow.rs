//! The allow-lists: for each kind auditpack evaluates, the fields that are kept (those the
//! checks, the diff and the packet read, plus a few references that make the evidence
//! readable), as data. A field not named here is dropped, and listed in the snapshot's
//! `redactions` unless it is one of an object's `quiet` fields (bookkeeping and scheduling
//! fields the API defines, which hold no credentials) or under `status` (written by the
//! cluster's controllers; a `message` dropped from it is listed).
//!
//! `docs/collect.md` describes these lists in words; `tests::findings_do_not_change`
//! (in `mod.rs`) fails when a check reads a field that an allow-list drops.

/// How one field's value is treated.
#[derive(Debug)]
pub(super) enum Spec {
    /// A string.
    Str,
    /// A number.
    Int,
    /// A boolean.
    Bool,
    /// Any string, number or boolean (int-or-string ports, quantities).
    Scalar,
    /// An object with an allow-list of its own.
    Obj(&'static Obj),
    /// A list whose items follow the spec.
    List(&'static Spec),
    /// An object with any keys, whose values follow the spec (`matchLabels`).
    Map(&'static Spec),
    /// `metadata.labels`: kept, except values under a credential-like key.
    Labels,
    /// `metadata.annotations`: of an evaluated kind only [`ANNOTATIONS`] stay; of any
    /// other kind, none.
    Annotations,
    /// A container's `command` or `args`: credential values masked (see `mask`).
    Args,
    /// A probe or lifecycle `exec.command`: replaced whole by the marker.
    Exec,
    /// A value replaced by the marker, for this reason.
    Masked(&'static str),
    /// A field removed, for this reason.
    Drop(&'static str),
    /// A map removed, one removal listed per key, for this reason (Secret `data`).
    DropEntries(&'static str),
    /// A URL or a path with a query: userinfo and credential parameters masked.
    Url,
    /// A resource quantity (`500m`, `128Mi`, `2`): kept when it has the form the API
    /// defines, else replaced by the marker (the field stays, so a check that tests for
    /// the limit's presence still sees it).
    Quantity,
}

/// The allow-list of one object.
#[derive(Debug)]
pub(super) struct Obj {
    /// The fields kept, and how.
    pub fields: &'static [(&'static str, Spec)],
    /// Fields dropped without being listed.
    pub quiet: &'static [&'static str],
    /// How every field not in `fields` is treated, instead of being dropped (the keys of a
    /// volume are its type names, which the Pod Security Standards read).
    pub rest: Option<&'static Spec>,
    /// A `status` object: fields not in `fields` are dropped without being listed, except
    /// the `message`s in them.
    pub status: bool,
    /// The reason listed for a dropped field (every dropped field of an object of a kind
    /// auditpack does not evaluate is listed as [`NOT_EVALUATED`]).
    pub reason: &'static str,
}

/// Reason listed for a field of an evaluated kind that is outside its allow-list.
pub(super) const NOT_READ: &str = "not in the allow-list of this kind (no check reads it)";
/// Reason listed for a field of a kind auditpack does not evaluate.
pub(super) const NOT_EVALUATED: &str =
    "kind not evaluated by auditpack: only apiVersion, kind and metadata are kept";
/// Reason listed for a value whose type is not the one the API defines.
pub(super) const WRONG_TYPE: &str = "not of the type the Kubernetes API defines for this field";

const OBJ: Obj = Obj {
    fields: &[],
    quiet: &[],
    rest: None,
    status: false,
    reason: NOT_READ,
};

/// Annotations that stay (their values are read by a check), each with the form its value
/// must have; a value of another form is replaced by the marker (the annotation stays, so
/// a check that tests for it still sees it, and fails closed where it reads the value).
pub(super) const ANNOTATIONS: &[(&str, Shape)] = &[
    ("kubernetes.io/config.mirror", Shape::Hex),
    ("kubernetes.io/config.hash", Shape::Hex),
    (
        "kubernetes.io/config.source",
        Shape::OneOf(&["file", "http", "api"]),
    ),
    ("rbac.authorization.kubernetes.io/autoupdate", Shape::Bool),
    ("kubernetes.io/service-account.name", Shape::Name),
    ("kubernetes.io/service-account.uid", Shape::Hex),
    ("dapr.io/enabled", Shape::Bool),
    ("sidecar.istio.io/inject", Shape::Bool),
    (
        "linkerd.io/inject",
        Shape::OneOf(&["enabled", "disabled", "ingress"]),
    ),
    // Read by the Pod Security Standards before policy version 1.19.
    ("seccomp.security.alpha.kubernetes.io/pod", Shape::Seccomp),
    // Read by exposure.services: a cloud load balancer made internal (VPC only).
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        Shape::Bool,
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        Shape::OneOf(&["internal", "internet-facing"]),
    ),
    (
        "networking.gke.io/load-balancer-type",
        Shape::OneOf(&["Internal", "External"]),
    ),
    (
        "cloud.google.com/load-balancer-type",
        Shape::OneOf(&["Internal", "External", "internal", "external"]),
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        Shape::Bool,
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        Shape::Bool,
    ),
];

/// Annotation prefixes that stay (AppArmor and, before policy version 1.19, seccomp
/// profiles of the Pod Security Standards).
pub(super) const ANNOTATION_PREFIXES: &[(&str, Shape)] = &[
    (
        "container.apparmor.security.beta.kubernetes.io/",
        Shape::AppArmor,
    ),
    (
        "container.seccomp.security.alpha.kubernetes.io/",
        Shape::Seccomp,
    ),
];

/// Annotations that hold a whole copy of the object as it was applied.
pub(super) const COPY_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "kapp.k14s.io/original",
    "kapp.k14s.io/original-diff",
    "objectset.rio.cattle.io/applied",
];

/// The form of an allowed annotation's value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shape {
    /// `true` or `false`.
    Bool,
    /// Hexadecimal digits and `-` (hashes, UIDs), at most 64.
    Hex,
    /// A DNS subdomain (a ServiceAccount name).
    Name,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// `runtime/default`, `unconfined` or `localhost/NAME`.
    AppArmor,
    /// `runtime/default`, `docker/default`, `unconfined` or `localhost/PATH`.
    Seccomp,
}

impl Shape {
    pub(super) fn admits(self, v: &str) -> bool {
        let dns = |s: &str| {
            !s.is_empty()
                && s.len() <= 253
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        };
        match self {
            Shape::Bool => v == "true" || v == "false",
            Shape::Hex => {
                !v.is_empty()
                    && v.len() <= 64
                    && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            }
            Shape::Name => dns(v),
            Shape::OneOf(words) => words.contains(&v),
            Shape::AppArmor => {
                v == "runtime/default"
                    || v == "unconfined"
                    || v.strip_prefix("localhost/").is_some_and(dns)
            }
            Shape::Seccomp => {
                matches!(v, "runtime/default" | "docker/default" | "unconfined")
                    || v.strip_prefix("localhost/").is_some_and(|p| {
                        !p.is_empty()
                            && p.len() <= 253
                            && p.bytes().all(|b| {
                                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/')
                            })
                    })
            }
        }
    }
}

// ---- shared pieces -------------------------------------------------------------------

static OWNER_REF: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("name", Spec::Str),
        ("uid", Spec::Str),
        ("controller", Spec::Bool),
        ("blockOwnerDeletion", Spec::Bool),
    ],
    ..OBJ
};

/// `metadata` of every kind.
pub(super) static META: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("generateName", Spec::Str),
        ("namespace", Spec::Str),
        ("uid", Spec::Str),
        ("resourceVersion", Spec::Str),
        ("generation", Spec::Int),
        ("creationTimestamp", Spec::Str),
        ("deletionTimestamp", Spec::Str),
        ("deletionGracePeriodSeconds", Spec::Int),
        ("labels", Spec::Labels),
        ("annotations", Spec::Annotations),
        ("ownerReferences", Spec::List(&Spec::Obj(&OWNER_REF))),
        ("finalizers", Spec::List(&Spec::Str)),
    ],
    quiet: &["managedFields", "selfLink"],
    ..OBJ
};

static EXPRESSION: Obj = Obj {
    fields: &[
        ("key", Spec::Str),
        ("operator", Spec::Str),
        ("values", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

/// A label selector.
static SELECTOR: Obj = Obj {
    fields: &[
        ("matchLabels", Spec::Map(&Spec::Str)),
        ("matchExpressions", Spec::List(&Spec::Obj(&EXPRESSION))),
    ],
    ..OBJ
};

static NAME_REF: Obj = Obj {
    fields: &[("name", Spec::Str)],
    ..OBJ
};

static NAMESPACED_REF: Obj = Obj {
    fields: &[("name", Spec::Str), ("namespace", Spec::Str)],
    ..OBJ
};

// ---- pods and pod templates ----------------------------------------------------------

static PROFILE: Obj = Obj {
    fields: &[("type", Spec::Str), ("localhostProfile", Spec::Str)],
    ..OBJ
};

static SELINUX: Obj = Obj {
    fields: &[
        ("user", Spec::Str),
        ("role", Spec::Str),
        ("type", Spec::Str),
        ("level", Spec::Str),
    ],
    ..OBJ
};

static WINDOWS: Obj = Obj {
    fields: &[
        ("gmsaCredentialSpecName", Spec::Str),
        ("hostProcess", Spec::Bool),
        ("runAsUserName", Spec::Str),
    ],
    ..OBJ
};

static SYSCTL: Obj = Obj {
    fields: &[("name", Spec::Str), ("value", Spec::Str)],
    ..OBJ
};

static POD_SECURITY: Obj = Obj {
    fields: &[
        ("runAsUser", Spec::Int),
        ("runAsGroup", Spec::Int),
        ("runAsNonRoot", Spec::Bool),
        ("fsGroup", Spec::Int),
        ("fsGroupChangePolicy", Spec::Str),
        ("supplementalGroups", Spec::List(&Spec::Int)),
        ("supplementalGroupsPolicy", Spec::Str),
        ("seccompProfile", Spec::Obj(&PROFILE)),
        ("appArmorProfile", Spec::Obj(&PROFILE)),
        ("seLinuxOptions", Spec::Obj(&SELINUX)),
        ("seLinuxChangePolicy", Spec::Str),
        ("sysctls", Spec::List(&Spec::Obj(&SYSCTL))),
        ("windowsOptions", Spec::Obj(&WINDOWS)),
    ],
    ..OBJ
};

static CAPABILITIES: Obj = Obj {
    fields: &[
        ("add", Spec::List(&Spec::Str)),
        ("drop", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

static CONTAINER_SECURITY: Obj = Obj {
    fields: &[
        ("allowPrivilegeEscalation", Spec::Bool),
        ("privileged", Spec::Bool),
        ("readOnlyRootFilesystem", Spec::Bool),
        ("procMount", Spec::Str),
        ("runAsUser", Spec::Int),
        ("runAsGroup", Spec::Int),
        ("runAsNonRoot", Spec::Bool),
        ("capabilities", Spec::Obj(&CAPABILITIES)),
        ("seccompProfile", Spec::Obj(&PROFILE)),
        ("appArmorProfile", Spec::Obj(&PROFILE)),
        ("seLinuxOptions", Spec::Obj(&SELINUX)),
        ("windowsOptions", Spec::Obj(&WINDOWS)),
    ],
    ..OBJ
};

static PORT: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("containerPort", Spec::Int),
        ("hostPort", Spec::Int),
        ("hostIP", Spec::Str),
        ("protocol", Spec::Str),
    ],
    ..OBJ
};

static KEY_REF: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("key", Spec::Str),
        ("optional", Spec::Bool),
    ],
    ..OBJ
};

static FIELD_REF: Obj = Obj {
    fields: &[("apiVersion", Spec::Str), ("fieldPath", Spec::Str)],
    ..OBJ
};

static RESOURCE_FIELD_REF: Obj = Obj {
    fields: &[
        ("containerName", Spec::Str),
        ("resource", Spec::Str),
        ("divisor", Spec::Scalar),
    ],
    ..OBJ
};

static FILE_KEY_REF: Obj = Obj {
    fields: &[
        ("volumeName", Spec::Str),
        ("path", Spec::Str),
        ("key", Spec::Str),
        ("optional", Spec::Bool),
    ],
    ..OBJ
};

static VALUE_FROM: Obj = Obj {
    fields: &[
        ("secretKeyRef", Spec::Obj(&KEY_REF)),
        ("configMapKeyRef", Spec::Obj(&KEY_REF)),
        ("fieldRef", Spec::Obj(&FIELD_REF)),
        ("resourceFieldRef", Spec::Obj(&RESOURCE_FIELD_REF)),
        ("fileKeyRef", Spec::Obj(&FILE_KEY_REF)),
    ],
    ..OBJ
};

/// Reason listed for a literal environment variable value.
pub(super) const ENV_VALUE: &str = "literal env value";

static ENV_VAR: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("value", Spec::Masked(ENV_VALUE)),
        ("valueFrom", Spec::Obj(&VALUE_FROM)),
    ],
    ..OBJ
};

static OPTIONAL_REF: Obj = Obj {
    fields: &[("name", Spec::Str), ("optional", Spec::Bool)],
    ..OBJ
};

static ENV_FROM: Obj = Obj {
    fields: &[
        ("prefix", Spec::Str),
        ("configMapRef", Spec::Obj(&OPTIONAL_REF)),
        ("secretRef", Spec::Obj(&OPTIONAL_REF)),
    ],
    ..OBJ
};

static EXEC: Obj = Obj {
    fields: &[("command", Spec::Exec)],
    ..OBJ
};

static HEADER: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("value", Spec::Masked("HTTP header value")),
    ],
    ..OBJ
};

static HTTP_GET: Obj = Obj {
    fields: &[
        ("host", Spec::Str),
        ("path", Spec::Url),
        ("port", Spec::Scalar),
        ("scheme", Spec::Str),
        ("httpHeaders", Spec::List(&Spec::Obj(&HEADER))),
    ],
    ..OBJ
};

static TCP_SOCKET: Obj = Obj {
    fields: &[("host", Spec::Str), ("port", Spec::Scalar)],
    ..OBJ
};

static GRPC: Obj = Obj {
    fields: &[("port", Spec::Int), ("service", Spec::Str)],
    ..OBJ
};

static SLEEP: Obj = Obj {
    fields: &[("seconds", Spec::Int)],
    ..OBJ
};

static PROBE: Obj = Obj {
    fields: &[
        ("exec", Spec::Obj(&EXEC)),
        ("httpGet", Spec::Obj(&HTTP_GET)),
        ("tcpSocket", Spec::Obj(&TCP_SOCKET)),
        ("grpc", Spec::Obj(&GRPC)),
        ("initialDelaySeconds", Spec::Int),
        ("periodSeconds", Spec::Int),
        ("timeoutSeconds", Spec::Int),
        ("successThreshold", Spec::Int),
        ("failureThreshold", Spec::Int),
        ("terminationGracePeriodSeconds", Spec::Int),
    ],
    ..OBJ
};

static HANDLER: Obj = Obj {
    fields: &[
        ("exec", Spec::Obj(&EXEC)),
        ("httpGet", Spec::Obj(&HTTP_GET)),
        ("tcpSocket", Spec::Obj(&TCP_SOCKET)),
        ("sleep", Spec::Obj(&SLEEP)),
    ],
    ..OBJ
};

static LIFECYCLE: Obj = Obj {
    fields: &[
        ("postStart", Spec::Obj(&HANDLER)),
        ("preStop", Spec::Obj(&HANDLER)),
        ("stopSignal", Spec::Str),
    ],
    ..OBJ
};

static MOUNT: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("mountPath", Spec::Str),
        ("subPath", Spec::Str),
        ("subPathExpr", Spec::Str),
        ("readOnly", Spec::Bool),
        ("mountPropagation", Spec::Str),
        ("recursiveReadOnly", Spec::Str),
    ],
    ..OBJ
};

/// A container's `resources`: the requests and limits the workload checks read (their
/// quantities only; `claims` names DRA claims and is dropped quietly).
static RESOURCES: Obj = Obj {
    fields: &[
        ("limits", Spec::Map(&Spec::Quantity)),
        ("requests", Spec::Map(&Spec::Quantity)),
    ],
    quiet: &["claims"],
    ..OBJ
};

static CONTAINER: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("image", Spec::Str),
        ("command", Spec::Args),
        ("args", Spec::Args),
        ("env", Spec::List(&Spec::Obj(&ENV_VAR))),
        ("envFrom", Spec::List(&Spec::Obj(&ENV_FROM))),
        ("ports", Spec::List(&Spec::Obj(&PORT))),
        ("securityContext", Spec::Obj(&CONTAINER_SECURITY)),
        ("livenessProbe", Spec::Obj(&PROBE)),
        ("readinessProbe", Spec::Obj(&PROBE)),
        ("startupProbe", Spec::Obj(&PROBE)),
        ("lifecycle", Spec::Obj(&LIFECYCLE)),
        ("volumeMounts", Spec::List(&Spec::Obj(&MOUNT))),
        ("restartPolicy", Spec::Str),
        ("imagePullPolicy", Spec::Str),
        ("targetContainerName", Spec::Str),
        ("resources", Spec::Obj(&RESOURCES)),
    ],
    quiet: &[
        "resizePolicy",
        "restartPolicyRules",
        "stdin",
        "stdinOnce",
        "tty",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "volumeDevices",
        "workingDir",
    ],
    ..OBJ
};

static KEY_TO_PATH: Obj = Obj {
    fields: &[
        ("key", Spec::Str),
        ("path", Spec::Str),
        ("mode", Spec::Int),
        ("fieldRef", Spec::Obj(&FIELD_REF)),
        ("resourceFieldRef", Spec::Obj(&RESOURCE_FIELD_REF)),
    ],
    ..OBJ
};

static CLAIM_SPEC: Obj = Obj {
    fields: &[
        ("accessModes", Spec::List(&Spec::Str)),
        ("storageClassName", Spec::Str),
        ("volumeMode", Spec::Str),
    ],
    quiet: &[
        "resources",
        "dataSource",
        "dataSourceRef",
        "selector",
        "volumeName",
        "volumeAttributesClassName",
    ],
    ..OBJ
};

static CLAIM_TEMPLATE: Obj = Obj {
    fields: &[
        ("metadata", Spec::Obj(&META)),
        ("spec", Spec::Obj(&CLAIM_SPEC)),
    ],
    ..OBJ
};

/// The settings of any volume source (`hostPath`, `secret`, `csi`, ...): the references
/// and paths are kept; `csi.volumeAttributes` and `flexVolume.options` (free-form
/// driver settings, often credentials) are removed.
static VOLUME_SOURCE: Obj = Obj {
    fields: &[
        ("path", Spec::Str),
        ("type", Spec::Str),
        ("medium", Spec::Str),
        ("sizeLimit", Spec::Scalar),
        ("secretName", Spec::Str),
        ("name", Spec::Str),
        ("optional", Spec::Bool),
        ("defaultMode", Spec::Int),
        ("items", Spec::List(&Spec::Obj(&KEY_TO_PATH))),
        ("claimName", Spec::Str),
        ("readOnly", Spec::Bool),
        ("driver", Spec::Str),
        ("fsType", Spec::Str),
        ("server", Spec::Str),
        ("nodePublishSecretRef", Spec::Obj(&NAME_REF)),
        ("secretRef", Spec::Obj(&NAMESPACED_REF)),
        ("volumeAttributes", Spec::Drop("CSI volume attributes")),
        ("options", Spec::Drop("flexVolume options")),
        ("reference", Spec::Str),
        ("pullPolicy", Spec::Str),
        ("sources", Spec::List(&Spec::Obj(&PROJECTION))),
        ("volumeClaimTemplate", Spec::Obj(&CLAIM_TEMPLATE)),
        ("audience", Spec::Str),
        ("expirationSeconds", Spec::Int),
        ("signerName", Spec::Str),
        ("labelSelector", Spec::Obj(&SELECTOR)),
        ("volumeID", Spec::Str),
        ("pdName", Spec::Str),
        ("shareName", Spec::Str),
        ("diskName", Spec::Str),
        ("repository", Spec::Url),
        ("revision", Spec::Str),
        ("directory", Spec::Str),
        ("monitors", Spec::List(&Spec::Str)),
        ("user", Spec::Str),
        ("keyring", Spec::Str),
        ("secretFile", Spec::Str),
    ],
    ..OBJ
};

/// One source of a `projected` volume: its keys are source types, like a volume's.
static PROJECTION: Obj = Obj {
    rest: Some(&Spec::Obj(&VOLUME_SOURCE)),
    ..OBJ
};

static VOLUME: Obj = Obj {
    fields: &[("name", Spec::Str)],
    rest: Some(&Spec::Obj(&VOLUME_SOURCE)),
    ..OBJ
};

static POD_SPEC: Obj = Obj {
    fields: &[
        ("automountServiceAccountToken", Spec::Bool),
        ("serviceAccountName", Spec::Str),
        ("serviceAccount", Spec::Str),
        ("hostNetwork", Spec::Bool),
        ("hostPID", Spec::Bool),
        ("hostIPC", Spec::Bool),
        ("hostUsers", Spec::Bool),
        ("shareProcessNamespace", Spec::Bool),
        ("os", Spec::Obj(&NAME_REF)),
        ("securityContext", Spec::Obj(&POD_SECURITY)),
        ("containers", Spec::List(&Spec::Obj(&CONTAINER))),
        ("initContainers", Spec::List(&Spec::Obj(&CONTAINER))),
        ("ephemeralContainers", Spec::List(&Spec::Obj(&CONTAINER))),
        ("volumes", Spec::List(&Spec::Obj(&VOLUME))),
        ("runtimeClassName", Spec::Str),
        ("priorityClassName", Spec::Str),
        ("nodeName", Spec::Str),
        ("restartPolicy", Spec::Str),
        ("imagePullSecrets", Spec::List(&Spec::Obj(&NAME_REF))),
    ],
    quiet: &[
        "activeDeadlineSeconds",
        "affinity",
        "dnsConfig",
        "dnsPolicy",
        "enableServiceLinks",
        "hostAliases",
        "hostname",
        "hostnameOverride",
        "nodeSelector",
        "overhead",
        "preemptionPolicy",
        "priority",
        "readinessGates",
        "resourceClaims",
        "resources",
        "schedulerName",
        "schedulingGates",
        "setHostnameAsFQDN",
        "subdomain",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
    ],
    ..OBJ
};

static TEMPLATE: Obj = Obj {
    fields: &[
        ("metadata", Spec::Obj(&META)),
        ("spec", Spec::Obj(&POD_SPEC)),
    ],
    ..OBJ
};

static CONDITION: Obj = Obj {
    fields: &[("type", Spec::Str), ("status", Spec::Str)],
    status: true,
    ..OBJ
};

static POD_STATUS: Obj = Obj {
    fields: &[
        ("phase", Spec::Str),
        ("conditions", Spec::List(&Spec::Obj(&CONDITION))),
    ],
    status: true,
    ..OBJ
};

static REPLICAS_STATUS: Obj = Obj {
    fields: &[
        ("replicas", Spec::Int),
        ("readyReplicas", Spec::Int),
        ("availableReplicas", Spec::Int),
        ("updatedReplicas", Spec::Int),
        ("unavailableReplicas", Spec::Int),
        ("observedGeneration", Spec::Int),
    ],
    status: true,
    ..OBJ
};

/// A `status` of which nothing is kept.
static NO_STATUS: Obj = Obj {
    status: true,
    ..OBJ
};

macro_rules! object {
    ($name:ident, $( $field:literal => $spec:expr ),* $(,)?) => {
        static $name: Obj = Obj {
            fields: &[
                ("apiVersion", Spec::Str),
                ("kind", Spec::Str),
                ("metadata", Spec::Obj(&META)),
                $( ($field, $spec), )*
            ],
            ..OBJ
        };
    };
}

object!(POD,
    "spec" => Spec::Obj(&POD_SPEC),
    "status" => Spec::Obj(&POD_STATUS),
);

static DEPLOYMENT_SPEC: Obj = Obj {
    fields: &[
        ("replicas", Spec::Int),
        ("selector", Spec::Obj(&SELECTOR)),
        ("template", Spec::Obj(&TEMPLATE)),
        ("paused", Spec::Bool),
    ],
    quiet: &[
        "strategy",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "minReadySeconds",
    ],
    ..OBJ
};

object!(DEPLOYMENT,
    "spec" => Spec::Obj(&DEPLOYMENT_SPEC),
    "status" => Spec::Obj(&REPLICAS_STATUS),
);

static STATEFULSET_SPEC: Obj = Obj {
    fields: &[
        ("replicas", Spec::Int),
        ("selector", Spec::Obj(&SELECTOR)),
        ("template", Spec::Obj(&TEMPLATE)),
        ("serviceName", Spec::Str),
    ],
    quiet: &[
        "updateStrategy",
        "podManagementPolicy",
        "revisionHistoryLimit",
        "minReadySeconds",
        "persistentVolumeClaimRetentionPolicy",
        "ordinals",
        "volumeClaimTemplates",
    ],
    ..OBJ
};

object!(STATEFULSET,
    "spec" => Spec::Obj(&STATEFULSET_SPEC),
    "status" => Spec::Obj(&REPLICAS_STATUS),
);

static DAEMONSET_SPEC: Obj = Obj {
    fields: &[
        ("selector", Spec::Obj(&SELECTOR)),
        ("template", Spec::Obj(&TEMPLATE)),
    ],
    quiet: &["updateStrategy", "minReadySeconds", "revisionHistoryLimit"],
    ..OBJ
};

static DAEMONSET_STATUS: Obj = Obj {
    fields: &[
        ("desiredNumberScheduled", Spec::Int),
        ("numberReady", Spec::Int),
        ("numberAvailable", Spec::Int),
    ],
    status: true,
    ..OBJ
};

object!(DAEMONSET,
    "spec" => Spec::Obj(&DAEMONSET_SPEC),
    "status" => Spec::Obj(&DAEMONSET_STATUS),
);

static JOB_SPEC: Obj = Obj {
    fields: &[
        ("template", Spec::Obj(&TEMPLATE)),
        ("suspend", Spec::Bool),
        ("parallelism", Spec::Int),
        ("completions", Spec::Int),
        ("backoffLimit", Spec::Int),
    ],
    quiet: &[
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "completionMode",
        "podFailurePolicy",
        "manualSelector",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
        "podReplacementPolicy",
        "successPolicy",
        "managedBy",
        "selector",
    ],
    ..OBJ
};

object!(JOB,
    "spec" => Spec::Obj(&JOB_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

static JOB_TEMPLATE: Obj = Obj {
    fields: &[
        ("metadata", Spec::Obj(&META)),
        ("spec", Spec::Obj(&JOB_SPEC)),
    ],
    ..OBJ
};

static CRONJOB_SPEC: Obj = Obj {
    fields: &[
        ("schedule", Spec::Str),
        ("timeZone", Spec::Str),
        ("suspend", Spec::Bool),
        ("concurrencyPolicy", Spec::Str),
        ("jobTemplate", Spec::Obj(&JOB_TEMPLATE)),
    ],
    quiet: &[
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ],
    ..OBJ
};

object!(CRONJOB,
    "spec" => Spec::Obj(&CRONJOB_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

// ---- services ----------------------------------------------------------------------

static SERVICE_PORT: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("protocol", Spec::Str),
        ("appProtocol", Spec::Str),
        ("port", Spec::Int),
        ("targetPort", Spec::Scalar),
        ("nodePort", Spec::Int),
    ],
    ..OBJ
};

/// A Service: its type, ports, selector and the addresses it is reachable on (what the
/// exposure check reads).
static SERVICE_SPEC: Obj = Obj {
    fields: &[
        ("type", Spec::Str),
        ("selector", Spec::Labels),
        ("ports", Spec::List(&Spec::Obj(&SERVICE_PORT))),
        ("externalIPs", Spec::List(&Spec::Str)),
        ("externalName", Spec::Str),
        ("loadBalancerSourceRanges", Spec::List(&Spec::Str)),
        ("loadBalancerClass", Spec::Str),
        ("externalTrafficPolicy", Spec::Str),
    ],
    quiet: &[
        "allocateLoadBalancerNodePorts",
        "clusterIP",
        "clusterIPs",
        "healthCheckNodePort",
        "internalTrafficPolicy",
        "ipFamilies",
        "ipFamilyPolicy",
        "loadBalancerIP",
        "publishNotReadyAddresses",
        "sessionAffinity",
        "sessionAffinityConfig",
        "trafficDistribution",
    ],
    ..OBJ
};

static LB_INGRESS: Obj = Obj {
    fields: &[("ip", Spec::Str), ("hostname", Spec::Str)],
    status: true,
    ..OBJ
};

static LOAD_BALANCER_STATUS: Obj = Obj {
    fields: &[("ingress", Spec::List(&Spec::Obj(&LB_INGRESS)))],
    status: true,
    ..OBJ
};

static SERVICE_STATUS: Obj = Obj {
    fields: &[("loadBalancer", Spec::Obj(&LOAD_BALANCER_STATUS))],
    status: true,
    ..OBJ
};

object!(SERVICE,
    "spec" => Spec::Obj(&SERVICE_SPEC),
    "status" => Spec::Obj(&SERVICE_STATUS),
);

// ---- namespaces, identities, RBAC ----------------------------------------------------

static NAMESPACE_SPEC: Obj = Obj {
    fields: &[("finalizers", Spec::List(&Spec::Str))],
    ..OBJ
};

static NAMESPACE_STATUS: Obj = Obj {
    fields: &[("phase", Spec::Str)],
    status: true,
    ..OBJ
};

object!(NAMESPACE,
    "spec" => Spec::Obj(&NAMESPACE_SPEC),
    "status" => Spec::Obj(&NAMESPACE_STATUS),
);

static OBJECT_REF: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("name", Spec::Str),
        ("namespace", Spec::Str),
        ("uid", Spec::Str),
        ("fieldPath", Spec::Str),
        ("resourceVersion", Spec::Str),
    ],
    ..OBJ
};

object!(SERVICE_ACCOUNT,
    "automountServiceAccountToken" => Spec::Bool,
    "secrets" => Spec::List(&Spec::Obj(&OBJECT_REF)),
    "imagePullSecrets" => Spec::List(&Spec::Obj(&NAME_REF)),
);

/// Reason listed for each key of a Secret's `data` and `stringData`.
pub(super) const SECRET_DATA: &str = "secret data";

object!(SECRET,
    "type" => Spec::Scalar,
    "immutable" => Spec::Bool,
    "data" => Spec::DropEntries(SECRET_DATA),
    "stringData" => Spec::DropEntries(SECRET_DATA),
);

/// A ConfigMap (not evaluated): metadata only; its data listed key by key.
pub(super) static CONFIGMAP: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("metadata", Spec::Obj(&META)),
        ("data", Spec::DropEntries("configmap data")),
        ("binaryData", Spec::DropEntries("configmap data")),
    ],
    reason: NOT_EVALUATED,
    ..OBJ
};

/// Any kind auditpack does not evaluate.
pub(super) static UNEVALUATED: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("metadata", Spec::Obj(&META)),
    ],
    reason: NOT_EVALUATED,
    ..OBJ
};

static RULE: Obj = Obj {
    fields: &[
        ("verbs", Spec::List(&Spec::Str)),
        ("apiGroups", Spec::List(&Spec::Str)),
        ("resources", Spec::List(&Spec::Str)),
        ("resourceNames", Spec::List(&Spec::Str)),
        ("nonResourceURLs", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

static AGGREGATION: Obj = Obj {
    fields: &[("clusterRoleSelectors", Spec::List(&Spec::Obj(&SELECTOR)))],
    ..OBJ
};

object!(ROLE,
    "rules" => Spec::List(&Spec::Obj(&RULE)),
    "aggregationRule" => Spec::Obj(&AGGREGATION),
);

static SUBJECT: Obj = Obj {
    fields: &[
        ("kind", Spec::Str),
        ("apiGroup", Spec::Str),
        ("name", Spec::Str),
        ("namespace", Spec::Str),
    ],
    ..OBJ
};

static ROLE_REF: Obj = Obj {
    fields: &[
        ("apiGroup", Spec::Str),
        ("kind", Spec::Str),
        ("name", Spec::Str),
    ],
    ..OBJ
};

object!(BINDING,
    "subjects" => Spec::List(&Spec::Obj(&SUBJECT)),
    "roleRef" => Spec::Obj(&ROLE_REF),
);

// ---- network -------------------------------------------------------------------------

static IP_BLOCK: Obj = Obj {
    fields: &[("cidr", Spec::Str), ("except", Spec::List(&Spec::Str))],
    ..OBJ
};

static PEER: Obj = Obj {
    fields: &[
        ("podSelector", Spec::Obj(&SELECTOR)),
        ("namespaceSelector", Spec::Obj(&SELECTOR)),
        ("ipBlock", Spec::Obj(&IP_BLOCK)),
    ],
    ..OBJ
};

static NP_PORT: Obj = Obj {
    fields: &[
        ("protocol", Spec::Str),
        ("port", Spec::Scalar),
        ("endPort", Spec::Int),
    ],
    ..OBJ
};

static INGRESS: Obj = Obj {
    fields: &[
        ("from", Spec::List(&Spec::Obj(&PEER))),
        ("ports", Spec::List(&Spec::Obj(&NP_PORT))),
    ],
    ..OBJ
};

static EGRESS: Obj = Obj {
    fields: &[
        ("to", Spec::List(&Spec::Obj(&PEER))),
        ("ports", Spec::List(&Spec::Obj(&NP_PORT))),
    ],
    ..OBJ
};

static NP_SPEC: Obj = Obj {
    fields: &[
        ("podSelector", Spec::Obj(&SELECTOR)),
        ("policyTypes", Spec::List(&Spec::Str)),
        ("ingress", Spec::List(&Spec::Obj(&INGRESS))),
        ("egress", Spec::List(&Spec::Obj(&EGRESS))),
    ],
    ..OBJ
};

object!(NETWORK_POLICY,
    "spec" => Spec::Obj(&NP_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

// ---- network: Cilium, Calico, AdminNetworkPolicy --------------------------------------

static CIDR_SET: Obj = Obj {
    fields: &[("cidr", Spec::Str), ("except", Spec::List(&Spec::Str))],
    ..OBJ
};

static CILIUM_PORT: Obj = Obj {
    fields: &[
        ("port", Spec::Scalar),
        ("endPort", Spec::Int),
        ("protocol", Spec::Str),
    ],
    ..OBJ
};

static CILIUM_PORT_RULE: Obj = Obj {
    fields: &[("ports", Spec::List(&Spec::Obj(&CILIUM_PORT)))],
    ..OBJ
};

static CILIUM_FQDN: Obj = Obj {
    fields: &[("matchName", Spec::Str), ("matchPattern", Spec::Str)],
    ..OBJ
};

static CILIUM_RULE: Obj = Obj {
    fields: &[
        ("fromEndpoints", Spec::List(&Spec::Obj(&SELECTOR))),
        ("toEndpoints", Spec::List(&Spec::Obj(&SELECTOR))),
        ("fromEntities", Spec::List(&Spec::Str)),
        ("toEntities", Spec::List(&Spec::Str)),
        ("fromCIDR", Spec::List(&Spec::Str)),
        ("toCIDR", Spec::List(&Spec::Str)),
        ("fromCIDRSet", Spec::List(&Spec::Obj(&CIDR_SET))),
        ("toCIDRSet", Spec::List(&Spec::Obj(&CIDR_SET))),
        ("fromNodes", Spec::List(&Spec::Obj(&SELECTOR))),
        ("toNodes", Spec::List(&Spec::Obj(&SELECTOR))),
        ("toFQDNs", Spec::List(&Spec::Obj(&CILIUM_FQDN))),
        ("toPorts", Spec::List(&Spec::Obj(&CILIUM_PORT_RULE))),
    ],
    ..OBJ
};

static CILIUM_DEFAULT_DENY: Obj = Obj {
    fields: &[("ingress", Spec::Bool), ("egress", Spec::Bool)],
    ..OBJ
};

static CILIUM_SPEC: Obj = Obj {
    fields: &[
        ("description", Spec::Str),
        ("endpointSelector", Spec::Obj(&SELECTOR)),
        ("nodeSelector", Spec::Obj(&SELECTOR)),
        ("ingress", Spec::List(&Spec::Obj(&CILIUM_RULE))),
        ("ingressDeny", Spec::List(&Spec::Obj(&CILIUM_RULE))),
        ("egress", Spec::List(&Spec::Obj(&CILIUM_RULE))),
        ("egressDeny", Spec::List(&Spec::Obj(&CILIUM_RULE))),
        ("enableDefaultDeny", Spec::Obj(&CILIUM_DEFAULT_DENY)),
    ],
    ..OBJ
};

object!(CILIUM_POLICY,
    "spec" => Spec::Obj(&CILIUM_SPEC),
    "specs" => Spec::List(&Spec::Obj(&CILIUM_SPEC)),
    "status" => Spec::Obj(&NO_STATUS),
);

static CALICO_SA: Obj = Obj {
    fields: &[("names", Spec::List(&Spec::Str)), ("selector", Spec::Str)],
    ..OBJ
};

static CALICO_SERVICE: Obj = Obj {
    fields: &[("name", Spec::Str), ("namespace", Spec::Str)],
    ..OBJ
};

static CALICO_ENTITY: Obj = Obj {
    fields: &[
        ("nets", Spec::List(&Spec::Str)),
        ("notNets", Spec::List(&Spec::Str)),
        ("selector", Spec::Str),
        ("notSelector", Spec::Str),
        ("namespaceSelector", Spec::Str),
        ("ports", Spec::List(&Spec::Scalar)),
        ("notPorts", Spec::List(&Spec::Scalar)),
        ("serviceAccounts", Spec::Obj(&CALICO_SA)),
        ("services", Spec::Obj(&CALICO_SERVICE)),
    ],
    ..OBJ
};

static CALICO_RULE: Obj = Obj {
    fields: &[
        ("action", Spec::Str),
        ("protocol", Spec::Scalar),
        ("notProtocol", Spec::Scalar),
        ("ipVersion", Spec::Int),
        ("source", Spec::Obj(&CALICO_ENTITY)),
        ("destination", Spec::Obj(&CALICO_ENTITY)),
    ],
    ..OBJ
};

static CALICO_SPEC: Obj = Obj {
    fields: &[
        ("tier", Spec::Str),
        ("order", Spec::Scalar),
        ("selector", Spec::Str),
        ("namespaceSelector", Spec::Str),
        ("serviceAccountSelector", Spec::Str),
        ("types", Spec::List(&Spec::Str)),
        ("ingress", Spec::List(&Spec::Obj(&CALICO_RULE))),
        ("egress", Spec::List(&Spec::Obj(&CALICO_RULE))),
        ("doNotTrack", Spec::Bool),
        ("preDNAT", Spec::Bool),
        ("applyOnForward", Spec::Bool),
    ],
    ..OBJ
};

object!(CALICO_POLICY,
    "spec" => Spec::Obj(&CALICO_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

static ANP_PODS: Obj = Obj {
    fields: &[
        ("namespaceSelector", Spec::Obj(&SELECTOR)),
        ("podSelector", Spec::Obj(&SELECTOR)),
    ],
    ..OBJ
};

static ANP_SUBJECT: Obj = Obj {
    fields: &[
        ("namespaces", Spec::Obj(&SELECTOR)),
        ("pods", Spec::Obj(&ANP_PODS)),
    ],
    ..OBJ
};

static ANP_PEER: Obj = Obj {
    fields: &[
        ("namespaces", Spec::Obj(&SELECTOR)),
        ("pods", Spec::Obj(&ANP_PODS)),
        ("nodes", Spec::Obj(&SELECTOR)),
        ("networks", Spec::List(&Spec::Str)),
        ("domainNames", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

static ANP_PORT_NUMBER: Obj = Obj {
    fields: &[("protocol", Spec::Str), ("port", Spec::Int)],
    ..OBJ
};

static ANP_PORT_RANGE: Obj = Obj {
    fields: &[
        ("protocol", Spec::Str),
        ("start", Spec::Int),
        ("end", Spec::Int),
    ],
    ..OBJ
};

static ANP_PORT: Obj = Obj {
    fields: &[
        ("portNumber", Spec::Obj(&ANP_PORT_NUMBER)),
        ("namedPort", Spec::Str),
        ("portRange", Spec::Obj(&ANP_PORT_RANGE)),
    ],
    ..OBJ
};

static ANP_RULE: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("action", Spec::Str),
        ("from", Spec::List(&Spec::Obj(&ANP_PEER))),
        ("to", Spec::List(&Spec::Obj(&ANP_PEER))),
        ("ports", Spec::List(&Spec::Obj(&ANP_PORT))),
    ],
    ..OBJ
};

static ANP_SPEC: Obj = Obj {
    fields: &[
        ("priority", Spec::Int),
        ("subject", Spec::Obj(&ANP_SUBJECT)),
        ("ingress", Spec::List(&Spec::Obj(&ANP_RULE))),
        ("egress", Spec::List(&Spec::Obj(&ANP_RULE))),
    ],
    ..OBJ
};

object!(ADMIN_NETWORK_POLICY,
    "spec" => Spec::Obj(&ANP_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

// ---- admission -----------------------------------------------------------------------

static SERVICE_REF: Obj = Obj {
    fields: &[
        ("namespace", Spec::Str),
        ("name", Spec::Str),
        ("path", Spec::Url),
        ("port", Spec::Int),
    ],
    ..OBJ
};

static CLIENT_CONFIG: Obj = Obj {
    fields: &[("url", Spec::Url), ("service", Spec::Obj(&SERVICE_REF))],
    quiet: &["caBundle"],
    ..OBJ
};

static WEBHOOK_RULE: Obj = Obj {
    fields: &[
        ("apiGroups", Spec::List(&Spec::Str)),
        ("apiVersions", Spec::List(&Spec::Str)),
        ("operations", Spec::List(&Spec::Str)),
        ("resources", Spec::List(&Spec::Str)),
        ("resourceNames", Spec::List(&Spec::Str)),
        ("scope", Spec::Str),
    ],
    ..OBJ
};

static NAMED_EXPRESSION: Obj = Obj {
    fields: &[("name", Spec::Str), ("expression", Spec::Str)],
    ..OBJ
};

static WEBHOOK: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("clientConfig", Spec::Obj(&CLIENT_CONFIG)),
        ("rules", Spec::List(&Spec::Obj(&WEBHOOK_RULE))),
        ("failurePolicy", Spec::Str),
        ("matchPolicy", Spec::Str),
        ("sideEffects", Spec::Str),
        ("reinvocationPolicy", Spec::Str),
        ("timeoutSeconds", Spec::Int),
        ("admissionReviewVersions", Spec::List(&Spec::Str)),
        ("namespaceSelector", Spec::Obj(&SELECTOR)),
        ("objectSelector", Spec::Obj(&SELECTOR)),
        ("matchConditions", Spec::List(&Spec::Obj(&NAMED_EXPRESSION))),
    ],
    ..OBJ
};

object!(WEBHOOK_CONFIGURATION,
    "webhooks" => Spec::List(&Spec::Obj(&WEBHOOK)),
);

static MATCH_RESOURCES: Obj = Obj {
    fields: &[
        ("namespaceSelector", Spec::Obj(&SELECTOR)),
        ("objectSelector", Spec::Obj(&SELECTOR)),
        ("resourceRules", Spec::List(&Spec::Obj(&WEBHOOK_RULE))),
        (
            "excludeResourceRules",
            Spec::List(&Spec::Obj(&WEBHOOK_RULE)),
        ),
        ("matchPolicy", Spec::Str),
    ],
    ..OBJ
};

static PARAM_KIND: Obj = Obj {
    fields: &[("apiVersion", Spec::Str), ("kind", Spec::Str)],
    ..OBJ
};

static VALIDATION: Obj = Obj {
    fields: &[
        ("expression", Spec::Str),
        ("message", Spec::Str),
        ("messageExpression", Spec::Str),
        ("reason", Spec::Str),
    ],
    ..OBJ
};

static AUDIT_ANNOTATION: Obj = Obj {
    fields: &[("key", Spec::Str), ("valueExpression", Spec::Str)],
    ..OBJ
};

static VAP_SPEC: Obj = Obj {
    fields: &[
        ("failurePolicy", Spec::Str),
        ("paramKind", Spec::Obj(&PARAM_KIND)),
        ("matchConstraints", Spec::Obj(&MATCH_RESOURCES)),
        ("validations", Spec::List(&Spec::Obj(&VALIDATION))),
        (
            "auditAnnotations",
            Spec::List(&Spec::Obj(&AUDIT_ANNOTATION)),
        ),
        ("matchConditions", Spec::List(&Spec::Obj(&NAMED_EXPRESSION))),
        ("variables", Spec::List(&Spec::Obj(&NAMED_EXPRESSION))),
    ],
    ..OBJ
};

object!(VAP,
    "spec" => Spec::Obj(&VAP_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

static PARAM_REF: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("namespace", Spec::Str),
        ("selector", Spec::Obj(&SELECTOR)),
        ("parameterNotFoundAction", Spec::Str),
    ],
    ..OBJ
};

static VAP_BINDING_SPEC: Obj = Obj {
    fields: &[
        ("policyName", Spec::Str),
        ("paramRef", Spec::Obj(&PARAM_REF)),
        ("matchResources", Spec::Obj(&MATCH_RESOURCES)),
        ("validationActions", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

object!(VAP_BINDING,
    "spec" => Spec::Obj(&VAP_BINDING_SPEC),
);

// ---- service meshes and image signatures (CRDs) --------------------------------------

static DAPR_MTLS: Obj = Obj {
    fields: &[
        ("enabled", Spec::Bool),
        ("workloadCertTTL", Spec::Str),
        ("allowedClockSkew", Spec::Str),
        ("controlPlaneTrustDomain", Spec::Str),
        ("sentryAddress", Spec::Str),
    ],
    ..OBJ
};

static DAPR_SPEC: Obj = Obj {
    fields: &[("mtls", Spec::Obj(&DAPR_MTLS))],
    ..OBJ
};

object!(DAPR_CONFIGURATION,
    "spec" => Spec::Obj(&DAPR_SPEC),
);

static MTLS_MODE: Obj = Obj {
    fields: &[("mode", Spec::Str)],
    ..OBJ
};

static ISTIO_SELECTOR: Obj = Obj {
    fields: &[("matchLabels", Spec::Map(&Spec::Str))],
    ..OBJ
};

static PEER_AUTHENTICATION_SPEC: Obj = Obj {
    fields: &[
        ("selector", Spec::Obj(&ISTIO_SELECTOR)),
        ("mtls", Spec::Obj(&MTLS_MODE)),
        ("portLevelMtls", Spec::Map(&Spec::Obj(&MTLS_MODE))),
    ],
    ..OBJ
};

object!(PEER_AUTHENTICATION,
    "spec" => Spec::Obj(&PEER_AUTHENTICATION_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

static KYVERNO_RESOURCES: Obj = Obj {
    fields: &[
        ("kinds", Spec::List(&Spec::Str)),
        ("names", Spec::List(&Spec::Str)),
        ("name", Spec::Str),
        ("namespaces", Spec::List(&Spec::Str)),
        ("operations", Spec::List(&Spec::Str)),
        ("selector", Spec::Obj(&SELECTOR)),
        ("namespaceSelector", Spec::Obj(&SELECTOR)),
    ],
    ..OBJ
};

static KYVERNO_FILTER: Obj = Obj {
    fields: &[
        ("resources", Spec::Obj(&KYVERNO_RESOURCES)),
        ("subjects", Spec::List(&Spec::Obj(&SUBJECT))),
        ("roles", Spec::List(&Spec::Str)),
        ("clusterRoles", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

static KYVERNO_MATCH: Obj = Obj {
    fields: &[
        ("any", Spec::List(&Spec::Obj(&KYVERNO_FILTER))),
        ("all", Spec::List(&Spec::Obj(&KYVERNO_FILTER))),
        ("resources", Spec::Obj(&KYVERNO_RESOURCES)),
        ("subjects", Spec::List(&Spec::Obj(&SUBJECT))),
        ("roles", Spec::List(&Spec::Str)),
        ("clusterRoles", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

static REKOR: Obj = Obj {
    fields: &[
        ("url", Spec::Url),
        ("pubkey", Spec::Str),
        ("ignoreTlog", Spec::Bool),
    ],
    ..OBJ
};

static CTLOG: Obj = Obj {
    fields: &[("ignoreSCT", Spec::Bool), ("pubkey", Spec::Str)],
    ..OBJ
};

static KYVERNO_KEYS: Obj = Obj {
    fields: &[
        ("publicKeys", Spec::Str),
        ("signatureAlgorithm", Spec::Str),
        ("kms", Spec::Str),
        ("secret", Spec::Obj(&NAMESPACED_REF)),
        ("rekor", Spec::Obj(&REKOR)),
        ("ctlog", Spec::Obj(&CTLOG)),
    ],
    ..OBJ
};

static KYVERNO_KEYLESS: Obj = Obj {
    fields: &[
        ("subject", Spec::Str),
        ("issuer", Spec::Str),
        ("subjectRegExp", Spec::Str),
        ("issuerRegExp", Spec::Str),
        ("roots", Spec::Str),
        ("rekor", Spec::Obj(&REKOR)),
        ("ctlog", Spec::Obj(&CTLOG)),
    ],
    ..OBJ
};

static KYVERNO_CERTIFICATES: Obj = Obj {
    fields: &[
        ("cert", Spec::Str),
        ("certChain", Spec::Str),
        ("rekor", Spec::Obj(&REKOR)),
        ("ctlog", Spec::Obj(&CTLOG)),
    ],
    ..OBJ
};

static ATTESTOR: Obj = Obj {
    fields: &[
        ("keys", Spec::Obj(&KYVERNO_KEYS)),
        ("keyless", Spec::Obj(&KYVERNO_KEYLESS)),
        ("certificates", Spec::Obj(&KYVERNO_CERTIFICATES)),
    ],
    ..OBJ
};

static ATTESTOR_SET: Obj = Obj {
    fields: &[
        ("count", Spec::Int),
        ("entries", Spec::List(&Spec::Obj(&ATTESTOR))),
    ],
    ..OBJ
};

static VERIFY_IMAGES: Obj = Obj {
    fields: &[
        ("imageReferences", Spec::List(&Spec::Str)),
        ("skipImageReferences", Spec::List(&Spec::Str)),
        ("failureAction", Spec::Str),
        ("type", Spec::Str),
        ("required", Spec::Bool),
        ("mutateDigest", Spec::Bool),
        ("verifyDigest", Spec::Bool),
        ("useCache", Spec::Bool),
        ("attestors", Spec::List(&Spec::Obj(&ATTESTOR_SET))),
    ],
    ..OBJ
};

static KYVERNO_RULE: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("match", Spec::Obj(&KYVERNO_MATCH)),
        ("exclude", Spec::Obj(&KYVERNO_MATCH)),
        ("verifyImages", Spec::List(&Spec::Obj(&VERIFY_IMAGES))),
    ],
    ..OBJ
};

static KYVERNO_SPEC: Obj = Obj {
    fields: &[
        ("validationFailureAction", Spec::Str),
        ("background", Spec::Bool),
        ("failurePolicy", Spec::Str),
        ("admission", Spec::Bool),
        ("webhookTimeoutSeconds", Spec::Int),
        ("rules", Spec::List(&Spec::Obj(&KYVERNO_RULE))),
    ],
    ..OBJ
};

object!(KYVERNO_POLICY,
    "spec" => Spec::Obj(&KYVERNO_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

static IMAGE_GLOB: Obj = Obj {
    fields: &[("glob", Spec::Str)],
    ..OBJ
};

static SIGSTORE_KEY: Obj = Obj {
    fields: &[
        ("data", Spec::Str),
        ("kms", Spec::Str),
        ("secretRef", Spec::Obj(&NAMESPACED_REF)),
        ("hashAlgorithm", Spec::Str),
    ],
    ..OBJ
};

static IDENTITY: Obj = Obj {
    fields: &[
        ("issuer", Spec::Str),
        ("subject", Spec::Str),
        ("issuerRegExp", Spec::Str),
        ("subjectRegExp", Spec::Str),
    ],
    ..OBJ
};

static SIGSTORE_KEYLESS: Obj = Obj {
    fields: &[
        ("url", Spec::Url),
        ("identities", Spec::List(&Spec::Obj(&IDENTITY))),
        ("trustRootRef", Spec::Str),
        ("insecureIgnoreSCT", Spec::Bool),
    ],
    ..OBJ
};

static STATIC_ACTION: Obj = Obj {
    fields: &[("action", Spec::Str)],
    ..OBJ
};

static SIGSTORE_SOURCE: Obj = Obj {
    fields: &[
        ("oci", Spec::Str),
        ("signaturePullSecrets", Spec::List(&Spec::Obj(&NAME_REF))),
    ],
    ..OBJ
};

static SIGSTORE_CTLOG: Obj = Obj {
    fields: &[("url", Spec::Url), ("trustRootRef", Spec::Str)],
    ..OBJ
};

static ATTESTATION: Obj = Obj {
    fields: &[("name", Spec::Str), ("predicateType", Spec::Str)],
    ..OBJ
};

static AUTHORITY: Obj = Obj {
    fields: &[
        ("name", Spec::Str),
        ("key", Spec::Obj(&SIGSTORE_KEY)),
        ("keyless", Spec::Obj(&SIGSTORE_KEYLESS)),
        ("static", Spec::Obj(&STATIC_ACTION)),
        ("source", Spec::List(&Spec::Obj(&SIGSTORE_SOURCE))),
        ("ctlog", Spec::Obj(&SIGSTORE_CTLOG)),
        ("attestations", Spec::List(&Spec::Obj(&ATTESTATION))),
    ],
    ..OBJ
};

static CIP_SPEC: Obj = Obj {
    fields: &[
        ("mode", Spec::Str),
        ("images", Spec::List(&Spec::Obj(&IMAGE_GLOB))),
        ("authorities", Spec::List(&Spec::Obj(&AUTHORITY))),
    ],
    ..OBJ
};

object!(CLUSTER_IMAGE_POLICY,
    "spec" => Spec::Obj(&CIP_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

// ---- storage (encryption.volumes) ------------------------------------------------------

/// The StorageClass `parameters` (and CSI `volumeAttributes`) that say whether a volume is
/// encrypted. Any other parameter is dropped and listed: provisioners take free-form
/// parameters, and some name credentials.
static VOLUME_PARAMS: Obj = Obj {
    fields: &[
        ("type", Spec::Str),
        ("encrypted", Spec::Str),
        ("encryption", Spec::Str),
        ("kmsKeyId", Spec::Str),
        ("disk-encryption-kms-key", Spec::Str),
        ("diskEncryptionSetID", Spec::Str),
        ("diskEncryptionType", Spec::Str),
        ("encryptionKMSID", Spec::Str),
        ("csi.storage.k8s.io/node-stage-secret-name", Spec::Str),
        ("csi.storage.k8s.io/node-stage-secret-namespace", Spec::Str),
    ],
    ..OBJ
};

static STORAGE_CLASS: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("metadata", Spec::Obj(&META)),
        ("provisioner", Spec::Str),
        ("parameters", Spec::Obj(&VOLUME_PARAMS)),
    ],
    quiet: &[
        "reclaimPolicy",
        "volumeBindingMode",
        "allowVolumeExpansion",
        "mountOptions",
        "allowedTopologies",
    ],
    ..OBJ
};

static PV_CSI: Obj = Obj {
    fields: &[
        ("driver", Spec::Str),
        ("volumeAttributes", Spec::Obj(&VOLUME_PARAMS)),
    ],
    quiet: &["volumeHandle", "fsType", "readOnly"],
    ..OBJ
};

static PV_CLAIM_REF: Obj = Obj {
    fields: &[("namespace", Spec::Str), ("name", Spec::Str)],
    quiet: &["kind", "apiVersion", "uid", "resourceVersion", "fieldPath"],
    ..OBJ
};

static PV_SPEC: Obj = Obj {
    fields: &[
        ("storageClassName", Spec::Str),
        ("csi", Spec::Obj(&PV_CSI)),
        ("claimRef", Spec::Obj(&PV_CLAIM_REF)),
    ],
    quiet: &[
        "capacity",
        "accessModes",
        "persistentVolumeReclaimPolicy",
        "volumeMode",
        "nodeAffinity",
        "mountOptions",
    ],
    ..OBJ
};

object!(PERSISTENT_VOLUME,
    "spec" => Spec::Obj(&PV_SPEC),
    "status" => Spec::Obj(&NO_STATUS),
);

/// The allow-list of every kind auditpack evaluates, by API group and kind (the kind
/// compared without regard to case, `kind: secret` included).
pub(super) static KINDS: &[(&str, &str, &Obj)] = &[
    ("", "Namespace", &NAMESPACE),
    ("", "ServiceAccount", &SERVICE_ACCOUNT),
    ("", "Secret", &SECRET),
    ("", "Pod", &POD),
    ("rbac.authorization.k8s.io", "Role", &ROLE),
    ("rbac.authorization.k8s.io", "ClusterRole", &ROLE),
    ("rbac.authorization.k8s.io", "RoleBinding", &BINDING),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", &BINDING),
    ("networking.k8s.io", "NetworkPolicy", &NETWORK_POLICY),
    ("cilium.io", "CiliumNetworkPolicy", &CILIUM_POLICY),
    (
        "cilium.io",
        "CiliumClusterwideNetworkPolicy",
        &CILIUM_POLICY,
    ),
    ("projectcalico.org", "NetworkPolicy", &CALICO_POLICY),
    ("projectcalico.org", "GlobalNetworkPolicy", &CALICO_POLICY),
    ("crd.projectcalico.org", "NetworkPolicy", &CALICO_POLICY),
    (
        "crd.projectcalico.org",
        "GlobalNetworkPolicy",
        &CALICO_POLICY,
    ),
    (
        "policy.networking.k8s.io",
        "AdminNetworkPolicy",
        &ADMIN_NETWORK_POLICY,
    ),
    (
        "policy.networking.k8s.io",
        "BaselineAdminNetworkPolicy",
        &ADMIN_NETWORK_POLICY,
    ),
    ("apps", "Deployment", &DEPLOYMENT),
    ("apps", "StatefulSet", &STATEFULSET),
    ("apps", "DaemonSet", &DAEMONSET),
    ("batch", "Job", &JOB),
    ("batch", "CronJob", &CRONJOB),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        &WEBHOOK_CONFIGURATION,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        &WEBHOOK_CONFIGURATION,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        &VAP,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        &VAP_BINDING,
    ),
    ("dapr.io", "Configuration", &DAPR_CONFIGURATION),
    (
        "security.istio.io",
        "PeerAuthentication",
        &PEER_AUTHENTICATION,
    ),
    ("kyverno.io", "ClusterPolicy", &KYVERNO_POLICY),
    (
        "policy.sigstore.dev",
        "ClusterImagePolicy",
        &CLUSTER_IMAGE_POLICY,
    ),
    ("storage.k8s.io", "StorageClass", &STORAGE_CLASS),
    ("", "PersistentVolume", &PERSISTENT_VOLUME),
    ("", "Service", &SERVICE),
];

// ---- evidence files ------------------------------------------------------------------

/// Reason listed for an encryption key's `secret`.
pub(super) const KEY_MATERIAL: &str = "encryption key material";

static ENCRYPTION_KEY: Obj = Obj {
    fields: &[("name", Spec::Str), ("secret", Spec::Drop(KEY_MATERIAL))],
    ..OBJ
};

static KEYED_PROVIDER: Obj = Obj {
    fields: &[("keys", Spec::List(&Spec::Obj(&ENCRYPTION_KEY)))],
    ..OBJ
};

static KMS_PROVIDER: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("name", Spec::Str),
        ("endpoint", Spec::Url),
        ("cachesize", Spec::Int),
        ("timeout", Spec::Str),
    ],
    ..OBJ
};

static PROVIDER: Obj = Obj {
    fields: &[
        ("aescbc", Spec::Obj(&KEYED_PROVIDER)),
        ("aesgcm", Spec::Obj(&KEYED_PROVIDER)),
        ("secretbox", Spec::Obj(&KEYED_PROVIDER)),
        ("kms", Spec::Obj(&KMS_PROVIDER)),
        ("identity", Spec::Obj(&OBJ)),
    ],
    ..OBJ
};

static ENCRYPTED_RESOURCES: Obj = Obj {
    fields: &[
        ("resources", Spec::List(&Spec::Str)),
        ("providers", Spec::List(&Spec::Obj(&PROVIDER))),
    ],
    ..OBJ
};

/// The kube-apiserver EncryptionConfiguration: provider order, key names and KMS
/// settings; never a key's `secret`.
pub(super) static ENCRYPTION_CONFIGURATION: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("resources", Spec::List(&Spec::Obj(&ENCRYPTED_RESOURCES))),
    ],
    ..OBJ
};

static GROUP_RESOURCES: Obj = Obj {
    fields: &[
        ("group", Spec::Str),
        ("resources", Spec::List(&Spec::Str)),
        ("resourceNames", Spec::List(&Spec::Str)),
    ],
    ..OBJ
};

static AUDIT_RULE: Obj = Obj {
    fields: &[
        ("level", Spec::Str),
        ("users", Spec::List(&Spec::Str)),
        ("userGroups", Spec::List(&Spec::Str)),
        ("verbs", Spec::List(&Spec::Str)),
        ("resources", Spec::List(&Spec::Obj(&GROUP_RESOURCES))),
        ("namespaces", Spec::List(&Spec::Str)),
        ("nonResourceURLs", Spec::List(&Spec::Str)),
        ("omitStages", Spec::List(&Spec::Str)),
        ("omitManagedFields", Spec::Bool),
    ],
    ..OBJ
};

/// The kube-apiserver audit Policy.
pub(super) static AUDIT_POLICY: Obj = Obj {
    fields: &[
        ("apiVersion", Spec::Str),
        ("kind", Spec::Str),
        ("metadata", Spec::Obj(&META)),
        ("rules", Spec::List(&Spec::Obj(&AUDIT_RULE))),
        ("omitStages", Spec::List(&Spec::Str)),
        ("omitManagedFields", Spec::Bool),
    ],
    ..OBJ
};
