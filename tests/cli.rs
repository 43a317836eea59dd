//! The `outcore` command, run as a child process: output formats and exit codes.

use crate::run_outcore as outcore;

fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("outcore-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_string_lossy().into_owned()
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/pytables/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn gen_ls_eval_and_query_agree_with_the_library() {
    let file = scratch("bench.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "20000", "--filters", "blosc"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = outcore(&["ls", &file, "--json"]);
    assert_eq!(code, 0);
    let paths: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["/", "/a", "/b", "/c", "/out", "/t"]);
    // A reduction prints one number; with --out the result lands in the file.
    let (code, out, _) = outcore(&["eval", &file, "sum(a*b+c)", "--json"]);
    assert_eq!(code, 0);
    let total: f64 = out.trim().parse().unwrap();
    let (code, _, err) = outcore(&["eval", &file, "a*b+c", "--out", &format!("{file}:/r")]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = outcore(&["eval", &file, "sum(r)", "--json"]);
    assert_eq!(out.trim().parse::<f64>().unwrap(), total);
    let (code, _, err) = outcore(&["eval", &file, "a", "--out", &format!("{file}:/r")]);
    assert_eq!(code, 1);
    assert!(err.contains("exists"), "{err}");
    // Queries: count, coordinates and records say the same thing.
    let q = |extra: &[&str]| {
        let mut args = vec!["query", &*format!("{file}:/t")].into_iter().map(String::from).collect::<Vec<_>>();
        args.extend(["(col1 < lim) & (col2 > 90)".to_string(), "--var".into(), "lim=20".into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        outcore(&refs)
    };
    let (_, count, _) = q(&["--count"]);
    let n: usize = count.trim().parse().unwrap();
    let (_, coords, _) = q(&["--coords", "--json"]);
    let coords: Vec<u64> = serde_json::from_str(coords.trim()).unwrap();
    assert_eq!(coords.len(), n);
    let (_, recs, _) = q(&["--read", "--json"]);
    let recs: Vec<serde_json::Value> = serde_json::from_str(recs.trim()).unwrap();
    assert_eq!(recs.len(), n);
    assert!(recs.iter().all(|r| r["col1"].as_i64().unwrap() < 20 && r["col2"].as_f64().unwrap() > 90.0));
    let (_, csv, _) = q(&["--read", "--csv"]);
    assert_eq!(csv.lines().next(), Some("col1,col2,col3,col4"));
    assert_eq!(csv.lines().count(), n + 1);
    let (code, out, _) = q(&["--append-to", &format!("{file}:/dest")]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("appended {n} rows")), "{out}");
}

#[test]
fn errors_exit_with_1_or_2_and_say_why() {
    let file = fixture("query.h5");
    let (code, _, err) = outcore(&["query", &format!("{file}:/tz"), "i32 +", "--count"]);
    assert_eq!(code, 2);
    assert!(err.contains('^'), "{err}");
    let (code, _, err) = outcore(&["query", &format!("{file}:/nope"), "b", "--count"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nope"), "{err}");
    let (code, _, _) = outcore(&["query", &format!("{file}:/tz"), "b"]);
    assert_eq!(code, 2);
    let (code, _, _) = outcore(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, err) = outcore(&["ls", "/no/such/file.h5"]);
    assert_eq!(code, 1);
    assert!(err.contains("no such file"), "{err}");
}

#[test]
fn ls_lists_every_node_of_files_pytables_wrote() {
    for name in ["tables.h5", "arrays.h5", "query.h5", "expr.h5"] {
        let path = fixture(name);
        let f = outcore::h5::File::open(&path, outcore::h5::Mode::Read).unwrap();
        let want: Vec<String> = f.walk().unwrap().into_iter().map(|n| n.path).collect();
        let (code, out, err) = outcore(&["ls", &path, "--json"]);
        assert_eq!(code, 0, "{err}");
        let got: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "{name}");
        let (code, _, err) = outcore(&["info", &format!("{path}:{}", want.last().unwrap()), "--json"]);
        assert_eq!(code, 0, "{err}");
    }
}

#[test]
fn bench_prints_every_workload_asked_for_with_peers_keys() {
    let file = scratch("bench-small.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "30000", "--filters", "zlib"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = outcore(&["bench", &file, "--workloads", "Q1,Q2,Q3,Q4,Q5,E1,NAIVE", "--json"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let names: Vec<&str> = lines.iter().map(|l| l["workload"].as_str().unwrap()).collect();
    assert_eq!(names, ["Q1", "Q2", "Q3", "Q4", "Q5", "E1", "NAIVE", "NAIVE"]);
    for l in &lines {
        assert_eq!(l["filters"], "zlib");
        assert_eq!(l["rows"], 30000);
        assert!(l["seconds"].as_f64().unwrap() > 0.0);
    }
    let hits: Vec<u64> = lines.iter().filter_map(|l| l["hits"].as_u64()).collect();
    assert!(hits.windows(2).all(|w| w[0] == w[1]), "{hits:?}");
    let (code, _, _) = outcore(&["bench", &file, "--workloads", "Q9"]);
    assert_eq!(code, 2);
}

/// The Python with PyTables: `$OUTCORE_PEERS_PYTHON`, else the repository's `.venv-peers`.
pub(crate) fn peers_python() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("OUTCORE_PEERS_PYTHON").map(std::path::PathBuf::from),
        Some(std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv-peers/bin/python"))),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| crate::command(p).args(["-c", "import tables"]).output().is_ok_and(|o| o.status.success()))
}

/// PyTables opens what `outcore gen` writes, finds peers.py's layout, and its query gives
/// the rows ours does; what `eval --out` and `query --append-to` write reads back in PyTables.
#[test]
fn pytables_reads_what_the_command_writes() {
    let Some(py) = peers_python() else {
        eprintln!("skipping: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    let file = scratch("for-pytables.h5");
    for filters in ["none", "zlib", "blosc"] {
        let (code, _, err) = outcore(&["gen", &file, "--rows", "25000", "--filters", filters]);
        assert_eq!(code, 0, "{err}");
        let cond = "(col1 < 30) & (col2 > 60)";
        let (_, ours, _) = outcore(&["query", &format!("{file}:/t"), cond, "--count"]);
        let (code, _, err) = outcore(&["query", &format!("{file}:/t"), cond, "--append-to", &format!("{file}:/dest")]);
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = outcore(&["eval", &file, "a*b+c", "--out", &format!("{file}:/r")]);
        assert_eq!(code, 0, "{err}");
        let script = format!(
            "import tables as tb, numpy as np\n\
             with tb.open_file({file:?}) as f:\n\
             \x20   t = f.root.t\n\
             \x20   assert t.colnames == ['col1', 'col2', 'col3', 'col4'], t.colnames\n\
             \x20   assert t.nrows == 25000 and f.root.a.shape == (25000,) and f.root.out.shape == (25000,)\n\
             \x20   hits = t.read_where({cond:?})\n\
             \x20   assert np.array_equal(hits, f.root.dest.read())\n\
             \x20   assert np.array_equal(f.root.r[:], f.root.a[:] * f.root.b[:] + f.root.c[:])\n\
             \x20   print(len(hits))\n"
        );
        let out = crate::command(&py).args(["-c", &script]).output().expect("python runs");
        assert!(out.status.success(), "{filters}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), ours.trim(), "{filters}");
    }
}

/// `outcore eval ... | head`: the reader goes away after one line; the command ends quietly
/// with status 0 (it panicked with "failed printing to stdout" and status 101).
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let file = scratch("pipe.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "300000", "--filters", "none"]);
    assert_eq!(code, 0, "{err}");
    for args in [
        vec!["eval", file.as_str(), "a*2"],
        vec!["query", &file, "col1 < 50", "--coords"],
        vec!["eval", &file, "a*2", "--json"],
    ] {
        let mut t = args.clone();
        if args[0] == "query" {
            t[1] = Box::leak(format!("{file}:/t").into_boxed_str());
        }
        crate::ends_quietly_when_the_pipe_closes(&t);
    }
}

/// Expressions and conditions may start with a minus sign (clap took `-d1` for an option),
/// and every option of `query` is described in its help.
#[test]
fn expressions_may_start_with_a_minus_and_help_describes_every_option() {
    let file = scratch("minus.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "1000", "--filters", "none"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = outcore(&["eval", &file, "-sum(a)", "--json"]);
    assert_eq!(code, 0, "{err}");
    let (_, plus, _) = outcore(&["eval", &file, "sum(a)", "--json"]);
    assert_eq!(out.trim().parse::<f64>().unwrap(), -plus.trim().parse::<f64>().unwrap());
    let (code, neg, err) = outcore(&["query", &format!("{file}:/t"), "-col1 > -50", "--count"]);
    assert_eq!(code, 0, "{err}");
    let (_, pos, _) = outcore(&["query", &format!("{file}:/t"), "col1 < 50", "--count"]);
    assert_eq!(neg, pos);
    let (code, out, _) = outcore(&["compile", "-a", "a:float64"]);
    assert_eq!(code, 0);
    assert!(out.contains("neg_f64"), "{out}");
    let (code, help, _) = outcore(&["query", "--help"]);
    assert_eq!(code, 0);
    for opt in ["--var", "--start", "--stop", "--step", "--count", "--coords", "--read", "--json", "--csv"] {
        let line = help.lines().position(|l| l.trim_start().starts_with(opt)).unwrap_or_else(|| panic!("{opt}"));
        let next = help.lines().nth(line + 1).unwrap_or("").trim();
        assert!(!next.is_empty() && !next.starts_with("--"), "{opt} has no description:\n{help}");
    }
    assert!(help.contains("Examples:"), "{help}");
}

/// `ls` lists like PyTables: an index's hidden nodes (`/_i_t/...`) only with `--all`.
#[test]
fn ls_hides_pytables_hidden_nodes_unless_asked() {
    let file = fixture("indexed.h5");
    let (code, out, err) = outcore(&["ls", &file]);
    assert_eq!(code, 0, "{err}");
    let paths: Vec<&str> = out.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(paths, ["/", "/t"]);
    let (code, out, _) = outcore(&["ls", &file, "--all", "--json"]);
    assert_eq!(code, 0);
    let paths: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["path"].as_str().unwrap().to_string())
        .collect();
    assert!(paths.len() > 4 && paths.contains(&"/_i_t/x/sorted".to_string()), "{paths:?}");
}

/// Messages that name the real cause: a FIFO (which blocked `open` forever), a directory, a
/// file in a missing directory; `--var` names checked, and given once, in `eval` and `query`.
#[test]
fn files_that_are_not_files_and_bad_variables_are_refused_by_name() {
    let fifo = scratch("a.fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(crate::command("mkfifo").arg(&fifo).status().unwrap().success());
    let (code, _, err) = outcore(&["ls", &fifo]);
    assert_eq!(
        (code, err.trim()),
        (
            1,
            format!("{fifo}: is not a regular file (a FIFO, socket or device); outcore opens HDF5 files only").as_str()
        )
    );
    let dir = std::env::temp_dir().to_string_lossy().into_owned();
    let (code, _, err) = outcore(&["eval", &dir, "1+1"]);
    assert_eq!(code, 1);
    assert!(err.trim().ends_with(": is a directory; outcore opens HDF5 files only"), "{err}");
    let missing = scratch("no/such/dir/x.h5");
    let (code, _, err) = outcore(&["gen", &missing, "--rows", "10"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot be created: no directory") && err.contains("no/such/dir"), "{err}");
    let file = scratch("vars.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "100", "--filters", "none"]);
    assert_eq!(code, 0, "{err}");
    let t = format!("{file}:/t");
    for (var, msg) in [
        ("=3", "`=3`: `` is not a variable name (letters, digits and _, not first a digit)"),
        ("a b=1", "`a b=1`: `a b` is not a variable name (letters, digits and _, not first a digit)"),
        ("__import__=1", "`__import__=1`: names starting with `__` are reserved"),
    ] {
        let (code, _, err) = outcore(&["query", &t, "col1 < k", "--var", var, "--count"]);
        assert_eq!((code, err.trim()), (2, msg));
    }
    for args in [vec!["query", &t, "col1 < k"], vec!["eval", &file, "a < k"]] {
        let mut args = args;
        args.extend(["--var", "k=3", "--var", "k=4"]);
        if args[0] == "query" {
            args.push("--count");
        }
        let (code, _, err) = outcore(&args);
        assert_eq!((code, err.trim()), (2, "`--var k=4`: `k` is given twice"), "{args:?}");
    }
}

/// JSON records keep the table's column order, and float32 values print with their own
/// shortest digits (they printed float64's: 0.921563 as 0.9215629696846008).
#[test]
fn json_records_keep_column_order_and_float32_digits() {
    let (code, out, err) = outcore(&["query", &format!("{}:/tz", fixture("query.h5")), "i8 > 100", "--read", "--json"]);
    assert_eq!(code, 0, "{err}");
    let first = out.split("},{").next().unwrap();
    let order = ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "f32", "f64", "b", "s", "c", "loc", "lat", "long"];
    let pos: Vec<usize> =
        order.iter().map(|k| first.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k}"))).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "keys out of order: {first}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for rec in v.as_array().unwrap() {
        let printed = rec["f32"].as_f64().unwrap();
        let shortest: f64 = format!("{}", printed as f32).parse().unwrap();
        assert_eq!(printed, shortest, "float32 printed with float64 digits");
    }
}

/// `--append-to` creates the missing groups above the destination, as `eval --out` does
/// (it failed with "H5Dcreate failed"); a leaf on the way is an error naming it.
#[test]
fn appends_create_missing_groups_and_name_a_leaf_in_the_way() {
    let file = scratch("groups-src.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "2000", "--filters", "zlib"]);
    assert_eq!(code, 0, "{err}");
    let dest = scratch("groups-dest.h5");
    let _ = std::fs::remove_file(&dest);
    let t = format!("{file}:/t");
    let (code, out, err) = outcore(&["query", &t, "col1 < 3", "--append-to", &format!("{dest}:/a/b/hits")]);
    assert_eq!(code, 0, "{err}");
    let (_, count, _) = outcore(&["query", &t, "col1 < 3", "--count"]);
    assert_eq!(out.trim(), format!("appended {} rows to {dest}:/a/b/hits", count.trim()));
    let (code, _, err) = outcore(&["query", &t, "col1 < 3", "--append-to", &format!("{dest}:/a/b/hits/x")]);
    assert_eq!((code, err.trim()), (1, format!("{dest}:/a/b/hits/x: /a/b/hits is a leaf, not a group").as_str()));
    let (code, _, err) = outcore(&["eval", &file, "a*2", "--out", &format!("{dest}:/a/b/hits/y")]);
    assert_eq!((code, err.trim()), (1, format!("{dest}:/a/b/hits/y: /a/b/hits is a leaf, not a group").as_str()));
    let (code, out, _) = outcore(&["ls", &dest, "--json"]);
    assert_eq!(code, 0);
    let classes: Vec<(String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| (v["path"].as_str().unwrap().to_string(), v["class"].as_str().unwrap().to_string()))
        .collect();
    let want = [("/", "Group"), ("/a", "Group"), ("/a/b", "Group"), ("/a/b/hits", "Table")];
    assert_eq!(classes, want.map(|(p, c)| (p.to_string(), c.to_string())));
}

/// `ls` names every filter of a pipeline as PyTables would, blosc2 too, and never says "none"
/// for a filtered leaf; a leaf outcore cannot decode is "unsupported filter N (name)", not
/// "corrupt" (tests/fixtures/pytables/filters.h5, from scripts/make_filters_fixture.py).
#[test]
fn filters_are_named_truthfully() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables/filters.h5");
    let file = file.to_string_lossy().into_owned();
    let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["ls", &file]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let filters: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let name = l.split_whitespace().next().unwrap().to_string();
            (name, l.split_whitespace().last().unwrap().to_string())
        })
        .collect();
    let want = [
        ("/blosc2", "blosc2(3)+shuffle+fletcher32"),
        ("/blosc2_zstd", "blosc2:zstd(5)+bitshuffle"),
        ("/blosc_lz4", "blosc:lz4(5)+bitshuffle"),
        ("/bzip2", "bzip2(5)+shuffle"),
        ("/fletcher", "fletcher32"),
        ("/plain", "none"),
        ("/zlib", "zlib(1)+shuffle"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(filters, want, "{text}");
    let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["eval", &file, "sum(bzip2)"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), format!("{file}:/bzip2: unsupported filter 307 (bzip2)"));
    // The leaves outcore decodes give PyTables' values, blosc2's too.
    let out = crate::command(env!("CARGO_BIN_EXE_outcore"))
        .args([
            "eval",
            &file,
            "sum(zlib) + sum(blosc_lz4) + sum(fletcher) + sum(plain) + sum(blosc2) + sum(blosc2_zstd)",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2997000.0", "{}", String::from_utf8_lossy(&out.stderr));
}

/// A missing node suggests the closest existing path of its group, as a typo deserves.
#[test]
fn a_missing_node_suggests_the_closest() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables/filters.h5");
    let file = file.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).trim().to_string())
    };
    assert_eq!(
        run(&["info", &format!("{file}:/zlb")]),
        (Some(1), format!("{file}: no node `/zlb` (did you mean `/zlib`?)"))
    );
    assert_eq!(
        run(&["info", &format!("{file}:/nothing_like_it")]),
        (Some(1), format!("{file}: no node `/nothing_like_it`"))
    );
    let f = outcore::h5::File::open(&file, outcore::h5::Mode::Read).unwrap();
    let Err(e) = f.root().unwrap().child("plan") else { panic!("/plan exists") };
    let e = e.to_string();
    assert!(e.ends_with("no node `/plan` (did you mean `/plain`?)"), "{e}");
}

/// `outcore completions SHELL` prints a completion script that knows the subcommands and
/// their options; bash's parses (`bash -n`).
#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["query", "eval", "--append-to", "--coords", "completions"] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
        if shell == "bash" {
            let path = std::env::temp_dir().join(format!("outcore-completion-{}.bash", std::process::id()));
            std::fs::write(&path, script.as_bytes()).unwrap();
            let check = crate::command("bash").arg("-n").arg(&path).output().unwrap();
            let _ = std::fs::remove_file(&path);
            assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
        }
    }
    let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A file another process holds open for writing is "is locked: …", not "not an HDF5 file (or a
/// damaged one)": the file is fine, the lock is the cause, and the message says what to do.
#[test]
fn a_locked_file_says_it_is_locked() {
    let dir = std::env::temp_dir().join(format!("outcore-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("locked.h5");
    let writer = outcore::h5::File::open(&path, outcore::h5::Mode::Write).unwrap();
    writer.create_carray("/", "a", ndarray::Array1::<f64>::zeros(10).view(), None, None, "").unwrap();
    writer.flush().unwrap();
    let file = path.to_string_lossy().into_owned();
    let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["ls", &file]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim(),
        format!(
            "{file}: is locked: another process has it open for writing (HDF5's file locking); close it there, \
             or set HDF5_USE_FILE_LOCKING=FALSE to read it anyway"
        )
    );
    drop(writer);
    let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["ls", &file]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--out` and `--append-to` naming the input file through a symlink or another spelling
/// write into it, as the same path does (HDF5 cannot open one file twice with different
/// modes; outcore opens it once).
#[test]
fn outputs_into_the_input_through_another_path() {
    let dir = std::env::temp_dir().join(format!("outcore-alias-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.h5");
    let run = |args: &[&str]| crate::command(env!("CARGO_BIN_EXE_outcore")).args(args).output().unwrap();
    let file = path.to_string_lossy().into_owned();
    assert!(run(&["gen", &file, "--rows", "1000"]).status.success());
    let link = dir.join("link.h5");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let other = format!("{}/./data.h5", dir.display());
    let out = run(&["eval", &file, "a*2", "--out", &format!("{}:/twice", link.display())]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["query", &format!("{file}:/t"), "col1 < 10", "--append-to", &format!("{other}:/few")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let f = outcore::h5::File::open(&path, outcore::h5::Mode::Read).unwrap();
    assert_eq!(f.leaf("/twice").unwrap().shape(), vec![1000]);
    assert!(f.node_exists("/few"));
    drop(f);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child's write system calls, read from `/proc/PID/io` while it is a zombie (exited, not
/// yet reaped), and its exit status.
fn writes_of(mut cmd: std::process::Command) -> (u64, i32) {
    let child = cmd.spawn().expect("spawns");
    let pid = child.id();
    // Safety: waits for this child without reaping it (WNOWAIT); `info` is plain data.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
    assert_eq!(rc, 0, "waitid");
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("/proc/PID/io");
    let syscw = io.lines().find_map(|l| l.strip_prefix("syscw: ")).and_then(|v| v.trim().parse().ok()).expect("syscw");
    let out = child.wait_with_output().expect("reaped");
    (syscw, out.status.code().unwrap_or(-1))
}

/// Line-per-value outputs are buffered: hundreds of thousands of lines in a few dozen writes
/// (one per 64 KiB or so), not one per line.
#[test]
fn large_outputs_are_written_in_few_system_calls() {
    let file = scratch("syscalls.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "200000", "--filters", "none"]);
    assert_eq!(code, 0, "{err}");
    let t = format!("{file}:/t");
    for args in [
        vec!["query", &t, "col1 >= 0", "--coords"],
        vec!["query", &t, "col1 >= 0", "--read", "--csv"],
        vec!["query", &t, "col1 >= 0", "--read", "--json"],
        vec!["eval", &file, "a*2"],
        vec!["read", &t, "--field", "col2"],
    ] {
        let out = std::fs::File::create(scratch("syscalls.out")).unwrap();
        let mut cmd = crate::command(env!("CARGO_BIN_EXE_outcore"));
        cmd.args(&args).stdout(out);
        let (writes, code) = writes_of(cmd);
        assert_eq!(code, 0, "{args:?}");
        let bytes = std::fs::metadata(scratch("syscalls.out")).unwrap().len();
        assert!(bytes > 1_000_000, "{args:?}: {bytes} bytes");
        // 200,000 lines; a write per 16 KiB at worst, and a few for anything else.
        assert!(writes < bytes / 16_384 + 20, "{args:?}: {writes} writes for {bytes} bytes");
    }
}
