//! A short replay of the fuzz targets (fuzz/targets.rs) in CI: their seed inputs and every
//! minimised crash committed under fuzz/regressions/ run through the same code as
//! `cargo fuzz` (scripts/fuzz runs the real thing).

#[path = "../fuzz/targets.rs"]
#[allow(dead_code)]
mod targets;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path()) {
                out.push((e.path().display().to_string(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fuzz_inputs_replay_without_a_panic() {
    type Target = (&'static str, fn(&[u8]));
    let targets: [Target; 5] = [
        ("parse", targets::parse_target),
        ("compile", targets::compile_target),
        ("eval", targets::eval_target),
        ("h5raw", targets::h5raw_target),
        ("h5open", targets::h5open_target),
    ];
    for (name, run) in targets {
        let inputs = inputs(name);
        assert!(!inputs.is_empty(), "no inputs for {name}");
        for (path, bytes) in inputs {
            let r = std::panic::catch_unwind(|| run(&bytes));
            assert!(r.is_ok(), "{name}: {path} panics");
        }
    }
}
