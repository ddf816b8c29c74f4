//! How a parameter value is written as text, shared by the client (which writes it) and the
//! API server (which reads it back).

/// How a parameter value is written (RFC 6570 as used by OpenAPI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Query and cookie default: `a=1&a=2` exploded, `a=1,2` otherwise.
    Form,
    /// Path and header default: `1,2`; objects `k,v` or, exploded, `k=v`.
    Simple,
    /// `a=1%202` (arrays joined by spaces).
    SpaceDelimited,
    /// `a=1|2`.
    PipeDelimited,
    /// `a[k]=v` for objects.
    DeepObject,
    /// Path `.1.2` (`.1,2` unexploded).
    Label,
    /// Path `;a=1;a=2` (`;a=1,2` unexploded).
    Matrix,
}
