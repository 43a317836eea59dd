//! `outcore repack`, run as a child process on files PyTables writes: PyTables reads the
//! copies with the same values, titles and attributes, the filters and chunk shapes asked for,
//! and appends to their EArrays.

use crate::run_outcore as outcore;
use crate::run_python as python;

fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("outcore-repack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_string_lossy().into_owned()
}

/// A file PyTables writes: a zlib table with nested columns and several dtypes (and user
/// attributes), groups with titles and attributes, a 2-D blosc CArray, a zlib EArray, an
/// Array, a CArray with a fill value whose chunks are mostly never written, a VLArray (copied
/// row by row), and a
/// second table with a PyTables index.
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
         \x20   u16 = tb.UInt16Col(pos=4)\n\
         \x20   i64 = tb.Int64Col(pos=5)\n\
         \x20   v = tb.Float32Col(shape=(2,), pos=6)\n\
         \x20   loc = Loc()\n\
         zlib = tb.Filters(complevel=5, complib='zlib', shuffle=True)\n\
         with tb.open_file({path:?}, 'w', title='the file') as f:\n\
         \x20   t = f.create_table('/', 't', Row, 'a table', filters=zlib, chunkshape=(250,))\n\
         \x20   n = 3000\n\
         \x20   i = np.arange(n)\n\
         \x20   rec = np.zeros(n, dtype=t.dtype)\n\
         \x20   rec['i32'] = i - 100; rec['f64'] = np.sin(i); rec['s'] = [b'r%d' % k for k in i]\n\
         \x20   rec['b'] = i % 3 == 0; rec['u16'] = i * 7 % 65536; rec['i64'] = i * 10**12\n\
         \x20   rec['v'] = np.stack([i / 3, -i], axis=1); rec['loc']['lat'] = i / 7; rec['loc']['lon'] = -i / 3\n\
         \x20   t.append(rec)\n\
         \x20   t.attrs.unit = 'm'; t.attrs.scale = 2.5; t.attrs.arr = np.array([1, 2, 3], dtype=np.int16)\n\
         \x20   g = f.create_group('/', 'g', 'a group')\n\
         \x20   g._v_attrs.owner = 'me'; g._v_attrs.count = np.int32(7)\n\
         \x20   c = f.create_carray(g, 'c', obj=np.arange(100 * 37, dtype=np.float64).reshape(100, 37) / 3,\n\
         \x20       chunkshape=(16, 8), filters=tb.Filters(5, 'blosc'), title='a carray')\n\
         \x20   c.attrs.note = 'blosc'\n\
         \x20   sub = f.create_group(g, 'sub', 'below')\n\
         \x20   e = f.create_earray(sub, 'e', tb.Int32Atom(), (0, 4), 'an earray', filters=zlib, chunkshape=(64, 4))\n\
         \x20   e.append(np.arange(2000, dtype=np.int32).reshape(500, 4))\n\
         \x20   f.create_array('/', 'a', obj=np.array([1.5, -2.5, 1e300, 4.0, 0.1]), title='an array')\n\
         \x20   sp = f.create_carray('/', 'sparse', tb.Float32Atom(dflt=-1.5), (50, 20), chunkshape=(8, 8), filters=zlib)\n\
         \x20   sp[3:9, 2:5] = 7; sp[40:, 19] = 2\n\
         \x20   vl = f.create_vlarray('/', 'vl', tb.Int32Atom())\n\
         \x20   vl.append([1, 2]); vl.append([3])\n\
         \x20   ti = f.create_table('/', 'ti', Row, 'indexed', filters=zlib)\n\
         \x20   ti.append(rec[:500])\n\
         \x20   ti.cols.i32.create_index()\n"
    );
    python(py, &script);
}

