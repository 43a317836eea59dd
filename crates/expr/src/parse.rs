//! Text → [`ast::Expr`], with the pest grammar in `grammar/expr.pest` and one Pratt table for
//! precedence. Pest's types never leave this module.
//!
//! Before pest sees the text, a cheap scan enforces the limits (length, nesting) and rejects
//! Python constructs numexpr does not have (`and`, `lambda`, subscripts, ...) with a message
//! that names them: pest recurses on nesting, so a deep `((((...))))` must never reach it.

use std::sync::OnceLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;

use crate::ast::{Expr, ExprKind, UnaryOp};
use crate::error::{Error, ErrorKind, Span};
use crate::typed::BinOp;

/// The longest expression text accepted, in bytes.
pub const MAX_LEN: usize = 1 << 20;
/// The deepest nesting of parentheses, calls and unary operators accepted.
pub const MAX_NESTING: usize = 256;
/// The deepest syntax tree accepted (long operator chains build deep trees).
pub const MAX_DEPTH: usize = 1000;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/expr.pest"]
struct ExprParser;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::xor, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::infix(Rule::shl, Assoc::Left) | Op::infix(Rule::shr, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::floordiv, Assoc::Left)
                | Op::infix(Rule::rem, Assoc::Left))
            .op(Op::prefix(Rule::neg) | Op::prefix(Rule::pos) | Op::prefix(Rule::invert))
            .op(Op::infix(Rule::pow, Assoc::Right))
    })
}

/// Parses an expression.
///
/// ```
/// let ast = outcore_expr::parse::parse("-a**2 + b").unwrap();
/// assert_eq!(ast.to_string(), "((-(a ** 2)) + b)");
/// ```
pub fn parse(src: &str) -> Result<Expr, Error> {
    prescan(src)?;
    let mut pairs = ExprParser::parse(Rule::top, src).map_err(|e| syntax_error(src, e))?;
    let top = pairs.next().ok_or_else(|| err(src, ErrorKind::Syntax("empty expression".into()), 0, 0))?;
    let expr = top.into_inner().next().ok_or_else(|| err(src, ErrorKind::Syntax("empty expression".into()), 0, 0))?;
    let (e, _) = build_expr(src, expr)?;
    Ok(e)
}

fn err(src: &str, kind: ErrorKind, start: usize, end: usize) -> Error {
    Error::new(kind, src, Span::new(start, end))
}

fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// A node and the depth of its tree.
type Built = (Expr, usize);

fn build_expr(src: &str, pair: Pair<'_, Rule>) -> Result<Built, Error> {
    pratt()
        .map_primary(|p| build_postfix(src, p))
        .map_prefix(|op, rhs| {
            let (rhs, depth) = rhs?;
            let uop = match op.as_rule() {
                Rule::neg => UnaryOp::Neg,
                Rule::pos => UnaryOp::Pos,
                _ => UnaryOp::Invert,
            };
            let span = Span::new(op.as_span().start(), rhs.span.end);
            node(src, ExprKind::Unary(uop, Box::new(rhs)), span, depth)
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, ld) = lhs?;
            let (rhs, rd) = rhs?;
            let bop = binop(op.as_rule());
            if bop.is_comparison() {
                for side in [&lhs, &rhs] {
                    if let ExprKind::Binary(inner, ..) = side.kind {
                        // A comparison operand that is itself an unparenthesised comparison.
                        let text = &src[side.span.start..side.span.end];
                        if inner.is_comparison() && !text.starts_with('(') {
                            let s = span_of(&op);
                            return Err(err(
                                src,
                                ErrorKind::Unsupported(
                                    "chained comparisons are not supported: write `(a < b) & (b < c)`".into(),
                                ),
                                s.start,
                                s.end,
                            ));
                        }
                    }
                }
            }
            let span = Span::new(lhs.span.start, rhs.span.end);
            node(src, ExprKind::Binary(bop, Box::new(lhs), Box::new(rhs)), span, ld.max(rd))
        })
        .parse(pair.into_inner())
}

