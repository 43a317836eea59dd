//! `outcore read` and `--npy`, run as child processes: what they print and write equals what
//! PyTables and NumPy read from the same files.

use serde_json::Value as J;

use crate::run_outcore as outcore;
use crate::run_python as python;

fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("outcore-read-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_string_lossy().into_owned()
}

/// A file PyTables writes: a table with a string, a bool, an array-shaped and a nested column,
/// a 2-D CArray, an EArray in a group and a 1-D Array.
fn pytables_file(py: &std::path::Path, path: &str) {
    let script = format!(
        "import tables as tb, numpy as np\n\
         class Loc(tb.IsDescription):\n\
         \x20   lat = tb.Float64Col(pos=0)\n\
         \x20   lon = tb.Float32Col(pos=1)\n\
         class Row(tb.IsDescription):\n\
         \x20   i32 = tb.Int32Col(pos=0)\n\
         \x20   f64 = tb.Float64Col(pos=1)\n\
         \x20   s = tb.StringCol(6, pos=2)\n\
         \x20   b = tb.BoolCol(pos=3)\n\
         \x20   u8 = tb.UInt8Col(pos=4)\n\
         \x20   v = tb.Float32Col(shape=(2,), pos=5)\n\
         \x20   loc = Loc()\n\
         with tb.open_file({path:?}, 'w') as f:\n\
         \x20   t = f.create_table('/', 't', Row, expectedrows=60, chunkshape=(7,))\n\
         \x20   r = t.row\n\
         \x20   for i in range(60):\n\
         \x20       r['i32'] = i - 10; r['f64'] = i * 0.25; r['s'] = ('r%d,\"' % i).encode() if i % 11 == 0 else b'r%d' % i\n\
         \x20       r['b'] = i % 3 == 0; r['u8'] = 200 + i % 50; r['v'] = [i / 3, -i]\n\
         \x20       r['loc/lat'] = i / 7; r['loc/lon'] = -i / 3\n\
         \x20       r.append()\n\
         \x20   t.flush()\n\
         \x20   f.create_carray('/', 'c2', obj=np.arange(84, dtype=np.int16).reshape(14, 6) - 20, chunkshape=(4, 3))\n\
         \x20   g = f.create_group('/', 'g')\n\
         \x20   e = f.create_earray(g, 'e', tb.Float64Atom(), (0, 3), chunkshape=(2, 3))\n\
         \x20   e.append(np.linspace(0, 1, 30).reshape(10, 3))\n\
         \x20   f.create_array('/', 'a', obj=np.array([1.5, -2.5, 1e300, 4.0, 0.1]))\n"
    );
    python(py, &script);
}

/// Two JSON values equal, numbers to a float32's precision (the command prints a float32
/// with its own shortest digits, Python's float() of it has float64's).
fn close(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 1e-6 * x.abs().max(y.abs())
        }
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && close(x, y))
        }
        _ => a == b,
    }
}

const TO_JSON: &str = "\
def js(x):\n\
\x20   if isinstance(x, np.void) and x.dtype.names: return {n: js(x[n]) for n in x.dtype.names}\n\
\x20   if isinstance(x, np.ndarray): return [js(v) for v in x]\n\
\x20   if isinstance(x, bytes): return x.decode()\n\
\x20   if isinstance(x, (bool, np.bool_)): return bool(x)\n\
\x20   if isinstance(x, (int, np.integer)): return int(x)\n\
\x20   return float(x)\n";

