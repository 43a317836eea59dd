//! The `outcore` command. For now it compiles an expression and prints its program:
//!
//! ```text
//! outcore compile 'a*b + c' a:float64 b:float64 c:float64
//! ```
//!
//! Exit status: 0 on success, 2 for a usage or expression error (printed with a caret).

use std::process::ExitCode;

use outcore::expr_lang::{compile, DType, VarInfo};

const USAGE: &str = "usage: outcore compile EXPR [NAME:TYPE]...
  TYPE is bool, int32, int64, float32, float64, complex128 or bytesN (fixed-length strings);
  append `=scalar` for a scalar variable, e.g. lim:float64=scalar.
  Prints the compiled program (register bytecode), or the error in the expression.";

fn parse_var(spec: &str) -> Result<VarInfo, String> {
    let (name, rest) = spec.split_once(':').ok_or_else(|| format!("`{spec}`: expected NAME:TYPE"))?;
    let (ty, scalar) = match rest.split_once('=') {
        Some((ty, "scalar")) => (ty, true),
        Some((_, other)) => return Err(format!("`{spec}`: unknown option `{other}` (only `=scalar`)")),
        None => (rest, false),
    };
    let dtype = match ty {
        "bool" => DType::Bool,
        "int32" => DType::Int32,
        "int64" => DType::Int64,
        "float32" => DType::Float32,
        "float64" => DType::Float64,
        "complex128" => DType::Complex128,
        t => match t.strip_prefix("bytes").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n > 0 => DType::Bytes(n),
            _ => return Err(format!("`{spec}`: unknown type `{t}`")),
        },
    };
    Ok(VarInfo { name: name.to_string(), dtype, scalar })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("compile") if args.len() >= 2 => {
            let vars: Result<Vec<VarInfo>, String> = args[2..].iter().map(|s| parse_var(s)).collect();
            let vars = match vars {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("outcore: {e}\n{USAGE}");
                    return ExitCode::from(2);
                }
            };
            match compile(&args[1], &vars) {
                Ok(p) => {
                    print!("{p}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(2)
                }
            }
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
