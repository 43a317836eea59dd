//! Snapshots of error text and disassembly: the exact messages and programs users see.

use outcore_expr::{compile, DType, VarInfo};

fn vars() -> Vec<VarInfo> {
    let v = |n: &str, d| VarInfo { name: n.into(), dtype: d, scalar: false };
    let s = |n: &str, d| VarInfo { name: n.into(), dtype: d, scalar: true };
    vec![
        v("a", DType::Float64),
        v("b", DType::Float64),
        v("c", DType::Float64),
        v("f", DType::Float32),
        v("i", DType::Int32),
        v("l", DType::Int64),
        v("z", DType::Complex128),
        v("s", DType::Bytes(4)),
        v("flag", DType::Bool),
        v("col1", DType::Int32),
        v("col2", DType::Float64),
        v("col3", DType::Float64),
        v("col4", DType::Float64),
        s("lim1", DType::Float64),
        s("lim2", DType::Float64),
        s("lim3", DType::Float64),
        s("lim4", DType::Float64),
        s("lim5", DType::Float64),
    ]
}

fn render(src: &str) -> String {
    match compile(src, &vars()) {
        Ok(p) => format!("{p}"),
        Err(e) => format!("{e}\n"),
    }
}

#[test]
fn error_messages() {
    let cases = [
        "sqr(a) + 1",
        "where(a > 0, a)",
        "s < 1.5",
        "a + undefined_thing",
        "a + col",
        "(a > 0) and (b > 0)",
        "not flag",
        "a or b",
        "a[0]",
        "lambda x: x",
        "a if flag else b",
        "a = 1",
        "a; b",
        "__import__('os')",
        "a.shape",
        "a < b < c",
        "z < z",
        "i ** -1",
        "-flag",
        "flag - flag",
        "a & b",
        "a << 2",
        "(a + b",
        "a + b)",
        "a +",
        "a b",
        "",
        "'unterminated",
        "a + é",
        "sum(a, axis=b)",
        "sum(a, 0, 1)",
        "sqrt(a, b)",
        "sum(a, axis=0) + 1",
        "sin(s)",
        "contains(a, s)",
        "where(i, a, b)",
        "99999999999999999999 + a",
        "0777 + a",
        "round(z, 2)",
        "min(z)",
        "f(x=1)",
        "sum(a, keepdims=1)",
        "a + 'text'",
    ];
    let text: String = cases.iter().map(|c| format!("> {c}\n{}\n", render(c))).collect();
    insta::assert_snapshot!(text);
}

#[test]
fn disassembly() {
    let cases = [
        "a*b+c",
        "(((col4 >= lim1) & (col4 < lim2)) | ((col2 > lim3) & (col2 < lim4)) & ((col1 + 3.1*col2 + col3*col4) > lim5))",
        "sin(a)**2+cos(b)**2",
        "exp(-a*a)*log1p(b)",
        "where(a>0.5, sqrt(a), b**3)",
        "(a>0.2)&(b<0.7)|(a+b>1.5)",
        "(a*b + 1) / (a*b - 1)",
        "sqrt(2.0) * a + 2**10",
        "f*2 + f*2.0",
        "i + f",
        "i / i",
        "i ** 2.5",
        "a ** -2",
        "a ** 0.5",
        "a ** 7",
        "a ** 2.7",
        "a - sum(a)/3",
        "sum(a*b, axis=0)",
        "sum(a) + max(b) * min(c)",
        "s == b'spam'",
        "contains(s, b'am')",
        "z * z + 1j",
        "abs(z) + real(z)",
        "where(True, a, b)",
        "flag & ~(a > 0)",
        "l >> 2 | 1",
        "a",
        "3 + 4",
    ];
    let text: String = cases.iter().map(|c| format!("{}\n", render(c))).collect();
    insta::assert_snapshot!(text);
}

#[test]
fn result_types_follow_numexpr() {
    let cases = [
        ("f * 2", DType::Float32),
        ("f * 2.0", DType::Float64),
        ("i + f", DType::Float32),
        ("l + f", DType::Float32),
        ("i + 3000000000", DType::Int64),
        ("i / i", DType::Float64),
        ("f / i", DType::Float32),
        ("i // 2", DType::Int32),
        ("i ** 2", DType::Int32),
        ("i ** 2.0", DType::Int32),
        ("i ** 0.5", DType::Float64),
        ("f ** 2.5", DType::Float32),
        ("f ** 2.7", DType::Float64),
        ("sqrt(i)", DType::Float64),
        ("sqrt(f)", DType::Float32),
        ("abs(i)", DType::Float64),
        ("round(f)", DType::Float64),
        ("sign(i)", DType::Int32),
        ("real(z)", DType::Float64),
        ("where(flag, i, f)", DType::Float32),
        ("sum(i)", DType::Int32),
        ("sum(flag)", DType::Int64),
        ("min(i)", DType::Int32),
        ("flag + flag", DType::Bool),
        ("flag * 2", DType::Int32),
        ("s == b'ab'", DType::Bool),
    ];
    for (src, want) in cases {
        let p = compile(src, &vars()).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(p.dtype(), want, "{src}");
    }
}
