//! ARCHITECTURE.md stays true to the code it describes.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
    )
    .unwrap()
}

/// The "how to add a check" example is the real definition of that check, line for line.
#[test]
fn the_add_a_check_example_is_the_real_check_definition() {
    let doc = read("ARCHITECTURE.md");
    let start = doc.find("```rust\n").expect("a rust example") + "```rust\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let example: Vec<&str> = doc[start..end].lines().map(str::trim).collect();
    let source = read("crates/auditpack/src/controls/checks/network.rs");
    let source: Vec<&str> = source.lines().map(str::trim).collect();
    assert!(
        source
            .windows(example.len())
            .any(|w| w == example.as_slice()),
        "the example in ARCHITECTURE.md is not in crates/auditpack/src/controls/checks/network.rs:\n{}",
        example.join("\n")
    );
}

/// Every module of the library has its line in the module table, and the table names no
/// module that is gone.
#[test]
fn the_module_table_lists_exactly_the_librarys_modules() {
    let lib = read("crates/auditpack/src/lib.rs");
    let mut modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
        })
        .filter(|l| l.ends_with(';'))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    modules.sort();
    let doc = read("ARCHITECTURE.md");
    let mut listed: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(|m| m.trim_end_matches('/'))
        .collect();
    listed.sort();
    assert_eq!(listed, modules);
}

/// The library's public API is the curated `pub use` list in lib.rs: no stage module is
/// public, only the three small facades, and the test-only `internals` exists only behind
/// its feature.
#[test]
fn the_public_api_is_curated_reexports_not_public_modules() {
    let lib = read("crates/auditpack/src/lib.rs");
    let lines: Vec<&str> = lib.lines().collect();
    let mut public = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(rest) = l.strip_prefix("pub mod ") {
            let name = rest.trim_end_matches([';', ' ', '{']);
            if name == "internals" {
                assert!(
                    lines[..i]
                        .iter()
                        .rev()
                        .take(3)
                        .any(|p| p.contains(r#"#[cfg(feature = "internals")]"#)),
                    "`internals` must be behind its feature"
                );
                continue;
            }
            public.push(name);
        }
    }
    public.sort();
    assert_eq!(public, ["chain", "cleanup", "keys"]);
    let reexports = lines.iter().filter(|l| l.starts_with("pub use ")).count();
    assert!(reexports >= 10, "only {reexports} pub use lines in lib.rs");
}