fn node(src: &str, kind: ExprKind, span: Span, child_depth: usize) -> Result<Built, Error> {
    let depth = child_depth + 1;
    if depth > MAX_DEPTH {
        return Err(err(
            src,
            ErrorKind::Limit(format!("expression nests deeper than {MAX_DEPTH} operations")),
            span.start,
            span.end,
        ));
    }
    Ok((Expr { kind, span }, depth))
}

fn binop(rule: Rule) -> BinOp {
    match rule {
        Rule::eq => BinOp::Eq,
        Rule::ne => BinOp::Ne,
        Rule::lt => BinOp::Lt,
        Rule::le => BinOp::Le,
        Rule::gt => BinOp::Gt,
        Rule::ge => BinOp::Ge,
        Rule::or => BinOp::Or,
        Rule::xor => BinOp::Xor,
        Rule::and => BinOp::And,
        Rule::shl => BinOp::Shl,
        Rule::shr => BinOp::Shr,
        Rule::add => BinOp::Add,
        Rule::sub => BinOp::Sub,
        Rule::mul => BinOp::Mul,
        Rule::div => BinOp::Div,
        Rule::floordiv => BinOp::FloorDiv,
        Rule::rem => BinOp::Mod,
        _ => BinOp::Pow,
    }
}

/// `primary attr*`: `.real` and `.imag` become calls; other attributes are errors.
fn build_postfix(src: &str, pair: Pair<'_, Rule>) -> Result<Built, Error> {
    let mut inner = pair.into_inner();
    let primary = inner.next().ok_or_else(|| err(src, ErrorKind::Syntax("expected an operand".into()), 0, 0))?;
    let (mut e, mut depth) = build_primary(src, primary)?;
    for attr in inner {
        let s = span_of(&attr);
        let name = attr.as_str().trim_start_matches('.');
        let func = match name {
            "real" | "imag" => name.to_string(),
            _ => {
                return Err(err(
                    src,
                    ErrorKind::Unsupported(format!(
                        "attribute `.{name}` is not supported (only `.real` and `.imag` are)"
                    )),
                    s.start,
                    s.end,
                ))
            }
        };
        let span = Span::new(e.span.start, s.end);
        let kind = ExprKind::Call { func, func_span: Span::new(s.start + 1, s.end), args: vec![e], axis: None };
        (e, depth) = node(src, kind, span, depth)?;
    }
    Ok((e, depth))
}

fn build_primary(src: &str, pair: Pair<'_, Rule>) -> Result<Built, Error> {
    let span = span_of(&pair);
    let leaf = |kind| Ok((Expr { kind, span }, 1));
    match pair.as_rule() {
        Rule::paren => {
            let inner = pair
                .into_inner()
                .next()
                .ok_or_else(|| err(src, ErrorKind::Syntax("expected an operand".into()), span.start, span.end))?;
            let (mut e, d) = build_expr(src, inner)?;
            // The span of a parenthesised expression includes its parentheses.
            e.span = span;
            Ok((e, d))
        }
        Rule::call => build_call(src, pair),
        Rule::int => leaf(ExprKind::Int(parse_int(src, pair.as_str(), span)?)),
        Rule::float => leaf(ExprKind::Float(parse_float(src, pair.as_str(), span)?)),
        Rule::imag => {
            let text = pair.as_str();
            leaf(ExprKind::Imag(parse_float(src, &text[..text.len() - 1], span)?))
        }
        Rule::bytes | Rule::string => {
            let is_bytes = pair.as_rule() == Rule::bytes;
            let body = pair.into_inner().next().map_or("", |p| p.as_str());
            leaf(ExprKind::Bytes(unescape(src, body, span, is_bytes)?))
        }
        Rule::name => match pair.as_str() {
            "True" => leaf(ExprKind::Bool(true)),
            "False" => leaf(ExprKind::Bool(false)),
            name => leaf(ExprKind::Name(name.to_string())),
        },
        _ => Err(err(src, ErrorKind::Syntax("expected an operand".into()), span.start, span.end)),
    }
}