/// PyTables compares `pairs` (source path, copy path) of two files: values byte for byte,
/// classes, titles, user attributes, and each copy's filters and chunk shape against
/// `filters` (`None`: the source's) and `chunks` (path → chunk shape; others: the source's).
/// EArrays of the copy are appended to, and read back.
fn check(
    py: &std::path::Path,
    src: &str,
    dst: &str,
    pairs: &[(&str, &str)],
    filters: Option<(&str, u8, bool)>,
    chunks: &[(&str, &str)],
) {
    let pairs_py = pairs.iter().map(|(a, b)| format!("({a:?}, {b:?})")).collect::<Vec<_>>().join(", ");
    let filters_py = match filters {
        None => "None".to_string(),
        Some((lib, level, sh)) => format!("({lib:?}, {level}, {})", if sh { "True" } else { "False" }),
    };
    let chunks_py = chunks.iter().map(|(p, c)| format!("{p:?}: {c}")).collect::<Vec<_>>().join(", ");
    let script = format!(
        "import tables as tb, numpy as np\n\
         pairs = [{pairs_py}]\n\
         want = {filters_py}\n\
         chunks = {{{chunks_py}}}\n\
         def user(n):\n\
         \x20   a = n._v_attrs\n\
         \x20   return {{k: a[k] for k in a._f_list('user')}}\n\
         def same(x, y):\n\
         \x20   if isinstance(x, np.ndarray): return x.dtype == y.dtype and np.array_equal(x, y)\n\
         \x20   return type(x) == type(y) and x == y\n\
         with tb.open_file({src:?}) as s, tb.open_file({dst:?}) as d:\n\
         \x20   assert s.title == d.title or pairs[0][0] != '/', (s.title, d.title)\n\
         \x20   for sp, dp in pairs:\n\
         \x20       a, b = s.get_node(sp), d.get_node(dp)\n\
         \x20       assert type(a) is type(b), (sp, type(a), type(b))\n\
         \x20       assert a._v_title == b._v_title, (sp, a._v_title, b._v_title)\n\
         \x20       ua, ub = user(a), user(b)\n\
         \x20       assert ua.keys() == ub.keys() and all(same(ua[k], ub[k]) for k in ua), (sp, ua, ub)\n\
         \x20       if isinstance(a, tb.Group): continue\n\
         \x20       x, y = a.read(), b.read()\n\
         \x20       assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), sp\n\
         \x20       if isinstance(a, tb.Table): assert a.nrows == b.nrows and a.colnames == b.colnames\n\
         \x20       if a.chunkshape is None: continue\n\
         \x20       if want is None:\n\
         \x20           assert (a.filters.complib, a.filters.complevel, a.filters.shuffle) == (b.filters.complib, b.filters.complevel, b.filters.shuffle), (sp, a.filters, b.filters)\n\
         \x20       elif want[1] == 0:\n\
         \x20           assert b.filters.complevel == 0 and not b.filters.shuffle, (sp, b.filters)\n\
         \x20       else:\n\
         \x20           assert (b.filters.complib, b.filters.complevel, b.filters.shuffle) == want, (sp, b.filters, want)\n\
         \x20       assert b.chunkshape == chunks.get(sp, a.chunkshape), (sp, b.chunkshape, chunks.get(sp, a.chunkshape))\n\
         with tb.open_file({dst:?}, 'a') as d:\n\
         \x20   for sp, dp in pairs:\n\
         \x20       b = d.get_node(dp)\n\
         \x20       if isinstance(b, tb.EArray):\n\
         \x20           n = b.nrows\n\
         \x20           b.append(np.full((3,) + b.shape[1:], 9, dtype=b.dtype))\n\
         \x20           assert b.nrows == n + 3 and (b[n:] == 9).all()\n\
         print('ok')\n"
    );
    assert_eq!(python(py, &script).trim(), "ok");
}

const ALL: [(&str, &str); 7] = [
    ("/", "/"),
    ("/t", "/t"),
    ("/g", "/g"),
    ("/g/c", "/g/c"),
    ("/g/sub", "/g/sub"),
    ("/g/sub/e", "/g/sub/e"),
    ("/a", "/a"),
];