/// `read`'s text, JSON Lines and CSV give the rows PyTables' `read(start, stop, step, field)`
/// gives, for a table (whole records, a column, a nested column, a nested group of columns),
/// a 2-D CArray, an EArray and an Array.
#[test]
fn read_prints_the_rows_pytables_reads() {
    let Some(py) = crate::cli::peers_python() else {
        eprintln!("skipping: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    let file = scratch("print.h5");
    pytables_file(&py, &file);
    // (node, options, PyTables' read arguments)
    let cases: &[(&str, &[&str], &str)] = &[
        ("/t", &[], ""),
        ("/t", &["--start", "1", "--stop", "40", "--step", "3"], "1, 40, 3"),
        ("/t", &["--start", "-9", "--step", "2"], "-9, None, 2"),
        ("/t", &["--stop", "-50"], "None, -50"),
        ("/t", &["--field", "s", "--stop", "23"], "0, 23, field='s'"),
        ("/t", &["--field", "loc/lat", "--start", "5", "--stop", "55", "--step", "7"], "5, 55, 7, field='loc/lat'"),
        ("/t", &["--field", "loc", "--step", "13"], "step=13, field='loc'"),
        ("/t", &["--field", "v", "--start", "58"], "58, field='v'"),
        ("/t", &["--start", "100"], "100"),
        ("/c2", &["--start", "1", "--stop", "13", "--step", "2"], "1, 13, 2"),
        ("/c2", &[], ""),
        // Array.read(start) alone reads one row (PyTables' quirk); `read --start` is a slice.
        ("/g/e", &["--start", "-4"], "-4, None, 1"),
        ("/a", &["--step", "2"], "step=2"),
    ];
    let reads: Vec<String> =
        cases.iter().map(|(node, _, args)| format!("js(f.get_node({node:?}).read({args}))")).collect();
    let script = format!(
        "import tables as tb, numpy as np, json\n{TO_JSON}\
         with tb.open_file({file:?}) as f:\n\
         \x20   print(json.dumps([{}]))\n\
         \x20   print(json.dumps(f.root.t.colpathnames))\n",
        reads.join(", ")
    );
    let out = python(&py, &script);
    let mut lines = out.lines();
    let want: Vec<J> = serde_json::from_str(lines.next().unwrap()).unwrap();
    let colpaths: Vec<String> = serde_json::from_str(lines.next().unwrap()).unwrap();
    for ((node, opts, args), want) in cases.iter().zip(&want) {
        let target = format!("{file}:{node}");
        let mut argv = vec!["read", target.as_str()];
        argv.extend_from_slice(opts);
        let run = |extra: &[&str]| {
            let mut a = argv.clone();
            a.extend_from_slice(extra);
            let (code, out, err) = outcore(&a);
            assert_eq!(code, 0, "{a:?}: {err}");
            out
        };
        let json = run(&["--json"]);
        // One JSON document, as `query --read --json` prints.
        let got: Vec<J> = serde_json::from_str(&json).unwrap();
        assert!(close(&J::from(got.clone()), want), "{node} read({args}):\n ours   {got:?}\n tables {want}");
        let text = run(&[]);
        let table = *node == "/t";
        if table {
            // A table's text is its records as JSON, one per line, as `query --read` prints them.
            let lines: Vec<J> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert_eq!(lines, got, "{node} {opts:?}");
        } else {
            // An array's: a row's values separated by spaces.
            let rows: Vec<J> = text
                .lines()
                .map(|l| {
                    let vals: Vec<J> = l.split(' ').map(|v| serde_json::from_str(v).unwrap()).collect();
                    if *node == "/a" {
                        vals[0].clone()
                    } else {
                        J::from(vals)
                    }
                })
                .collect();
            assert!(close(&J::from(rows), want), "{node} text:\n{text}");
        }
        let csv = run(&["--csv"]);
        let mut csv_lines = csv.lines();
        let header = csv_lines.next().unwrap();
        let want_rows = want.as_array().unwrap();
        assert_eq!(csv_lines.clone().count(), want_rows.len(), "{node} {opts:?}: {csv}");
        if table && !opts.contains(&"--field") {
            assert_eq!(header, colpaths.join(","));
            // Column `s` (the third) holds commas and quotes, quoted as CSV quotes them.
            for (line, rec) in csv_lines.zip(want_rows) {
                let s = rec["s"].as_str().unwrap();
                let cell = if s.contains(',') { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() };
                assert!(line.starts_with(&format!("{},{},{cell},", rec["i32"], rec["f64"])), "{line} / {rec}");
            }
        } else if *node == "/c2" {
            assert_eq!(header, (0..6).map(|i| format!("c2[{i}]")).collect::<Vec<_>>().join(","));
            for (line, row) in csv_lines.zip(want_rows) {
                let vals: Vec<J> = line.split(',').map(|v| serde_json::from_str(v).unwrap()).collect();
                assert_eq!(&J::from(vals), row);
            }
        } else if *node == "/a" {
            assert_eq!(header, "a");
        }
    }
}

/// The .npy files of `read`, `query --coords/--read` and `eval` load in NumPy equal, dtype and
/// all, to what PyTables (and numexpr) read and compute; empty results are valid empty files.
#[test]
fn npy_files_load_in_numpy_as_pytables_reads() {
    let Some(py) = crate::cli::peers_python() else {
        eprintln!("skipping: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    let file = scratch("npy.h5");
    pytables_file(&py, &file);
    let t = format!("{file}:/t");
    let c2 = format!("{file}:/c2");
    let e = format!("{file}:/g/e");
    // (the command, its .npy's name, the reference in Python)
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["read", &t], "t", "t.read()"),
        (vec!["read", &t, "--start", "2", "--stop", "45", "--step", "4"], "t_range", "t.read(2, 45, 4)"),
        (vec!["read", &t, "--field", "loc/lon", "--step", "3"], "t_lon", "t.read(step=3, field='loc/lon')"),
        (vec!["read", &t, "--field", "loc"], "t_loc", "t.read(field='loc')"),
        (vec!["read", &t, "--field", "v", "--start", "-7"], "t_v", "t.read(-7, field='v')"),
        (vec!["read", &t, "--field", "s"], "t_s", "t.read(field='s')"),
        (vec!["read", &t, "--start", "100"], "t_empty", "t.read(100)"),
        (vec!["read", &c2, "--start", "1", "--step", "3"], "c2", "f.root.c2.read(1, None, 3)"),
        (vec!["read", &c2, "--stop", "0"], "c2_empty", "f.root.c2.read(0, 0)"),
        (vec!["read", &e], "e", "f.root.g.e.read()"),
        (vec!["query", &t, "(i32 > 5) & b", "--coords"], "coords", "t.get_where_list('(i32 > 5) & b')"),
        (
            vec!["query", &t, "i32 > 5", "--coords", "--start", "3", "--stop", "50", "--step", "2"],
            "coords_range",
            "t.get_where_list('i32 > 5', start=3, stop=50, step=2)",
        ),
        (vec!["query", &t, "i32 > 1000", "--coords"], "coords_empty", "t.get_where_list('i32 > 1000')"),
        (vec!["query", &t, "(i32 > 5) & b", "--read"], "rows", "t.read_where('(i32 > 5) & b')"),
        (
            vec!["query", &t, "f64 < 3", "--read", "--field", "loc/lat"],
            "rows_lat",
            "t.read_where('f64 < 3', field='loc/lat')",
        ),
        (vec!["query", &t, "i32 > 1000", "--read"], "rows_empty", "t.read_where('i32 > 1000')"),
        (vec!["eval", &file, "c2 * 2 + 1"], "eval", "ne.evaluate('c2 * 2 + 1', {'c2': f.root.c2.read()})"),
        (vec!["eval", &file, "sum(a)"], "eval_sum", "ne.evaluate('sum(a)', {'a': f.root.a.read()})"),
        (vec!["eval", &file, "a > 1"], "eval_bool", "f.root.a.read() > 1"),
    ];
    let mut checks = Vec::new();
    for (argv, name, reference) in &cases {
        let path = scratch(&format!("{name}.npy"));
        let mut a = argv.clone();
        a.extend(["--npy", &path]);
        let (code, out, err) = outcore(&a);
        assert_eq!(code, 0, "{a:?}: {err}");
        assert!(out.starts_with(&format!("wrote {path} (")), "{out}");
        checks.push(format!("    check({name:?}, {path:?}, {reference})\n"));
    }
    let script = format!(
        "import tables as tb, numpy as np, numexpr as ne\n\
         bad = []\n\
         def check(name, path, ref):\n\
         \x20   got = np.load(path)\n\
         \x20   ref = np.asarray(ref)\n\
         \x20   if got.dtype != ref.dtype or got.shape != ref.shape or not np.array_equal(got, ref):\n\
         \x20       bad.append(f'{{name}}: {{got.dtype}} {{got.shape}} vs {{ref.dtype}} {{ref.shape}}')\n\
         with tb.open_file({file:?}) as f:\n\
         \x20   t = f.root.t\n\
         {}\
         print('\\n'.join(bad) or 'ok')\n",
        checks.concat()
    );
    assert_eq!(python(&py, &script).trim(), "ok");
}

/// A .npy's header as the command writes it: the magic, version 1.0, the header's length
/// (the whole a multiple of 64, ended by a newline) and the dict; then the data.
fn npy_parts(bytes: &[u8]) -> (String, &[u8]) {
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let len = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!(len % 64, 0);
    assert_eq!(bytes[len - 1], b'\n');
    (String::from_utf8(bytes[10..len].to_vec()).unwrap().trim_end().to_string(), &bytes[len..])
}

/// Without Python: `query --coords --npy` holds the row numbers `--coords` prints, its shape
/// patched in after the scan; `read --npy` of a float64 array its values.
#[test]
fn npy_shapes_and_values_match_the_printed_ones() {
    let file = scratch("gen.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "20000", "--filters", "zlib"]);
    assert_eq!(code, 0, "{err}");
    let t = format!("{file}:/t");
    let (code, out, err) = outcore(&["query", &t, "col1 < 20", "--coords", "--json"]);
    assert_eq!(code, 0, "{err}");
    let coords: Vec<i64> = serde_json::from_str(out.trim()).unwrap();
    let path = scratch("gen-coords.npy");
    let (code, out, err) = outcore(&["query", &t, "col1 < 20", "--coords", "--npy", &path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("wrote {path} ({},)", coords.len()));
    let bytes = std::fs::read(&path).unwrap();
    let (dict, data) = npy_parts(&bytes);
    assert_eq!(dict, format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({},), }}", coords.len()));
    let got: Vec<i64> = data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(got, coords);

    let (code, out, err) = outcore(&["read", &format!("{file}:/a"), "--start", "7", "--step", "999", "--json"]);
    assert_eq!(code, 0, "{err}");
    // Parsed as Rust parses floats (serde_json's default parser may miss the last bit).
    let want: Vec<f64> = out.trim().trim_matches(['[', ']']).split(',').map(|v| v.parse().unwrap()).collect();
    let path = scratch("gen-a.npy");
    let (code, _, err) = outcore(&["read", &format!("{file}:/a"), "--start", "7", "--step", "999", "--npy", &path]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&path).unwrap();
    let (dict, data) = npy_parts(&bytes);
    assert_eq!(dict, format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({},), }}", want.len()));
    let got: Vec<f64> = data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(got, want);

    // --npy goes with --coords or --read, and not with --json.
    let (code, _, _) = outcore(&["query", &t, "col1 < 20", "--count", "--npy", &path]);
    assert_eq!(code, 2);
    let (code, _, _) = outcore(&["read", &t, "--json", "--npy", &path]);
    assert_eq!(code, 2);
}

/// A missing node fails as in the other subcommands (status 1, the file and the node named,
/// the closest path suggested); a group, an unknown column, --field on an array say so.
#[test]
fn read_of_a_missing_node_fails_naming_it() {
    let file = scratch("missing.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "100", "--filters", "none"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcore(&["read", &format!("{file}:/tt")]);
    assert_eq!(code, 1);
    assert_eq!(err.trim(), format!("{file}: no node `/tt` (did you mean `/t`?)"));
    let (_, _, info_err) = outcore(&["info", &format!("{file}:/tt")]);
    assert_eq!(err, info_err);
    let npy = scratch("missing.npy");
    let (code, _, err) = outcore(&["read", &format!("{file}:/nothing"), "--npy", &npy]);
    assert_eq!((code, err.trim()), (1, format!("{file}: no node `/nothing`").as_str()));
    assert!(!std::path::Path::new(&npy).exists());
    let (code, _, err) = outcore(&["read", &format!("{file}:/")]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{file}:/: is a group")), "{err}");
    let (code, _, err) = outcore(&["read", &format!("{file}:/t"), "--field", "col9"]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{file}:/t: no column `col9` (columns: col1, col2, col3, col4)")), "{err}");
    let (code, _, err) = outcore(&["read", &format!("{file}:/a"), "--field", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("is an array, not a table"), "{err}");
    let (code, _, err) = outcore(&["read", &format!("{file}:/a"), "--step", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("step must be positive"), "{err}");
    let (code, _, err) = outcore(&["read", "/no/such/file.h5:/t"]);
    assert_eq!(code, 1);
    assert!(err.contains("no such file"), "{err}");
}

/// `outcore read ... | head -1`: the reader goes away; the command ends quietly, status 0.
#[test]
fn read_into_a_closed_pipe_ends_quietly() {
    let file = scratch("pipe.h5");
    let (code, _, err) = outcore(&["gen", &file, "--rows", "300000", "--filters", "none"]);
    assert_eq!(code, 0, "{err}");
    let t = format!("{file}:/t");
    let a = format!("{file}:/a");
    for args in [vec!["read", &t], vec!["read", &a, "--csv"], vec!["read", &t, "--field", "col2", "--json"]] {
        crate::ends_quietly_when_the_pipe_closes(&args);
    }
}

/// Every option of `read` and the new `--npy` options are described, with examples; the
/// completion scripts know them.
#[test]
fn read_and_npy_are_described_and_completed() {
    for (cmd, opts) in [
        ("read", &["--start", "--stop", "--step", "--field", "--json", "--csv", "--npy"][..]),
        ("query", &["--npy"][..]),
        ("eval", &["--npy"][..]),
    ] {
        let (code, help, _) = outcore(&[cmd, "--help"]);
        assert_eq!(code, 0);
        for opt in opts {
            let line = help.lines().position(|l| l.trim_start().starts_with(opt)).unwrap_or_else(|| panic!("{opt}"));
            let next = help.lines().nth(line + 1).unwrap_or("").trim();
            assert!(!next.is_empty() && !next.starts_with("--"), "{cmd} {opt} has no description:\n{help}");
            let described =
                help.lines().skip(line + 1).take_while(|l| !l.trim_start().starts_with("--")).collect::<String>();
            assert!(described.contains("default"), "{cmd} {opt} names no default:\n{help}");
        }
        assert!(help.contains("Examples:") && help.contains("--npy"), "{help}");
    }
    let (_, script, _) = outcore(&["completions", "bash"]);
    assert!(script.contains("read") && script.contains("--npy") && script.contains("--field"));
}

/// VLArray rows (tests/fixtures/pytables/vlarrays.h5, from scripts/make_vlarray_fixture.py):
/// `--json` prints PyTables' rows (vlarrays.json), ranges pick rows, text prints a row per
/// line, `ls` and `info` name the atom, and `--npy` (one shape) is refused.
#[test]
fn vlarray_rows_print_as_pytables_reads_them() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables");
    let file = dir.join("vlarrays.h5").to_string_lossy().into_owned();
    let want: J = serde_json::from_str(&std::fs::read_to_string(dir.join("vlarrays.json")).unwrap()).unwrap();
    for name in ["i32", "f64z", "pairs", "strs", "unis", "flags", "u8", "c128", "objs"] {
        let (code, out, err) = outcore(&["read", &format!("{file}:/{name}"), "--json"]);
        assert_eq!(code, 0, "{name}: {err}");
        let got: J = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{name}: {e}: {out}"));
        let mut rows = want[format!("/{name}")]["rows"].clone();
        if name == "strs" {
            // Text, as UTF-8 (PyTables' bytes, its fixture as latin-1): the ASCII rows agree.
            rows = J::from(rows.as_array().unwrap().iter().take(3).cloned().collect::<Vec<_>>());
            let got3 = J::from(got.as_array().unwrap().iter().take(3).cloned().collect::<Vec<_>>());
            assert_eq!(got3, rows, "{name}");
            continue;
        }
        assert_eq!(got, rows, "{name}");
    }
    let (code, out, _) = outcore(&["read", &format!("{file}:/i32"), "--start", "1", "--stop", "4"]);
    assert_eq!(code, 0);
    let rows = &want["/i32"]["rows"];
    let text: Vec<String> = (1..4)
        .map(|i| rows[i].as_array().unwrap().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(out, format!("{}\n", text.join("\n")));
    let (code, out, _) = outcore(&["read", &format!("{file}:/unis"), "--csv"]);
    assert_eq!((code, out.as_str()), (0, "unis\nh\u{e9}llo\n\n\u{4e2d}\u{6587} \u{1f600}\n"));
    let (_, out, _) = outcore(&["ls", &file]);
    let atoms: Vec<(&str, &str)> = out
        .lines()
        .filter(|l| l.contains("VLArray"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0], w[3])
        })
        .collect();
    assert!(atoms.contains(&("/pairs", "[2]float32")) && atoms.contains(&("/strs", "vlstring")), "{out}");
    assert!(atoms.contains(&("/objs", "object")) && atoms.contains(&("/i32", "int32")), "{out}");
    let (_, out, _) = outcore(&["info", &format!("{file}:/unis"), "--json"]);
    let info: J = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((info["atom"].as_str(), info["nrows"].as_u64()), (Some("vlunicode"), Some(3)));
    let npy = scratch("vl.npy");
    let (code, _, err) = outcore(&["read", &format!("{file}:/i32"), "--npy", &npy]);
    assert_eq!(code, 2);
    assert!(err.contains("vary in length"), "{err}");
}