fn build_call(src: &str, pair: Pair<'_, Rule>) -> Result<Built, Error> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let name = inner
        .next()
        .ok_or_else(|| err(src, ErrorKind::Syntax("expected a function name".into()), span.start, span.end))?;
    let func_span = span_of(&name);
    let mut args = Vec::new();
    let mut axis = None;
    let mut depth = 0;
    for arg in inner {
        let a = arg
            .into_inner()
            .next()
            .ok_or_else(|| err(src, ErrorKind::Syntax("expected an argument".into()), span.start, span.end))?;
        if a.as_rule() == Rule::kwarg {
            let kspan = span_of(&a);
            let mut kv = a.into_inner();
            let key = kv.next().map_or("", |k| k.as_str()).to_string();
            if key != "axis" {
                return Err(err(
                    src,
                    ErrorKind::Unsupported(format!("keyword argument `{key}` is not supported (only `axis=`)")),
                    kspan.start,
                    kspan.end,
                ));
            }
            if axis.is_some() {
                return Err(err(src, ErrorKind::Syntax("`axis` given twice".into()), kspan.start, kspan.end));
            }
            let value = kv
                .next()
                .ok_or_else(|| err(src, ErrorKind::Syntax("expected a value".into()), kspan.start, kspan.end))?;
            if value.as_str().trim() == "None" {
                continue;
            }
            let (v, d) = build_expr(src, value)?;
            depth = depth.max(d);
            axis = Some(Box::new(v));
        } else {
            if axis.is_some() {
                let s = span_of(&a);
                return Err(err(
                    src,
                    ErrorKind::Syntax("positional argument after a keyword argument".into()),
                    s.start,
                    s.end,
                ));
            }
            let (v, d) = build_expr(src, a)?;
            depth = depth.max(d);
            args.push(v);
        }
    }
    let func = name.as_str().to_string();
    node(src, ExprKind::Call { func, func_span, args, axis }, span, depth)
}

fn parse_int(src: &str, text: &str, span: Span) -> Result<i64, Error> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (d, 8)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d, 2)
    } else {
        if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
            return Err(err(
                src,
                ErrorKind::Syntax("leading zeros in an integer are not allowed (use 0o for octal)".into()),
                span.start,
                span.end,
            ));
        }
        (lower.as_str(), 10)
    };
    // Integer literals beyond int64 would silently wrap in numexpr; they are an error here.
    i64::from_str_radix(digits, radix).map_err(|_| {
        err(src, ErrorKind::Type(format!("integer literal `{text}` does not fit in int64")), span.start, span.end)
    })
}

fn parse_float(src: &str, text: &str, span: Span) -> Result<f64, Error> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    clean
        .parse::<f64>()
        .map_err(|_| err(src, ErrorKind::Syntax(format!("invalid number `{text}`")), span.start, span.end))
}

/// Python's escapes for byte strings; plain strings must be ASCII.
fn unescape(src: &str, body: &str, span: Span, _is_bytes: bool) -> Result<Vec<u8>, Error> {
    let bad = |m: String| err(src, ErrorKind::Syntax(m), span.start, span.end);
    let mut out = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            if !c.is_ascii() {
                return Err(bad(format!("non-ASCII character `{c}` in a string (strings are ASCII bytes)")));
            }
            out.push(c as u8);
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('r') => out.push(b'\r'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('\'') => out.push(b'\''),
            Some('"') => out.push(b'"'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let v = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| bad(format!("invalid escape `\\x{hex}` in a string")))?;
                out.push(v);
            }
            Some(other) => {
                // Python keeps unknown escapes as they are.
                if !other.is_ascii() {
                    return Err(bad(format!("non-ASCII character `{other}` in a string")));
                }
                out.push(b'\\');
                out.push(other as u8);
            }
            None => return Err(bad("a string ends with a lone backslash".into())),
        }
    }
    Ok(out)
}

/// Python words numexpr's language does not have, and what to say about them.
fn keyword_message(word: &str) -> Option<String> {
    Some(match word {
        "and" => "`and` is not supported: use `&` (with parentheses around comparisons)".into(),
        "or" => "`or` is not supported: use `|` (with parentheses around comparisons)".into(),
        "not" => "`not` is not supported: use `~`".into(),
        "is" | "in" => format!("`{word}` is not supported"),
        "lambda" => "lambdas are not supported".into(),
        "if" | "else" => "conditional expressions are not supported: use `where(cond, a, b)`".into(),
        "for" | "while" | "import" | "from" | "def" | "class" | "return" | "yield" | "await" | "async" | "with"
        | "del" | "global" | "nonlocal" | "assert" | "raise" | "try" | "except" | "finally" | "pass" | "break"
        | "continue" | "None" => {
            format!("`{word}` is not part of the expression language")
        }
        _ if word.starts_with("__") => {
            format!("names starting with `__` are not allowed (`{word}`)")
        }
        _ => return None,
    })
}