#[test]
fn repack_keeps_everything_by_default_and_sets_the_filters_asked_for() {
    let Some(py) = crate::cli::peers_python() else {
        eprintln!("skipping: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    let src = scratch("src.h5");
    pytables_file(&py, &src);

    // No options: every leaf keeps its filters and chunks, copied raw.
    let dst = scratch("keep.h5");
    let (code, out, err) = outcore(&["repack", &src, &dst]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("copied raw"), "{out}");
    assert!(!err.contains("skipping"), "{err}");
    assert!(err.contains("indexes are not copied (--propindexes rebuilds them)") && err.contains("/ti"), "{err}");
    check(&py, &src, &dst, &ALL, None, &[]);
    // The indexed table is there, its index is not.
    let out = python(
        &py,
        &format!(
            "import tables as tb\nwith tb.open_file({dst:?}) as f:\n    print(f.root.ti.nrows, f.root.ti.cols.i32.is_indexed, [r.tolist() for r in f.root.vl.read()])"
        ),
    );
    // The VLArray is copied row by row.
    assert_eq!(out.trim(), "500 False [[1, 2], [3]]");

    // New filters: zlib 5 with shuffle; blosc:lz4 1 (shuffle by default); none.
    for (args, want) in [
        (&["--complevel", "5", "--complib", "zlib", "--shuffle"][..], ("zlib", 5, true)),
        (&["--complevel", "1", "--complib", "blosc:lz4"][..], ("blosc:lz4", 1, true)),
        (&["--complevel", "0"][..], ("zlib", 0, false)),
    ] {
        let dst = scratch(&format!("f{}.h5", want.1));
        let mut a = vec!["repack", &src, &dst];
        a.extend_from_slice(args);
        let (code, out, err) = outcore(&a);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("repacked"), "{out}");
        check(&py, &src, &dst, &ALL, Some(want), &[]);
    }
    // ptrepack's --fletcher32: a checksum after the compressor, PyTables sees it.
    let dst = scratch("f32.h5");
    let (code, _, err) = outcore(&["repack", &src, &dst, "--complevel", "1", "--complib", "zlib", "--fletcher32"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("/vl: copied without fletcher32"), "{err}");
    let out = python(
        &py,
        &format!(
            "import tables as tb\nwith tb.open_file({dst:?}) as f:\n    print(f.root.t.filters.fletcher32, f.root.t.filters.complib, f.root.t.nrows)"
        ),
    );
    assert_eq!(out.trim(), "True zlib 3000");

    // Chunk shapes by PyTables' rule for each leaf's rows, with new filters (a CArray's
    // chunks no larger than the CArray, as outcore's create functions pick them).
    let dst = scratch("auto.h5");
    let (code, _, err) = outcore(&["repack", &src, &dst, "--chunkshape", "auto", "--complevel", "3"]);
    assert_eq!(code, 0, "{err}");
    let rule = python(
        &py,
        &format!(
            "import tables as tb, numpy as np\n\
             with tb.open_file({src:?}) as s, tb.open_file('rule.h5', 'w', driver='H5FD_CORE', driver_core_backing_store=0) as m:\n\
             \x20   t = m.create_table('/', 't', s.root.t.description, expectedrows=s.root.t.nrows)\n\
             \x20   c = m.create_carray('/', 'c', tb.Float64Atom(), (100, 37))\n\
             \x20   e = m.create_earray('/', 'e', tb.Int32Atom(), (0, 4), expectedrows=500)\n\
             \x20   cc = tuple(min(x, y) for x, y in zip(c.chunkshape, c.shape))\n\
             \x20   print(t.chunkshape, cc, e.chunkshape, sep=';')"
        ),
    );
    let rule: Vec<&str> = rule.trim().split(';').collect();
    assert_ne!(rule[0], "(250,)");
    check(&py, &src, &dst, &ALL, Some(("zlib", 3, true)), &[("/t", rule[0]), ("/g/c", rule[1]), ("/g/sub/e", rule[2])]);
}

#[test]
fn repack_copies_one_node_with_new_chunks() {
    let Some(py) = crate::cli::peers_python() else {
        eprintln!("skipping: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    let src = scratch("node-src.h5");
    pytables_file(&py, &src);
    let dst = scratch("node-dst.h5");
    // A group, recursively, to another path; a CArray with a new chunk shape beside it; a
    // table with new chunks and filters.
    let (code, _, err) = outcore(&["repack", &format!("{src}:/g"), &format!("{dst}:/h")]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcore(&["repack", &format!("{src}:/g/c"), &format!("{dst}:/c2"), "--chunkshape", "10,5"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcore(&[
        "repack",
        &format!("{src}:/g/sub/e"),
        &format!("{dst}:/"),
        "--chunkshape",
        "(7,3)",
        "--complevel",
        "9",
        "--complib",
        "blosc:zstd",
        "--bitshuffle",
    ]);
    assert_eq!(code, 0, "{err}");
    // lzf, which PyTables cannot read (h5py can).
    let (code, _, err) =
        outcore(&["repack", &format!("{src}:/t"), &format!("{dst}:/tl"), "--complib", "lzf", "--complevel", "1"]);
    assert_eq!(code, 0, "{err}");
    let out = python(
        &py,
        &format!(
            "import h5py\nwith h5py.File({src:?}) as s, h5py.File({dst:?}) as d:\n\
             \x20   a, b = s['t'], d['tl']\n\
             \x20   print(a[()].tobytes() == b[()].tobytes(), b.compression, b.shuffle, b.attrs['CLASS'], b.attrs['unit'])"
        ),
    );
    assert_eq!(out.trim(), "True lzf True b'TABLE' b'm'");
    let (code, _, err) = outcore(&["repack", &format!("{src}:/t"), &format!("{dst}:/t"), "--chunkshape", "999"]);
    assert_eq!(code, 0, "{err}");
    // Never-written chunks stay unwritten (their fill value) under other chunks and filters.
    let (code, _, err) = outcore(&[
        "repack",
        &format!("{src}:/sparse"),
        &format!("{dst}:/sparse"),
        "--chunkshape",
        "5,6",
        "--complib",
        "blosc",
        "--complevel",
        "4",
    ]);
    assert_eq!(code, 0, "{err}");
    check(&py, &src, &dst, &[("/sparse", "/sparse")], Some(("blosc:blosclz", 4, true)), &[("/sparse", "(5, 6)")]);
    let out = python(
        &py,
        &format!(
            "import h5py\nwith h5py.File({dst:?}) as d:\n    x = d['sparse']; print(x.id.get_num_chunks(), x.fillvalue)"
        ),
    );
    assert_eq!(out.trim(), "12 -1.5", "{out}"); // of 40: those the 4 stored source chunks reach
                                                // Within one file.
    let (code, _, err) = outcore(&["repack", &format!("{src}:/g/c"), &format!("{src}:/copy/c"), "--complevel", "2"]);
    assert_eq!(code, 0, "{err}");
    check(&py, &src, &src, &[("/g/c", "/copy/c")], Some(("zlib", 2, true)), &[]);
    let (code, _, err) = outcore(&["repack", &format!("{src}:/g"), &format!("{src}:/g/inner")]);
    assert_eq!(code, 2);
    assert!(err.contains("into itself"), "{err}");
    check(
        &py,
        &src,
        &dst,
        &[("/g", "/h"), ("/g/c", "/h/c"), ("/g/sub", "/h/sub"), ("/g/sub/e", "/h/sub/e")],
        None,
        &[],
    );
    check(&py, &src, &dst, &[("/g/c", "/c2"), ("/t", "/t")], None, &[("/g/c", "(10, 5)"), ("/t", "(999,)")]);
    check(&py, &src, &dst, &[("/g/sub/e", "/e")], Some(("blosc:zstd", 9, false)), &[("/g/sub/e", "(7, 3)")]);
    let out = python(
        &py,
        &format!("import tables as tb\nwith tb.open_file({dst:?}) as f:\n    print(f.root.e.filters.bitshuffle)"),
    );
    assert_eq!(out.trim(), "True");
    let out = python(
        &py,
        &format!("import tables as tb\nwith tb.open_file({dst:?}) as f:\n    print(sorted(f.root._v_children))"),
    );
    assert_eq!(out.trim(), "['c2', 'e', 'h', 'sparse', 't', 'tl']");

    // Errors: a missing source node, an existing destination, blosc:lz4hc, a chunk shape of
    // another rank.
    let (code, _, err) = outcore(&["repack", &format!("{src}:/nope"), &format!("{dst}:/x")]);
    assert_eq!(code, 1);
    assert!(err.contains("/nope"), "{err}");
    let (code, _, err) = outcore(&["repack", &format!("{src}:/t"), &format!("{dst}:/t")]);
    assert_eq!(code, 1);
    assert!(err.contains("/t") && err.contains("--overwrite"), "{err}");
    let (code, _, err) = outcore(&["repack", &src, &dst]);
    assert_eq!(code, 1);
    assert!(err.contains("--overwrite"), "{err}");
    let (code, _, err) = outcore(&["repack", &format!("{src}:/t"), &format!("{dst}:/t"), "--overwrite"]);
    assert_eq!(code, 0, "{err}");
    // blosc2 is written; a library outcore does not write is a usage error, and no file.
    let (code, _, err) = outcore(&["repack", &src, &scratch("b2.h5"), "--complevel", "5", "--complib", "blosc2:zstd"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = outcore(&["ls", &scratch("b2.h5")]);
    assert!(out.lines().filter(|l| l.contains("Table")).all(|l| l.contains(" blosc2:zstd(5)+shuffle ")), "{out}");
    let (code, _, err) = outcore(&["repack", &src, &scratch("hc.h5"), "--complevel", "5", "--complib", "blosc:lz4hc"]);
    assert_eq!(code, 2);
    assert!(err.contains("--complib blosc:lz4hc: not supported yet"), "{err}");
    assert!(!std::path::Path::new(&scratch("hc.h5")).exists());
    let bad = scratch("rank.h5");
    let (code, _, err) = outcore(&["repack", &format!("{src}:/g/c"), &format!("{bad}:/c"), "--chunkshape", "10"]);
    assert_eq!(code, 1);
    assert!(err.contains("/g/c") && err.contains("chunk shape"), "{err}");
    let (code, out, _) = outcore(&["repack", "--help"]);
    assert_eq!(code, 0);
    for opt in ["--complevel", "--complib", "--shuffle", "--bitshuffle", "--chunkshape", "--overwrite", "Examples:"] {
        assert!(out.contains(opt), "{opt}: {out}");
    }
}

#[test]
fn chunk_statistics_follow_the_table() {
    let Some(py) = crate::cli::peers_python() else {
        eprintln!("skipping: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    let src = scratch("stats-src.h5");
    pytables_file(&py, &src);
    let (code, _, err) = outcore(&["index", &format!("{src}:/t"), "--columns", "i32,f64"]);
    assert_eq!(code, 0, "{err}");
    let explain = |file: &str| {
        let (code, out, err) = outcore(&["query", &format!("{file}:/t"), "(i32 >= 0) & (i32 < 100)", "--explain"]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let before = explain(&src);
    assert!(before.contains("statistics  chunk min/max"), "{before}");
    // Kept chunks: the statistics copied; new chunks: built again for them.
    let src_t = format!("{src}:/t");
    for (name, args) in [("s-keep.h5", &[][..]), ("s-new.h5", &["--chunkshape", "128", "--complevel", "1"][..])] {
        let dst = scratch(name);
        let dst_t = format!("{dst}:/t");
        // The whole file, or the table alone with new chunks.
        let mut a = if args.is_empty() { vec!["repack", &src, &dst] } else { vec!["repack", &src_t, &dst_t] };
        a.extend_from_slice(args);
        let (code, _, err) = outcore(&a);
        assert_eq!(code, 0, "{err}");
        let after = explain(&dst);
        assert!(after.contains("statistics  chunk min/max of i32"), "{name}: {after}");
        let count = |f: &str| outcore(&["query", &format!("{f}:/t"), "(i32 >= 0) & (i32 < 100)", "--count"]).1;
        assert_eq!(count(&dst), count(&src));
        if name == "s-new.h5" {
            assert!(after.contains("chunks of 128 rows"), "{after}");
        }
        // PyTables does not list the hidden node, and reads the table.
        let out = python(
            &py,
            &format!(
                "import tables as tb\nwith tb.open_file({dst:?}) as f:\n    print(sorted(f.root._v_children), f.root.t.nrows)"
            ),
        );
        let want = if args.is_empty() { "['a', 'g', 'sparse', 't', 'ti', 'vl'] 3000" } else { "['t'] 3000" };
        assert_eq!(out.trim(), want, "{out}");
    }
}

/// `--sortby COL` (ptrepack's): tables with the column are copied in the order of its
/// completely sorted index, the same rows as ptrepack --sortby gives, chunk statistics built
/// for the new order; a table whose index is not completely sorted is an error naming it.
#[test]
fn repack_sortby_copies_tables_in_their_index_order() {
    let Some(py) = crate::cli::peers_python() else { return };
    let src = scratch("sortby-src.h5");
    let script = format!(
        "import tables as tb, numpy as np\n\
         r = np.random.default_rng(5)\n\
         with tb.open_file({src:?}, 'w') as f:\n\
         \x20   t = f.create_table('/', 't', {{'k': tb.Float64Col(pos=0), 'n': tb.Int32Col(pos=1)}}, chunkshape=(1000,))\n\
         \x20   k = r.integers(0, 500, 25000).astype(float); k[::97] = np.nan\n\
         \x20   t.append(list(zip(k, np.arange(25000))))\n\
         \x20   t.cols.k.create_csindex()\n\
         \x20   g = f.create_table('/', 'g', {{'k': tb.Float64Col()}}); g.append([(3.0,), (1.0,)]); g.cols.k.create_index()\n\
         \x20   f.create_array('/', 'a', np.arange(5))\n"
    );
    python(&py, &script);
    let (code, out, err) = outcore(&["index", &format!("{src}:/t"), "--kind", "stats"]);
    assert_eq!(code, 0, "{out}{err}");
    // A medium (not completely sorted) index: refused, naming the table.
    let dst = scratch("sortby-dst.h5");
    let (code, _, err) = outcore(&["repack", &src, &dst, "--sortby", "k", "--overwrite"]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("--sortby k: {src}:/g: column `k` of /g has no completely sorted index")), "{err}");
    let (code, out, err) =
        outcore(&["repack", &format!("{src}:/t"), &format!("{dst}:/t"), "--sortby", "k", "--overwrite"]);
    assert_eq!(code, 0, "{out}{err}");
    let ours = format!("{dst}:/t");
    let (_, out, _) = outcore(&["query", &ours, "k < 10", "--explain"]);
    // Sorted, the rows of k < 10 lie in one chunk, which its statistics find.
    assert!(out.contains("statistics  chunk min/max of k") && out.contains("reads       1 of 25 chunks"), "{out}");
    let theirs = scratch("sortby-pt.h5");
    let check = format!(
        "import subprocess, sys, tables as tb, numpy as np\n\
         import os\n\
         pt = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ptrepack'), '-o', '--sortby', 'k', {src:?} + ':/t', {theirs:?} + ':/t'], capture_output=True, text=True)\n\
         assert pt.returncode == 0, pt.stderr\n\
         with tb.open_file({dst:?}) as a, tb.open_file({theirs:?}) as b, tb.open_file({src:?}) as s:\n\
         \x20   x, y = a.root.t.read(), b.root.t.read()\n\
         \x20   assert x.tobytes() == y.tobytes(), 'differs from ptrepack'\n\
         \x20   assert np.array_equal(np.sort(x['n']), np.arange(25000))\n\
         \x20   k = x['k']; assert np.all(k[:-1][~np.isnan(k[1:])] <= k[1:][~np.isnan(k[1:])])\n\
         \x20   assert np.isnan(k[-1]) and not np.isnan(k[0])\n\
         print('ok')\n"
    );
    assert_eq!(python(&py, &check).trim(), "ok");
}
