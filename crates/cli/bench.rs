//! `outcore bench`: the workloads of `../shared/bench/peers.py`, run here on the same file,
//! printed as a table or as JSON lines with peers.py's keys (peer "outcore").

use std::path::Path;
use std::time::Instant;

use ndarray::Array1;
use outcore::h5::{File, Mode};
use outcore::raw::bench_file::{lims, naive_hit as hit, COND};
use outcore::{Expr, RowRange, Table};

use crate::Fail;

pub const ALL: &[&str] = &["Q1", "Q2", "Q3", "Q4", "Q5", "E1", "NAIVE", "M1", "M2", "M3", "M4", "M5"];
const MEM: [(&str, &str); 5] = [
    ("M1", "a*b+c"),
    ("M2", "sin(a)**2+cos(b)**2"),
    ("M3", "exp(-a*a)*log1p(b)"),
    ("M4", "where(a>0.5, sqrt(a), b**3)"),
    ("M5", "(a>0.2)&(b<0.7)|(a+b>1.5)"),
];

/// The best of `n` runs, in seconds, and the last result.
fn best<T>(n: usize, mut f: impl FnMut() -> Result<T, Fail>) -> Result<(f64, T), Fail> {
    let mut t = f64::INFINITY;
    let mut out = None;
    for _ in 0..n {
        let t0 = Instant::now();
        let v = f()?;
        t = t.min(t0.elapsed().as_secs_f64());
        out = Some(v);
    }
    out.map(|v| (t, v)).ok_or_else(|| Fail(1, "no run".into()))
}

pub fn run(file: &Path, workloads: &[String], json: bool, repeat: usize) -> Result<(), Fail> {
    for w in workloads {
        if !ALL.contains(&w.as_str()) {
            return Err(Fail(2, format!("unknown workload `{w}` (known: {})", ALL.join(", "))));
        }
    }
    let want = |w: &str| workloads.iter().any(|x| x == w);
    let (bar, progress) = crate::progress_bar("bench");
    let total = workloads.len() as u64;
    let mut done = 0u64;
    let mut step = |_: &str| {
        done += 1;
        progress.tell(done, total);
    };
    let f = File::open(file, Mode::Append)?;
    let t = Table::open(&f, "/t")?;
    let rows = t.nrows();
    let filters = match t.leaf().filters() {
        None => "none".to_string(),
        Some(fl) => fl.complib.name().split(':').next().unwrap_or("").to_string(),
    };
    let emit = |workload: &str, peer: &str, secs: f64, hits: Option<u64>, note: Option<&str>| {
        if json {
            let mut v = serde_json::json!({"workload": workload, "filters": filters, "rows": rows, "peer": peer, "seconds": secs});
            if let Some(h) = hits {
                v["hits"] = h.into();
            }
            if let Some(n) = note {
                v["note"] = n.into();
            }
            outln!("{v}");
        } else {
            let hits = hits.map(|h| format!("{h} hits")).unwrap_or_default();
            outln!("{workload:<6} {filters:<6} {peer:<18} {:>10.1} ms  {hits} {}", secs * 1e3, note.unwrap_or(""));
        }
    };
    let lims = lims();
    let all = RowRange::default();
    if want("Q1") {
        step("Q1");
        let (s, n) = best(repeat, || Ok(t.where_vars(COND, &lims, all)?.count()))?;
        emit("Q1", "outcore", s, Some(n as u64), None);
    }
    if want("Q2") {
        step("Q2");
        let (s, c) = best(repeat, || Ok(t.get_where_list(COND, &lims, all)?))?;
        emit("Q2", "outcore", s, Some(c.len() as u64), None);
    }
    if want("Q3") {
        step("Q3");
        let (s, r) = best(repeat, || Ok(t.read_where(COND, &lims, None, all)?))?;
        emit("Q3", "outcore", s, Some(r.len() as u64), None);
    }
    if want("Q4") {
        step("Q4");
        let (s, n) = best(repeat, || {
            if f.node_exists("/dest") {
                f.remove_node("/dest")?;
            }
            let dest = t.create_like(&f, "/", "dest", t.leaf().filters().as_ref())?;
            Ok(t.where_append(&dest, COND, &lims, all)?)
        })?;
        f.remove_node("/dest")?;
        emit("Q4", "outcore", s, Some(n), None);
    }
    if want("Q5") {
        step("Q5");
        let (s, v) = best(repeat, || {
            let mut v = Vec::new();
            for row in t.where_vars(COND, &lims, all)? {
                v.push(row?.get::<f64>("col2")?);
            }
            Ok(v)
        })?;
        emit("Q5", "outcore", s, Some(v.len() as u64), None);
    }
    if want("E1") {
        step("E1");
        let (a, b, c, out) = (f.leaf("/a")?, f.leaf("/b")?, f.leaf("/c")?, f.leaf("/out")?);
        let e = Expr::new("a*b+c")?.bind("a", &a)?.bind("b", &b)?.bind("c", &c)?.set_output(&out)?;
        let (s, _) = best(repeat, || Ok(e.eval()?))?;
        emit("E1", "outcore", s, None, None);
    }
    if want("NAIVE") {
        step("NAIVE");
        let (s, n) = best(1, || Ok(t.leaf().read_parallel()?.chunks_exact(28).filter(|r| hit(r)).count()))?;
        emit("NAIVE", "rust-closure", s, Some(n as u64), Some("the whole table read, then a closure per record"));
        let k = rows.min(100_000);
        let (s, _) = best(1, || {
            let mut n = 0;
            for i in 0..k {
                n += hit(&t.leaf().read_records(i, i + 1, 1)?) as usize;
            }
            Ok(n)
        })?;
        let note = format!("one record at a time through the library, timed on {k} rows, scaled");
        emit("NAIVE", "rust-row-loop", s * rows as f64 / k.max(1) as f64, None, Some(&note));
    }
    if MEM.iter().any(|(k, _)| want(k)) {
        let n = 10_000_000;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let a: Array1<f64> = (0..n).map(|_| rnd()).collect();
        let b: Array1<f64> = (0..n).map(|_| rnd()).collect();
        let c: Array1<f64> = (0..n).map(|_| rnd()).collect();
        let mut out = vec![0.0; n];
        let mut outb = vec![false; n];
        for (key, src) in MEM.iter().filter(|(k, _)| want(k)) {
            step(key);
            let e = Expr::new(src)?.bind("a", &a)?.bind("b", &b)?.bind("c", &c)?;
            let (s, _) = if *key == "M5" {
                best(5, || Ok(e.eval_into(&mut outb)?))?
            } else {
                best(5, || Ok(e.eval_into(&mut out)?))?
            };
            if json {
                outln!(
                    "{}",
                    serde_json::json!({"workload": key, "expr": src, "rows": n, "peer": "outcore", "seconds": s})
                );
            } else {
                outln!("{key:<6} {:<6} {:<18} {:>10.1} ms  {src}", "mem", "outcore", s * 1e3);
            }
        }
    }
    bar.finish_and_clear();
    Ok(())
}