/// Whether `tok` (a run of digits, letters, `_`, `.` and exponent signs that starts like a
/// number) is one of Python's number literals: `1_000`, `0x1f`, `0o17`, `0b101`, `1.5e-3`,
/// `.5`, `5.`, `2j`.
fn valid_number(tok: &str) -> bool {
    /// One or more digits of `radix`, single underscores only between them.
    fn run(s: &[u8], radix: u32, allow_leading_underscore: bool) -> bool {
        let s = if allow_leading_underscore { s.strip_prefix(b"_").unwrap_or(s) } else { s };
        !s.is_empty()
            && s.split(|&c| c == b'_').all(|part| !part.is_empty() && part.iter().all(|&c| (c as char).is_digit(radix)))
    }
    let b = tok.as_bytes();
    if b.len() >= 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            return run(&b[2..], radix, true);
        }
    }
    let b = b.strip_suffix(b"j").or_else(|| b.strip_suffix(b"J")).unwrap_or(b);
    let (mantissa, exponent) = match b.iter().position(|&c| c == b'e' || c == b'E') {
        Some(p) => (&b[..p], Some(&b[p + 1..])),
        None => (b, None),
    };
    let mantissa_ok = match mantissa.iter().position(|&c| c == b'.') {
        Some(p) => {
            let (whole, frac) = (&mantissa[..p], &mantissa[p + 1..]);
            (!whole.is_empty() || !frac.is_empty())
                && (whole.is_empty() || run(whole, 10, false))
                && (frac.is_empty() || run(frac, 10, false))
        }
        None => run(mantissa, 10, false),
    };
    let exponent_ok =
        exponent.is_none_or(|e| run(e.strip_prefix(b"+").or_else(|| e.strip_prefix(b"-")).unwrap_or(e), 10, false));
    mantissa_ok && exponent_ok
}

