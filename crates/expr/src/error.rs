//! Errors from parsing, typing and compiling an expression: values with a byte span, whose
//! `Display` shows the expression with a caret under the fault.

use std::fmt;

/// A byte range `start..end` in the expression text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// What went wrong. Messages are lowercase and name the culprit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not parse; the string says what was expected.
    Syntax(String),
    /// A name that no variable binds.
    UnknownName { name: String, suggestion: Option<String> },
    /// An unknown function.
    UnknownFunction { name: String, suggestion: Option<String> },
    /// A function called with the wrong number of arguments.
    Arity { func: String, expected: String, got: usize },
    /// Operand types an operation does not accept.
    Type(String),
    /// A Python construct numexpr does not have (`and`, subscripts, lambdas, ...).
    Unsupported(String),
    /// The expression is too long or nested too deep, or needs too many registers.
    Limit(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax(m) | ErrorKind::Type(m) | ErrorKind::Unsupported(m) | ErrorKind::Limit(m) => {
                f.write_str(m)
            }
            ErrorKind::UnknownName { name, suggestion } => {
                write!(f, "unknown name `{name}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            ErrorKind::UnknownFunction { name, suggestion } => {
                write!(f, "unknown function `{name}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            ErrorKind::Arity { func, expected, got } => {
                let noun = if expected == "1" { "argument" } else { "arguments" };
                write!(f, "`{func}` takes {expected} {noun}, got {got}")
            }
        }
    }
}

/// An error in an expression, with the expression's text and the span of the fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub expr: String,
    pub span: Span,
}

impl Error {
    pub fn new(kind: ErrorKind, expr: &str, span: Span) -> Error {
        Error { kind, expr: expr.to_string(), span }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    /// ```text
    /// error: unknown function `sqr`
    ///   |
    ///   | sqr(a) + 1
    ///   | ^^^
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.kind)?;
        // Show the line holding the fault; columns count characters, not bytes.
        let start = self.span.start.min(self.expr.len());
        let line_start = self.expr[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.expr[start..].find('\n').map_or(self.expr.len(), |i| start + i);
        let line = &self.expr[line_start..line_end];
        let col = self.expr[line_start..start].chars().count();
        let end = self.span.end.clamp(start, line_end);
        let width = self.expr[start..end].chars().count().max(1);
        writeln!(f, "  |")?;
        writeln!(f, "  | {line}")?;
        write!(f, "  | {}{}", " ".repeat(col), "^".repeat(width))
    }
}
