//! Prints the disassembly of an expression over float64 arrays `a`..`d` and friends.
use outcore_expr::{compile, DType, VarInfo};
fn main() {
    let src = std::env::args().nth(1).unwrap_or_else(|| "a*b+c".into());
    let v = |n: &str, d| VarInfo { name: n.into(), dtype: d, scalar: false };
    let vars = [
        v("a", DType::Float64),
        v("b", DType::Float64),
        v("c", DType::Float64),
        v("i", DType::Int32),
        v("f", DType::Float32),
        v("s", DType::Bytes(4)),
        v("z", DType::Complex128),
        v("bb", DType::Bool),
    ];
    match compile(&src, &vars) {
        Ok(p) => print!("{p}"),
        Err(e) => println!("{e}"),
    }
}
