#!/usr/bin/env bash
# Peak memory of an expression far larger than memory: `a*b+c` over three 100M-row float64
# CArrays (800 MB each) into a fourth, then two full reductions, measured with /usr/bin/time -v.
# Usage: scripts/rss_expr.sh [FILE] [ROWS]   (the file is made on the first run)
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:-${TMPDIR:-/tmp}/outcore-big-expr.h5}"
rows="${2:-100000000}"
cargo build --release --quiet --example big_expr
# Once to make the file (if needed), once measured.
target/release/examples/big_expr "$file" --rows "$rows" >/dev/null
/usr/bin/time -v target/release/examples/big_expr "$file" --rows "$rows" 2>&1 \
    | grep -E "rows in|= Some|Maximum resident|Elapsed \(wall"
