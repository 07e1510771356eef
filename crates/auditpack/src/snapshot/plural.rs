//! The plural resource name of a kind that is not one of [`KINDS`](super::KINDS), for
//! the snapshot key of objects an import holds: the name the API serves, from
//! k8s-openapi's resource metadata for Kubernetes' own kinds, or else the English plural
//! of the kind (what a CRD's `spec.names.plural` is, almost always). Live collection reads
//! only [`KINDS`](super::KINDS), whose plurals discovery confirms.

use k8s_openapi::Resource;

macro_rules! builtin {
    ($($t:ty,)*) => {
        /// `(group, kind, plural)` of every listable kind k8s-openapi knows.
        const BUILTIN: &[(&str, &str, &str)] = &[$((
            <$t as Resource>::GROUP,
            <$t as Resource>::KIND,
            <$t as Resource>::URL_PATH_SEGMENT,
        )),*];
    };
}

builtin! {
    k8s_openapi::api::admissionregistration::v1::MutatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1::MutatingAdmissionPolicyBinding,
    k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration,
    k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding,
    k8s_openapi::api::admissionregistration::v1beta1::MutatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1beta1::MutatingAdmissionPolicyBinding,
    k8s_openapi::api::apiserverinternal::v1alpha1::StorageVersion,
    k8s_openapi::api::apps::v1::ControllerRevision,
    k8s_openapi::api::apps::v1::DaemonSet,
    k8s_openapi::api::apps::v1::Deployment,
    k8s_openapi::api::apps::v1::ReplicaSet,
    k8s_openapi::api::apps::v1::StatefulSet,
    k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::batch::v1::CronJob,
    k8s_openapi::api::batch::v1::Job,
    k8s_openapi::api::certificates::v1::CertificateSigningRequest,
    k8s_openapi::api::certificates::v1::ClusterTrustBundle,
    k8s_openapi::api::certificates::v1::PodCertificateRequest,
    k8s_openapi::api::certificates::v1beta1::ClusterTrustBundle,
    k8s_openapi::api::certificates::v1beta1::PodCertificateRequest,
    k8s_openapi::api::coordination::v1::Lease,
    k8s_openapi::api::coordination::v1alpha2::LeaseCandidate,
    k8s_openapi::api::coordination::v1beta1::LeaseCandidate,
    k8s_openapi::api::core::v1::ComponentStatus,
    k8s_openapi::api::core::v1::ConfigMap,
    k8s_openapi::api::core::v1::Endpoints,
    k8s_openapi::api::core::v1::Event,
    k8s_openapi::api::core::v1::LimitRange,
    k8s_openapi::api::core::v1::Namespace,
    k8s_openapi::api::core::v1::Node,
    k8s_openapi::api::core::v1::PersistentVolume,
    k8s_openapi::api::core::v1::PersistentVolumeClaim,
    k8s_openapi::api::core::v1::Pod,
    k8s_openapi::api::core::v1::PodTemplate,
    k8s_openapi::api::core::v1::ReplicationController,
    k8s_openapi::api::core::v1::ResourceQuota,
    k8s_openapi::api::core::v1::Secret,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::discovery::v1::EndpointSlice,
    k8s_openapi::api::events::v1::Event,
    k8s_openapi::api::flowcontrol::v1::FlowSchema,
    k8s_openapi::api::flowcontrol::v1::PriorityLevelConfiguration,
    k8s_openapi::api::lifecycle::v1alpha1::Eviction,
    k8s_openapi::api::lifecycle::v1alpha1::EvictionRequest,
    k8s_openapi::api::networking::v1::IPAddress,
    k8s_openapi::api::networking::v1::Ingress,
    k8s_openapi::api::networking::v1::IngressClass,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::networking::v1::ServiceCIDR,
    k8s_openapi::api::node::v1::RuntimeClass,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
    k8s_openapi::api::rbac::v1::ClusterRole,
    k8s_openapi::api::rbac::v1::ClusterRoleBinding,
    k8s_openapi::api::rbac::v1::Role,
    k8s_openapi::api::rbac::v1::RoleBinding,
    k8s_openapi::api::resource::v1::DeviceClass,
    k8s_openapi::api::resource::v1::DeviceTaintRule,
    k8s_openapi::api::resource::v1::ResourceClaim,
    k8s_openapi::api::resource::v1::ResourceClaimTemplate,
    k8s_openapi::api::resource::v1::ResourceSlice,
    k8s_openapi::api::resource::v1alpha3::DeviceTaintRule,
    k8s_openapi::api::resource::v1alpha3::ResourcePoolStatusRequest,
    k8s_openapi::api::resource::v1beta1::DeviceClass,
    k8s_openapi::api::resource::v1beta1::ResourceClaim,
    k8s_openapi::api::resource::v1beta1::ResourceClaimTemplate,
    k8s_openapi::api::resource::v1beta1::ResourceSlice,
    k8s_openapi::api::resource::v1beta2::DeviceClass,
    k8s_openapi::api::resource::v1beta2::DeviceTaintRule,
    k8s_openapi::api::resource::v1beta2::ResourceClaim,
    k8s_openapi::api::resource::v1beta2::ResourceClaimTemplate,
    k8s_openapi::api::resource::v1beta2::ResourceSlice,
    k8s_openapi::api::scheduling::v1::PriorityClass,
    k8s_openapi::api::scheduling::v1alpha3::CompositePodGroup,
    k8s_openapi::api::scheduling::v1alpha3::PodGroup,
    k8s_openapi::api::scheduling::v1alpha3::Workload,
    k8s_openapi::api::scheduling::v1beta1::PodGroup,
    k8s_openapi::api::scheduling::v1beta1::Workload,
    k8s_openapi::api::storage::v1::CSIDriver,
    k8s_openapi::api::storage::v1::CSINode,
    k8s_openapi::api::storage::v1::CSIStorageCapacity,
    k8s_openapi::api::storage::v1::StorageClass,
    k8s_openapi::api::storage::v1::VolumeAttachment,
    k8s_openapi::api::storage::v1::VolumeAttributesClass,
    k8s_openapi::api::storagemigration::v1::StorageVersionMigration,
    k8s_openapi::api::storagemigration::v1beta1::StorageVersionMigration,
}

