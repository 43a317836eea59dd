//! The fuzz targets' bodies, shared by `cargo fuzz` (fuzz_targets/) and by the replay test
//! that runs in CI (tests/fuzz_replay.rs). Each must never panic, whatever the input.

use outcore::raw::expr::{compile, parse, DType, VarInfo};

fn vars() -> Vec<VarInfo> {
    let v = |name: &str, dtype, scalar| VarInfo { name: name.into(), dtype, scalar };
    vec![
        v("a", DType::Float64, false),
        v("b", DType::Int32, false),
        v("c", DType::Bool, false),
        v("d", DType::Int64, false),
        v("f", DType::Float32, false),
        v("z", DType::Complex128, false),
        v("s", DType::Bytes(4), false),
        v("k", DType::Float64, true),
    ]
}

/// Text → AST; a tree that parses prints to text that parses to the same tree.
pub fn parse_target(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(ast) = parse::parse(src) {
        let printed = ast.to_string();
        match parse::parse(&printed) {
            Ok(again) => assert_eq!(ast.without_spans(), again.without_spans(), "{src:?} → {printed:?}"),
            // The printed form adds a pair of parentheses per operation: a long flat chain
            // (`a+b+c+...`) prints deeper than the nesting limit, which is not a fault.
            Err(e) if matches!(e.kind, outcore::raw::expr::ErrorKind::Limit(_)) => {}
            Err(e) => panic!("{printed:?} does not parse: {e}"),
        }
    }
}

/// Text → typed program for a fixed set of variables; errors are fine, panics are not.
pub fn compile_target(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(p) = compile(src, &vars()) {
        let _ = p.to_string();
    }
}

/// Compiles, then evaluates on data taken from the input with two block lengths; the results
/// must agree bit for bit (NaNs compared as NaNs).
pub fn eval_target(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else { return };
    let Some(cut) = rest.iter().position(|&b| b == 0) else { return };
    let (src, bytes) = rest.split_at(cut);
    let Ok(src) = std::str::from_utf8(src) else { return };
    let n = (n as usize % 64) + 1;
    let byte = |i: usize| bytes.get(i % bytes.len().max(1)).copied().unwrap_or(0);
    let a: Vec<f64> = (0..n).map(|i| (byte(i) as f64 - 128.0) / 7.0).collect();
    let b: Vec<i32> = (0..n).map(|i| byte(i + 1) as i32 - 100).collect();
    let c: Vec<bool> = (0..n).map(|i| byte(i + 2) & 1 == 1).collect();
    let d: Vec<i64> = (0..n).map(|i| (byte(i + 3) as i64 - 128) << 20).collect();
    let f: Vec<f32> = (0..n).map(|i| byte(i + 4) as f32 / 3.0).collect();
    let z: Vec<outcore::raw::vm::c128> =
        (0..n).map(|i| outcore::raw::vm::c128::new(byte(i) as f64, byte(i + 5) as f64)).collect();
    let s =
        outcore::BytesArray::from_items(4, (0..n).map(|i| [b'a' + byte(i) % 3; 2])).unwrap_or_else(|_| unreachable!());
    let run = |block: usize| {
        outcore::Expr::new(src).and_then(|e| {
            e.block_len(block)
                .bind("a", &a)?
                .bind("b", &b)?
                .bind("c", &c)?
                .bind("d", &d)?
                .bind("f", &f)?
                .bind(
                    "z",
                    outcore::Operand::Owned(outcore::Array::Complex128(
                        ndarray::ArrayD::from_shape_vec(
                            ndarray::IxDyn(&[n]),
                            z.iter().map(|x| num_complex::Complex64::new(x.re, x.im)).collect(),
                        )
                        .unwrap_or_else(|_| unreachable!()),
                    )),
                )?
                .bind("s", &s)?
                .bind("k", 2.5)?
                .eval()
        })
    };
    match (run(1), run(4096)) {
        (Ok(x), Ok(y)) => assert_eq!(format!("{x:?}"), format!("{y:?}"), "{src:?}"),
        (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string(), "{src:?}"),
        (x, y) => panic!("{src:?}: block length 1 gives {:?}, 4096 gives {:?}", x.map(|_| ()), y.map(|_| ())),
    }
}

/// Bytes → a file → opened, walked, every leaf read on outcore's raw path (its own decoders,
/// read-only: workers read chunks at their addresses), queried and evaluated; errors are fine.
pub fn h5raw_target(data: &[u8]) {
    use outcore::h5::{File, Mode, NodeClass};
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("outcore-fuzz-raw-{}-{k}.h5", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(f) = File::open(&path, Mode::Read) {
        if let Ok(nodes) = f.walk() {
            for n in nodes.iter().filter(|n| matches!(n.class, NodeClass::Leaf(_))).take(16) {
                let Ok(leaf) = f.leaf(&n.path) else { continue };
                let elems: usize = leaf.shape().iter().product();
                let size = leaf.layout().map(|l| l.size).unwrap_or(0);
                if elems.saturating_mul(size) > 1 << 24 {
                    continue;
                }
                if leaf.chunk_shape().is_some() {
                    let _ = leaf.read_parallel();
                    let _ = outcore::Expr::new("sum(x != x)").and_then(|e| e.bind("x", &leaf)?.eval());
                }
                if let Ok(t) = outcore::Table::new(&leaf) {
                    let cols = t.layout().columns();
                    if let Some(c) = cols.first() {
                        let _ = t.count_where(&format!("{c} == {c}"), &[], outcore::RowRange::default());
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Bytes → a file → opened, walked, every leaf read both ways (the HDF5 library's own read
/// and the raw path); errors are fine.
pub fn h5open_target(data: &[u8]) {
    use outcore::h5::{File, Mode, NodeClass};
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("outcore-fuzz-{}-{k}.h5", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(f) = File::open(&path, Mode::Read) {
        if let Ok(nodes) = f.walk() {
            for n in nodes.iter().filter(|n| matches!(n.class, NodeClass::Leaf(_))).take(16) {
                if let Ok(leaf) = f.leaf(&n.path) {
                    let _ = leaf.chunk_index();
                    let elems: usize = leaf.shape().iter().product();
                    let size = leaf.layout().map(|l| l.size).unwrap_or(0);
                    // Claimed sizes are not trusted: only modest leaves are read whole.
                    if elems.saturating_mul(size) <= 1 << 24 {
                        let _ = leaf.read_bytes();
                        let _ = leaf.read_parallel();
                    }
                    if let Ok(t) = outcore::Table::new(&leaf) {
                        let _ = t.count_where("1 == 1", &[], outcore::RowRange::default());
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}