/// Limits and unsupported constructs, found without recursion before pest runs.
fn prescan(src: &str) -> Result<(), Error> {
    if src.len() > MAX_LEN {
        return Err(err(
            src,
            ErrorKind::Limit(format!("expression is {} bytes long; the limit is {MAX_LEN}", src.len())),
            0,
            0,
        ));
    }
    let bytes = src.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut unary_run = 0usize;
    let mut pow_count = 0usize;
    // Whether the previous token ends an operand (so `-` after it is binary).
    let mut after_operand = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'\'' | b'"' => {
                // Skip a string literal (unterminated ones are left to the parser).
                i += 1;
                while i < bytes.len() && bytes[i] != c && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                after_operand = true;
                unary_run = 0;
                continue;
            }
            b'(' | b'[' | b'{' => {
                if c != b'(' {
                    let what = if c == b'[' {
                        "subscripts and lists are not supported"
                    } else {
                        "sets and dicts are not supported"
                    };
                    return Err(err(src, ErrorKind::Unsupported(what.into()), i, i + 1));
                }
                stack.push((c, i));
                if stack.len() + unary_run > MAX_NESTING {
                    return Err(err(
                        src,
                        ErrorKind::Limit(format!("expression nests deeper than {MAX_NESTING} levels")),
                        i,
                        i + 1,
                    ));
                }
                after_operand = false;
                unary_run = 0;
                i += 1;
                continue;
            }
            b')' => {
                stack.pop();
                after_operand = true;
                unary_run = 0;
                i += 1;
                continue;
            }
            b';' => {
                return Err(err(
                    src,
                    ErrorKind::Unsupported("`;` is not supported: one expression only".into()),
                    i,
                    i + 1,
                ))
            }
            b':' => {
                return Err(err(
                    src,
                    ErrorKind::Unsupported("`:` is not supported (no slices or lambdas)".into()),
                    i,
                    i + 1,
                ))
            }
            b'@' => {
                return Err(err(src, ErrorKind::Unsupported("`@` (matrix product) is not supported".into()), i, i + 1))
            }
            b'=' => {
                let prev = if i > 0 { bytes[i - 1] } else { 0 };
                let next = bytes.get(i + 1).copied().unwrap_or(0);
                if next == b'=' {
                    i += 2;
                    after_operand = false;
                    continue;
                }
                if !matches!(prev, b'<' | b'>' | b'!' | b'=') && !keyword_argument(bytes, i) {
                    return Err(err(
                        src,
                        ErrorKind::Unsupported("assignment is not supported: did you mean `==`?".into()),
                        i,
                        i + 1,
                    ));
                }
                i += 1;
                after_operand = false;
                continue;
            }
            b'*' if bytes.get(i + 1) == Some(&b'*') => {
                pow_count += 1;
                if pow_count > MAX_NESTING {
                    return Err(err(
                        src,
                        ErrorKind::Limit(format!("more than {MAX_NESTING} `**` operators")),
                        i,
                        i + 2,
                    ));
                }
                i += 2;
                after_operand = false;
                continue;
            }
            b'-' | b'+' | b'~' if !after_operand => {
                unary_run += 1;
                if stack.len() + unary_run > MAX_NESTING {
                    return Err(err(
                        src,
                        ErrorKind::Limit(format!("expression nests deeper than {MAX_NESTING} levels")),
                        i,
                        i + 1,
                    ));
                }
                i += 1;
                continue;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &src[start..i];
                // `b'..'` is a bytes literal, not a name.
                let is_prefix = (word == "b" || word == "B") && matches!(bytes.get(i), Some(b'\'' | b'"'));
                // `axis=None` is numexpr's spelling of no axis.
                let axis_none = word == "None" && src[..start].trim_end().ends_with('=') && {
                    let before = src[..start].trim_end();
                    before[..before.len() - 1].trim_end().ends_with("axis")
                };
                if !is_prefix && !axis_none {
                    if let Some(msg) = keyword_message(word) {
                        return Err(err(src, ErrorKind::Unsupported(msg), start, i));
                    }
                    after_operand = true;
                    unary_run = 0;
                }
                continue;
            }
            _ if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) => {
                while i < bytes.len() {
                    let d = bytes[i];
                    let exp_sign = (d == b'+' || d == b'-')
                        && matches!(bytes[i - 1], b'e' | b'E')
                        && !src[start..i].starts_with("0x");
                    if d.is_ascii_alphanumeric() || d == b'_' || d == b'.' || exp_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let tok = &src[start..i];
                if !valid_number(tok) {
                    return Err(err(src, ErrorKind::Syntax(format!("malformed number literal `{tok}`")), start, i));
                }
                after_operand = true;
                unary_run = 0;
                continue;
            }
            _ if !c.is_ascii() => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(src, ErrorKind::Syntax(format!("unexpected character `{ch}`")), i, i + ch.len_utf8()));
            }
            _ => {
                after_operand = false;
                i += 1;
                continue;
            }
        }
    }
    Ok(())
}

/// Whether the `=` at `i` follows `name` directly after `(` or `,`: a keyword argument.
fn keyword_argument(bytes: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && bytes[j - 1].is_ascii_whitespace() {
        j -= 1;
    }
    let end = j;
    while j > 0 && (bytes[j - 1].is_ascii_alphanumeric() || bytes[j - 1] == b'_') {
        j -= 1;
    }
    if j == end {
        return false;
    }
    while j > 0 && bytes[j - 1].is_ascii_whitespace() {
        j -= 1;
    }
    j > 0 && matches!(bytes[j - 1], b'(' | b',')
}