/// The plural resource name of `kind` in `group` (lowercase).
pub fn plural(group: &str, kind: &str) -> String {
    match BUILTIN.iter().find(|(g, k, _)| *g == group && *k == kind) {
        Some((_, _, plural)) => (*plural).to_string(),
        None => english_plural(&kind.to_ascii_lowercase()),
    }
}

/// The English plural of a lowercase noun, by the spelling rules: `-s`, `-x`, `-z`,
/// `-ch`, `-sh` take `-es` (`ingress`, `mailbox`), a consonant before `-y` becomes `-ies`
/// (`policy`), a vowel before it keeps it (`gateway`), and everything else takes `-s`.
/// A noun that is already plural (`endpoints`, `-ics`) stays as it is.
pub fn english_plural(noun: &str) -> String {
    const ALREADY_PLURAL: &[&str] = &["endpoints", "metrics", "statistics", "settings"];
    if ALREADY_PLURAL.iter().any(|p| noun.ends_with(p)) {
        return noun.to_string();
    }
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| noun.ends_with(e))
    {
        return format!("{noun}es");
    }
    if let Some(stem) = noun.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
        && !stem.is_empty()
    {
        return format!("{stem}ies");
    }
    format!("{noun}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_kinds_take_the_plural_the_api_serves() {
        // Endpoints was stored as `endpointses` by the old `-s` → `-es` rule.
        assert_eq!(plural("", "Endpoints"), "endpoints");
        assert_eq!(plural("networking.k8s.io", "Ingress"), "ingresses");
        assert_eq!(
            plural("networking.k8s.io", "NetworkPolicy"),
            "networkpolicies"
        );
        assert_eq!(plural("", "ConfigMap"), "configmaps");
        assert_eq!(plural("apps", "ReplicaSet"), "replicasets");
    }

    #[test]
    fn kinds_k8s_openapi_does_not_know_take_the_english_plural() {
        // PodSecurityPolicy was removed in Kubernetes 1.25, so k8s-openapi no longer has it.
        assert_eq!(plural("policy", "PodSecurityPolicy"), "podsecuritypolicies");
        assert_eq!(plural("example.com", "Endpoints"), "endpoints");
        assert_eq!(plural("example.com", "Ingress"), "ingresses");
        assert_eq!(plural("gateway.networking.k8s.io", "Gateway"), "gateways");
        assert_eq!(
            plural("gateway.networking.k8s.io", "HTTPRoute"),
            "httproutes"
        );
        assert_eq!(plural("example.com", "Mailbox"), "mailboxes");
        assert_eq!(plural("example.com", "Patch"), "patches");
        assert_eq!(plural("example.com", "Y"), "ys");
    }
}
