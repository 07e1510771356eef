//! The shipped binary carries no test support: the stand-in API server, its certificate
//! generator and hyper's server side are dev-dependencies only.

use std::process::Command;

fn tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "auditpack-cli",
            "--prefix",
            "none",
            "--offline",
        ])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_binary_depends_on_no_test_support() {
    let normal = tree(&["-e", "normal"]);
    assert!(normal.contains("auditpack v"), "{normal}");
    for crate_name in ["standin", "rcgen", "benchgen", "proptest"] {
        let found: Vec<&str> = normal
            .lines()
            .filter(|l| l.starts_with(crate_name))
            .collect();
        assert!(
            found.is_empty(),
            "{crate_name} ships in the binary: {found:?}"
        );
    }
    // hyper is the kube client's; its server half is the stand-in's alone.
    let features = tree(&["-e", "normal,features", "-i", "hyper"]);
    assert!(features.contains("hyper feature \"client\""), "{features}");
    assert!(
        !features.contains("hyper feature \"server\""),
        "hyper's server ships in the binary:\n{features}"
    );
    // The dev tree does hold them: the check above looks at the right tree.
    let dev = tree(&["-e", "normal,dev"]);
    assert!(dev.lines().any(|l| l.starts_with("standin v")), "{dev}");
}
