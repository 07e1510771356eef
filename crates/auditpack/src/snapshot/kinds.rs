//! The kinds auditpack collects and evaluates, each a `&'static` [`KindInfo`] constant
//! (`kinds::PODS`), with everything the stages key by kind: how it is served, its
//! category in a diff, and its row of the evidence checklist. A kind is added in one
//! place, the `kinds!` list below, and the macro will not take one without them all.

use serde::{Deserialize, Serialize};

/// A resource kind auditpack knows how to collect and evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// Key in [`Snapshot::resources`](super::Snapshot::resources): the plural resource
    /// name, qualified by its group for non-core kinds, exactly as `kubectl get KEY`
    /// accepts it (`deployments.apps`).
    pub key: &'static str,
    /// API group (`""` for core).
    pub group: &'static str,
    /// Preferred version.
    pub version: &'static str,
    /// `kind` of a single object.
    pub kind: &'static str,
    /// Plural resource name as the API serves it.
    pub plural: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Comes from a CRD that may not be installed; found through discovery.
    pub optional: bool,
    /// Collected as metadata only (never the object's data).
    pub metadata_only: bool,
    /// What a change of its objects is, in a diff; `None`: not compared (Secrets are
    /// metadata only, pods come and go with their controllers).
    pub category: Option<Category>,
    /// The row of the evidence checklist that lists it; `None`: in no row.
    pub checklist: Option<Checklist>,
}

/// A kind stands for its snapshot key wherever a key is wanted (`snap.items(PODS)`).
impl AsRef<str> for KindInfo {
    fn as_ref(&self) -> &str {
        self.key
    }
}

/// Why an object matters to an auditor: the group of its changes in a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Roles, ClusterRoles, their bindings, ServiceAccounts.
    Access,
    /// NetworkPolicies (and service-mesh peer authentication).
    Network,
    /// Deployments, StatefulSets, DaemonSets, Jobs, CronJobs.
    Workload,
    /// Namespaces, admission webhooks and policies, image policies.
    Platform,
}

impl Category {
    /// Every category, in the order a diff compares them.
    pub const ALL: [Category; 4] = [
        Category::Access,
        Category::Network,
        Category::Workload,
        Category::Platform,
    ];
}

/// A row of the packet's evidence checklist: what an auditor asks for, how to reproduce
/// it, and what it proves. The rows of kinds list the kinds whose
/// [`KindInfo::checklist`] names them; the others are evidence files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checklist {
    /// RoleBindings and ClusterRoleBindings.
    RbacBindings,
    /// Roles and ClusterRoles.
    RbacRoles,
    /// ServiceAccounts.
    ServiceAccounts,
    /// NetworkPolicies.
    NetworkPolicies,
    /// Namespaces, for their Pod Security labels.
    PssLabels,
    /// Pods.
    Workloads,
    /// Validating webhooks and admission policies.
    Admission,
    /// Dapr Configurations and Istio PeerAuthentications.
    Mesh,
    /// StorageClasses and PersistentVolumes, for volume encryption.
    Storage,
    /// The EncryptionConfiguration file.
    EncryptionConfig,
    /// The audit Policy file.
    AuditPolicy,
    /// The audit-log summary.
    AuditLog,
}

impl Checklist {
    /// Every row, in the order the packet lists them.
    pub const ALL: [Checklist; 12] = [
        Checklist::RbacBindings,
        Checklist::RbacRoles,
        Checklist::ServiceAccounts,
        Checklist::NetworkPolicies,
        Checklist::PssLabels,
        Checklist::Workloads,
        Checklist::Admission,
        Checklist::Mesh,
        Checklist::Storage,
        Checklist::EncryptionConfig,
        Checklist::AuditPolicy,
        Checklist::AuditLog,
    ];