/// Turns pest's error into one that says what was wrong at the right place.
fn syntax_error(src: &str, e: pest::error::Error<Rule>) -> Error {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(src.len());
    let rest = &src[pos..];
    let found = rest.chars().next();
    let open = src[..pos].bytes().filter(|&b| b == b'(').count();
    let close = src[..pos].bytes().filter(|&b| b == b')').count();
    let expects_operand = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.iter().any(|r| {
            matches!(
                r,
                Rule::expr | Rule::postfix_expr | Rule::paren | Rule::call | Rule::name | Rule::int | Rule::float
            )
        }),
        _ => false,
    };
    let (msg, width) = match found {
        None if open > close => ("unclosed parenthesis: expected `)`".to_string(), 0),
        None if expects_operand => ("unexpected end of expression: expected an operand".to_string(), 0),
        None => ("unexpected end of expression".to_string(), 0),
        Some(')') if close >= open => ("unexpected `)` without a matching `(`".to_string(), 1),
        Some('\'') | Some('"') => ("unterminated string".to_string(), rest.len()),
        Some(c) if expects_operand => (format!("expected an operand, found `{c}`"), c.len_utf8()),
        Some(c) => {
            let token: String = if c.is_ascii_alphanumeric() || c == '_' {
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect()
            } else {
                c.to_string()
            };
            (format!("expected an operator, found `{token}`"), token.len())
        }
    };
    err(src, ErrorKind::Syntax(msg), pos, pos + width)
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn number_literals_are_python_s() {
        for ok in
            ["1", "1_000", "0x1f", "0X_1F", "0o17", "0b101", "1.5e-3", ".5", "5.", "2j", "1e5J", "1.5E+3", "0", "00"]
        {
            assert!(valid_number(ok), "{ok}");
        }
        for bad in ["1e", "0x", "1_", "1__0", "1j2", "0b2", "0o9", "1.2.3", "1e+", "1.e", "1_.5", "0x1g", "1a"] {
            assert!(!valid_number(bad), "{bad}");
            let e = parse(&format!("a + {bad}")).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Syntax(format!("malformed number literal `{bad}`")), "{bad}");
            assert_eq!((e.span.start, e.span.end), (4, 4 + bad.len()), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        match parse(s) {
            Ok(e) => e.to_string(),
            Err(e) => format!("ERR {}", e.kind),
        }
    }

    #[test]
    fn precedence_follows_python() {
        let cases = [
            ("-a**2", "(-(a ** 2))"),
            ("a**-b", "(a ** (-b))"),
            ("2**3**2", "(2 ** (3 ** 2))"),
            ("a+b*c", "(a + (b * c))"),
            ("a-b-c", "((a - b) - c)"),
            ("a/b//c%d", "(((a / b) // c) % d)"),
            ("~a & b | c ^ d", "(((~a) & b) | (c ^ d))"),
            ("a << 1 + 2", "(a << (1 + 2))"),
            ("a < b | c", "(a < (b | c))"),
            ("a & b == c", "((a & b) == c)"),
            ("-a*b", "((-a) * b)"),
            ("-2**-2", "(-(2 ** (-2)))"),
            ("+a", "(+a)"),
            ("a.real + b.imag", "(real(a) + imag(b))"),
            ("sum(a, axis=0)", "sum(a, axis=0)"),
            ("sum(a, 1)", "sum(a, 1)"),
            ("where(a > 0, a, -a)", "where((a > 0), a, (-a))"),
            (
                "(((col4 >= lim1) & (col4 < lim2)) | ((col2 > lim3) & (col2 < lim4)) & ((col1+3.1*col2+col3*col4) > lim5))",
                "(((col4 >= lim1) & (col4 < lim2)) | (((col2 > lim3) & (col2 < lim4)) & (((col1 + (3.1 * col2)) + (col3 * col4)) > lim5)))",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(p(src), want, "{src}");
        }
    }

    #[test]
    fn literals() {
        let cases = [
            ("0x1F", "31"),
            ("0o17", "15"),
            ("0b101", "5"),
            ("1_000", "1000"),
            (".5", "0.5"),
            ("5.", "5.0"),
            ("1e-3", "0.001"),
            ("1e400", "1e999"),
            ("2j", "2.0j"),
            ("1.5J", "1.5j"),
            ("True", "True"),
            ("False", "False"),
            ("b'ab\\x00'", "b'ab\\x00'"),
            ("'spam'", "b'spam'"),
            ("\"eggs\"", "b'eggs'"),
            ("9223372036854775807", "9223372036854775807"),
        ];
        for (src, want) in cases {
            assert_eq!(p(src), want, "{src}");
        }
    }

    #[test]
    fn rejects_with_a_message() {
        for src in [
            "a and b",
            "not a",
            "a or b",
            "a[0]",
            "lambda x: x",
            "a if b else c",
            "a = 1",
            "a; b",
            "__import__('os')",
            "a.shape",
            "a < b < c",
            "f(x=1)",
            "99999999999999999999",
            "(a",
            "a)",
            "a +",
            "",
            "a b",
            "'abc",
            "é",
        ] {
            assert!(p(src).starts_with("ERR"), "{src} -> {}", p(src));
        }
    }

    #[test]
    fn limits_stop_deep_nesting_without_overflow() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(parse(&deep).unwrap_err().kind, ErrorKind::Limit(_)));
        let unary = format!("{}a", "-".repeat(100_000));
        assert!(matches!(parse(&unary).unwrap_err().kind, ErrorKind::Limit(_)));
        let long = "a+".repeat(600_000) + "a";
        assert!(matches!(parse(&long).unwrap_err().kind, ErrorKind::Limit(_)));
        let chain = "a+".repeat(5_000) + "a";
        assert!(matches!(parse(&chain).unwrap_err().kind, ErrorKind::Limit(_)));
        let pow = "a**".repeat(1000) + "a";
        assert!(matches!(parse(&pow).unwrap_err().kind, ErrorKind::Limit(_)));
        let ok = "a+".repeat(500) + "a";
        assert!(parse(&ok).is_ok());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::parse;
    use crate::dtype::DType;
    use crate::typed::VarInfo;

    /// Random expression text built from the language's pieces.
    fn expr_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            "[abc]".prop_map(String::from),
            (0i64..1000).prop_map(|v| v.to_string()),
            (0.0f64..100.0).prop_map(|v| format!("{v:?}")),
            Just("True".to_string()),
            Just("2j".to_string()),
        ];
        leaf.prop_recursive(6, 48, 3, |inner| {
            let ops = prop_oneof![
                Just("+"),
                Just("-"),
                Just("*"),
                Just("/"),
                Just("//"),
                Just("%"),
                Just("**"),
                Just("&"),
                Just("|"),
                Just("^"),
                Just("<<"),
                Just(">>"),
                Just("<"),
                Just("<="),
                Just("=="),
                Just("!="),
                Just(">"),
                Just(">=")
            ];
            prop_oneof![
                (inner.clone(), ops, inner.clone()).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
                (prop_oneof![Just("-"), Just("~"), Just("+")], inner.clone()).prop_map(|(o, x)| format!("{o}{x}")),
                (prop_oneof![Just("sin"), Just("sqrt"), Just("abs"), Just("sum")], inner.clone())
                    .prop_map(|(f, x)| format!("{f}({x})")),
                (inner.clone(), inner.clone(), inner).prop_map(|(c, x, y)| format!("where({c}, {x}, {y})")),
            ]
        })
    }

    proptest! {
        #[test]
        fn printing_parses_back_to_the_same_tree(src in expr_text()) {
            if let Ok(ast) = parse(&src) {
                let printed = ast.to_string();
                let again = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
                prop_assert_eq!(ast.without_spans(), again.without_spans());
            }
        }

        #[test]
        fn no_input_panics(src in "\\PC{0,40}") {
            let vars = [VarInfo { name: "a".into(), dtype: DType::Float64, scalar: false }];
            if let Ok(ast) = parse(&src) {
                let _ = crate::types::check(&ast, &src, &vars);
            }
            let _ = crate::compile(&src, &vars);
        }

        #[test]
        fn no_token_soup_panics(tokens in proptest::collection::vec(prop_oneof![
            Just("a"), Just("("), Just(")"), Just("+"), Just("-"), Just("**"), Just("1"), Just("2.5"), Just("'x'"),
            Just(","), Just("sum"), Just("where"), Just("axis="), Just("<"), Just("~"), Just(".real"), Just("j"),
            Just("b'"), Just("\\"), Just("0x"), Just("e5"), Just(" ")
        ], 0..30)) {
            let src = tokens.concat();
            let vars = [VarInfo { name: "a".into(), dtype: DType::Float64, scalar: false }];
            let _ = crate::compile(&src, &vars);
        }
    }
}
