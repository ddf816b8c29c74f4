//! Parameters as both the client's methods and the API server's trait methods take them: their
//! order, their Rust names and their serialization styles.

use proc_macro2::TokenStream;
use quote::quote;

use super::spell::ident;
use crate::ir::{Operation, Param, ParamLocation, ParamStyle, PathSegment};
use crate::naming;

/// The runtime's `Style` of a parameter.
pub(crate) fn style_tokens(style: ParamStyle) -> TokenStream {
    match style {
        ParamStyle::Form => quote!(rt::Style::Form),
        ParamStyle::Simple => quote!(rt::Style::Simple),
        ParamStyle::SpaceDelimited => quote!(rt::Style::SpaceDelimited),
        ParamStyle::PipeDelimited => quote!(rt::Style::PipeDelimited),
        ParamStyle::DeepObject => quote!(rt::Style::DeepObject),
        ParamStyle::Label => quote!(rt::Style::Label),
        ParamStyle::Matrix => quote!(rt::Style::Matrix),
    }
}

/// The Rust name of a parameter as a method argument (`body`, `request` and `response` are
/// taken), in the client's methods and the API server's alike.
pub(crate) fn param_ident(rust: &str) -> proc_macro2::Ident {
    match naming::unraw(rust) {
        "request" | "response" | "body" => ident(&format!("{}_param", naming::unraw(rust))),
        _ => ident(rust),
    }
}

/// An operation's method arguments before the body, in order: path parameters in template
/// order, then the others as declared (without `Accept`, `Content-Type` and `Authorization`
/// headers, which the transport writes). The server crate's methods take the same.
pub(crate) fn ordered_params(op: &Operation) -> Vec<&Param> {
    let mut ordered: Vec<&Param> = Vec::new();
    for seg in &op.segments {
        if let PathSegment::Param(p) = seg {
            if let Some(param) = op.params.iter().find(|x| x.location == ParamLocation::Path && &x.name.wire == p) {
                if !ordered.iter().any(|o| std::ptr::eq(*o, param)) {
                    ordered.push(param);
                }
            }
        }
    }
    let skipped_header = |p: &Param| {
        p.location == ParamLocation::Header
            && ["accept", "content-type", "authorization"].contains(&p.name.wire.to_ascii_lowercase().as_str())
    };
    for param in &op.params {
        if param.location != ParamLocation::Path && !skipped_header(param) {
            ordered.push(param);
        }
    }
    ordered
}