    /// The evidence, as the row names it.
    pub fn evidence(self) -> &'static str {
        self.text().0
    }

    /// The command that reproduces the evidence.
    pub fn command(self) -> &'static str {
        self.text().1
    }

    /// What the evidence proves.
    pub fn proves(self) -> &'static str {
        self.text().2
    }

    /// The kinds the row lists, in [`KINDS`] order (none for an evidence file's row).
    pub fn kinds(self) -> impl Iterator<Item = &'static KindInfo> {
        KINDS
            .iter()
            .copied()
            .filter(move |k| k.checklist == Some(self))
    }

    fn text(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Checklist::RbacBindings => (
                "RBAC bindings",
                "kubectl get rolebindings,clusterrolebindings -A -o yaml",
                "Who holds which access, and through which binding",
            ),
            Checklist::RbacRoles => (
                "RBAC roles",
                "kubectl get roles,clusterroles -A -o yaml",
                "What each role permits (verbs, resources, wildcards)",
            ),
            Checklist::ServiceAccounts => (
                "ServiceAccounts",
                "kubectl get serviceaccounts -A -o yaml",
                "Workload identities exist, are dedicated, and which mount tokens",
            ),
            Checklist::NetworkPolicies => (
                "NetworkPolicies",
                "kubectl get networkpolicies -A -o yaml",
                "Network segmentation exists (default-deny and explicit allows)",
            ),
            Checklist::PssLabels => (
                "Pod Security Standards labels",
                "kubectl get namespaces --show-labels",
                "Which container restrictions each namespace enforces",
            ),
            Checklist::Workloads => (
                "Running workloads",
                "kubectl get pods -A -o yaml",
                "What actually runs, with which security context",
            ),
            Checklist::Admission => (
                "Admission control",
                "kubectl get validatingwebhookconfigurations,validatingadmissionpolicies -o yaml",
                "Which admission checks guard changes to the cluster",
            ),
            Checklist::Mesh => (
                "Service mesh mTLS configuration",
                "kubectl get configurations.dapr.io,peerauthentications.security.istio.io -A -o yaml",
                "Whether service-to-service traffic is mutually authenticated and encrypted",
            ),
            Checklist::Storage => (
                "Volume encryption",
                "kubectl get storageclasses,persistentvolumes -o yaml",
                "Whether persistent volumes are provisioned encrypted (CSI and cloud-disk encryption parameters)",
            ),
            Checklist::EncryptionConfig => (
                "Secret encryption at rest",
                "auditpack collect --encryption-config FILE",
                "Secrets are encrypted in etcd, and with which provider (FILE: the EncryptionConfiguration kube-apiserver reads with --encryption-provider-config)",
            ),
            Checklist::AuditPolicy => (
                "Audit policy",
                "auditpack collect --audit-policy FILE",
                "Which API actions are logged, and at what level (FILE: the audit Policy kube-apiserver reads with --audit-policy-file)",
            ),
            Checklist::AuditLog => (
                "Audit logs",
                "auditpack collect --audit-log FILE",
                "Actions were actually logged during the period (FILE: the period's audit log, exported from the logging system)",
            ),
        }
    }
}

/// Declares each kind as a `pub const NAME: &KindInfo` and lists them all in [`KINDS`].
/// Every field is positional and required, so a kind cannot be added without its
/// category and checklist row.
macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident = $key:literal, $group:literal, $version:literal, $kind:literal, $plural:literal, $ns:literal, $opt:literal, $meta:literal, $cat:expr, $row:expr;)*) => {
        $(
            $(#[$doc])*
            pub const $name: &KindInfo = &KindInfo {
                key: $key,
                group: $group,
                version: $version,
                kind: $kind,
                plural: $plural,
                namespaced: $ns,
                optional: $opt,
                metadata_only: $meta,
                category: $cat,
                checklist: $row,
            };
        )*
        /// Every kind the collector reads, in a fixed order.
        pub const KINDS: &[&KindInfo] = &[$($name),*];
    };
}

use Category::{Access, Network, Platform, Workload};
use Checklist::{
    Admission, Mesh, NetworkPolicies, PssLabels, RbacBindings, RbacRoles, ServiceAccounts, Storage,
    Workloads,
};

kinds! {
    /// Namespaces.
    NAMESPACES = "namespaces", "", "v1", "Namespace", "namespaces", false, false, false, Some(Platform), Some(PssLabels);
    /// ServiceAccounts.
    SERVICE_ACCOUNTS = "serviceaccounts", "", "v1", "ServiceAccount", "serviceaccounts", true, false, false, Some(Access), Some(ServiceAccounts);
    /// Secrets (metadata only).
    SECRETS = "secrets", "", "v1", "Secret", "secrets", true, false, true, None, None;
    /// Pods.
    PODS = "pods", "", "v1", "Pod", "pods", true, false, false, None, Some(Workloads);
    /// Roles.
    ROLES = "roles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "v1", "Role", "roles", true, false, false, Some(Access), Some(RbacRoles);
    /// RoleBindings.
    ROLE_BINDINGS = "rolebindings.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, false, false, Some(Access), Some(RbacBindings);
    /// ClusterRoles.
    CLUSTER_ROLES = "clusterroles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, false, false, Some(Access), Some(RbacRoles);
    /// ClusterRoleBindings.
    CLUSTER_ROLE_BINDINGS = "clusterrolebindings.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, false, false, Some(Access), Some(RbacBindings);
    /// NetworkPolicies.
    NETWORK_POLICIES = "networkpolicies.networking.k8s.io", "networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, false, false, Some(Network), Some(NetworkPolicies);
    /// Cilium's namespaced network policies (CRD).
    CILIUM_NETWORK_POLICIES = "ciliumnetworkpolicies.cilium.io", "cilium.io", "v2", "CiliumNetworkPolicy", "ciliumnetworkpolicies", true, true, false, Some(Network), Some(NetworkPolicies);
    /// Cilium's cluster-wide network policies (CRD).
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES = "ciliumclusterwidenetworkpolicies.cilium.io", "cilium.io", "v2", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", false, true, false, Some(Network), Some(NetworkPolicies);
    /// Calico NetworkPolicies, through the Calico API server (`projectcalico.org/v3`).
    CALICO_NETWORK_POLICIES = "networkpolicies.projectcalico.org", "projectcalico.org", "v3", "NetworkPolicy", "networkpolicies", true, true, false, Some(Network), Some(NetworkPolicies);
    /// Calico GlobalNetworkPolicies, through the Calico API server (`projectcalico.org/v3`).
    CALICO_GLOBAL_NETWORK_POLICIES = "globalnetworkpolicies.projectcalico.org", "projectcalico.org", "v3", "GlobalNetworkPolicy", "globalnetworkpolicies", false, true, false, Some(Network), Some(NetworkPolicies);
    /// Calico NetworkPolicies as their CRD stores them (`crd.projectcalico.org/v1`).
    CALICO_CRD_NETWORK_POLICIES = "networkpolicies.crd.projectcalico.org", "crd.projectcalico.org", "v1", "NetworkPolicy", "networkpolicies", true, true, false, Some(Network), Some(NetworkPolicies);
    /// Calico GlobalNetworkPolicies as their CRD stores them (`crd.projectcalico.org/v1`).
    CALICO_CRD_GLOBAL_NETWORK_POLICIES = "globalnetworkpolicies.crd.projectcalico.org", "crd.projectcalico.org", "v1", "GlobalNetworkPolicy", "globalnetworkpolicies", false, true, false, Some(Network), Some(NetworkPolicies);
    /// AdminNetworkPolicies (upstream network-policy-api CRD).
    ADMIN_NETWORK_POLICIES = "adminnetworkpolicies.policy.networking.k8s.io", "policy.networking.k8s.io", "v1alpha1", "AdminNetworkPolicy", "adminnetworkpolicies", false, true, false, Some(Network), Some(NetworkPolicies);
    /// BaselineAdminNetworkPolicies (upstream network-policy-api CRD).
    BASELINE_ADMIN_NETWORK_POLICIES = "baselineadminnetworkpolicies.policy.networking.k8s.io", "policy.networking.k8s.io", "v1alpha1", "BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies", false, true, false, Some(Network), Some(NetworkPolicies);
    /// Deployments.
    DEPLOYMENTS = "deployments.apps", "apps", "v1", "Deployment", "deployments", true, false, false, Some(Workload), None;
    /// StatefulSets.
    STATEFUL_SETS = "statefulsets.apps", "apps", "v1", "StatefulSet", "statefulsets", true, false, false, Some(Workload), None;
    /// DaemonSets.
    DAEMON_SETS = "daemonsets.apps", "apps", "v1", "DaemonSet", "daemonsets", true, false, false, Some(Workload), None;
    /// Jobs.
    JOBS = "jobs.batch", "batch", "v1", "Job", "jobs", true, false, false, Some(Workload), None;
    /// CronJobs.
    CRON_JOBS = "cronjobs.batch", "batch", "v1", "CronJob", "cronjobs", true, false, false, Some(Workload), None;
    /// ValidatingWebhookConfigurations.
    VALIDATING_WEBHOOKS = "validatingwebhookconfigurations.admissionregistration.k8s.io", "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, false, false, Some(Platform), Some(Admission);
    /// MutatingWebhookConfigurations.
    MUTATING_WEBHOOKS = "mutatingwebhookconfigurations.admissionregistration.k8s.io", "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, false, false, Some(Platform), None;
    /// ValidatingAdmissionPolicies.
    VALIDATING_ADMISSION_POLICIES = "validatingadmissionpolicies.admissionregistration.k8s.io", "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", false, false, false, Some(Platform), Some(Admission);
    /// ValidatingAdmissionPolicyBindings.
    VALIDATING_ADMISSION_POLICY_BINDINGS = "validatingadmissionpolicybindings.admissionregistration.k8s.io", "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", false, false, false, Some(Platform), None;
    /// Dapr Configurations (CRD).
    DAPR_CONFIGURATIONS = "configurations.dapr.io", "dapr.io", "v1alpha1", "Configuration", "configurations", true, true, false, Some(Platform), Some(Mesh);
    /// Istio PeerAuthentications (CRD).
    PEER_AUTHENTICATIONS = "peerauthentications.security.istio.io", "security.istio.io", "v1", "PeerAuthentication", "peerauthentications", true, true, false, Some(Network), Some(Mesh);
    /// Kyverno ClusterPolicies (CRD).
    KYVERNO_CLUSTER_POLICIES = "clusterpolicies.kyverno.io", "kyverno.io", "v1", "ClusterPolicy", "clusterpolicies", false, true, false, Some(Platform), None;
    /// sigstore policy-controller ClusterImagePolicies (CRD).
    CLUSTER_IMAGE_POLICIES = "clusterimagepolicies.policy.sigstore.dev", "policy.sigstore.dev", "v1beta1", "ClusterImagePolicy", "clusterimagepolicies", false, true, false, Some(Platform), None;

    // Storage, for the encryption of persistent volumes (encryption.volumes).
    /// StorageClasses.
    STORAGE_CLASSES = "storageclasses.storage.k8s.io", "storage.k8s.io", "v1", "StorageClass", "storageclasses", false, false, false, Some(Platform), Some(Storage);
    /// PersistentVolumes.
    PERSISTENT_VOLUMES = "persistentvolumes", "", "v1", "PersistentVolume", "persistentvolumes", false, false, false, None, Some(Storage);

    // Services, for what is exposed outside the cluster (exposure.services).
    /// Services.
    SERVICES = "services", "", "v1", "Service", "services", true, false, false, Some(Network), None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_the_plural_qualified_by_its_group() {
        for k in KINDS {
            let want = if k.group.is_empty() {
                k.plural.to_string()
            } else {
                format!("{}.{}", k.plural, k.group)
            };
            assert_eq!(k.key, want);
        }
    }

    #[test]
    fn every_checklist_row_of_kinds_lists_some_and_file_rows_none() {
        for row in Checklist::ALL {
            let files = matches!(
                row,
                Checklist::EncryptionConfig | Checklist::AuditPolicy | Checklist::AuditLog
            );
            assert_eq!(row.kinds().next().is_none(), files, "{row:?}");
        }
        let bindings: Vec<&str> = Checklist::RbacBindings.kinds().map(|k| k.key).collect();
        assert_eq!(bindings, [ROLE_BINDINGS.key, CLUSTER_ROLE_BINDINGS.key]);
    }

    #[test]
    fn a_kind_stands_for_its_key() {
        assert_eq!(PODS.as_ref(), "pods");
        assert_eq!(
            super::super::kind_by_key("deployments.apps"),
            Some(DEPLOYMENTS)
        );
        assert_eq!(PODS.category, None, "pods are not compared");
        assert_eq!(SERVICE_ACCOUNTS.category, Some(Category::Access));
    }
}
