//! The plan of a client example program: what it calls, how its options fill the request body,
//! and what it prints. Planned against the analyzed IR, apart from any code: the config's checks
//! report a plan that cannot be made where the example is written, and the client emitter only
//! spells a plan that was made.

use crate::config::Example;
use crate::ir::{Api, Field, Operation, Presence, TypeRef};

/// What an example program does.
#[derive(Clone, Debug)]
pub struct ExamplePlan<'a> {
    /// The operation it calls.
    pub operation: &'a Operation,
    /// How its request body is built.
    pub body: BodyPlan<'a>,
    /// Whether it streams the listing's items or prints the one response.
    pub call: CallPlan<'a>,
    /// The printed property of each item or of the response.
    pub print: &'a Field,
    /// True when the program names a deprecated field (every field of the request is written).
    pub deprecated: bool,
}

/// How an example's call is made.
#[derive(Clone, Debug)]
pub enum CallPlan<'a> {
    /// One call; its JSON response is printed.
    Single {
        /// The response type.
        response: &'a TypeRef,
    },
    /// The listing's stream ([`crate::ir::Paging`]); each item is printed.
    Stream {
        /// The item type.
        item: &'a TypeRef,
        /// True when items decode one by one (one that does not is skipped).
        isolated: bool,
    },
}

/// A struct value of the request body: each field and where its value comes from.
#[derive(Clone, Debug)]
pub struct BodyPlan<'a> {
    /// The struct's type.
    pub ty: &'a TypeRef,
    /// Its fields, in declaration order.
    pub fields: Vec<(&'a Field, Source<'a>)>,
}

/// Where a request field's value comes from.
#[derive(Clone, Debug)]
pub enum Source<'a> {
    /// Parsed from this option (`path`: the field's dotted wire path, for the message when a
    /// required one is not given).
    Option {
        /// The option's flag.
        flag: &'a str,
        /// The dotted wire path of the field.
        path: String,
    },
    /// A struct built from the options below it; present when any of `flags` is set (or always,
    /// for a plain field).
    Nested {
        /// The struct's plan.
        plan: BodyPlan<'a>,
        /// The options that set something inside it.
        flags: Vec<&'a str>,
    },
    /// Left empty (`None`, absent).
    Empty,
}

/// The plan of `example`, or why it cannot be made.
pub fn example_plan<'a>(api: &'a Api, example: &'a Example) -> Result<ExamplePlan<'a>, String> {
    let operation = api
        .operations
        .iter()
        .find(|o| o.name.wire == example.operation)
        .ok_or_else(|| format!("no operation `{}`", example.operation))?;
    let Some(request) = operation.request.as_ref().and_then(|b| b.json()) else {
        return Err("the operation takes no JSON body".into());
    };
    if !operation.params.is_empty() {
        return Err("the operation has parameters outside its body".into());
    }
    let targets: Vec<Target<'a>> =
        example.args.iter().map(|a| Target { path: a.field.split('.').collect(), flag: &a.flag }).collect();
    // Credential body fields are no fields of the request type: the client writes them.
    let body = body_plan(api, request, &targets, &[])?;
    let (call, printed) = match &operation.paging {
        Some(paging) => (CallPlan::Stream { item: &paging.item, isolated: paging.isolated }, &paging.item),
        None => {
            let response = single_response(operation)?;
            (CallPlan::Single { response }, response)
        }
    };
    let s = api.struct_of(printed).ok_or("the printed value is not an object")?;
    let print = s
        .fields
        .iter()
        .find(|f| f.name.wire == example.print)
        .ok_or_else(|| format!("no property `{}` to print", example.print))?;
    let deprecated = print.docs.deprecated.is_some() || body.deprecated();
    Ok(ExamplePlan { operation, body, call, print, deprecated })
}

/// The one JSON type every success of `operation` answers with (the client method then returns
/// it as is); a 204 or 205 carries nothing, whatever the spec says.
fn single_response(operation: &Operation) -> Result<&TypeRef, String> {
    let mut successes = operation.responses.iter().filter(|r| r.status.is_success()).map(|r| match r.status {
        crate::ir::Status::Code(204 | 205) => None,
        _ => r.body.as_ref().and_then(|b| b.json()),
    });
    let Some(Some(first)) = successes.next() else {
        return Err("the operation returns no JSON body".into());
    };
    if successes.any(|other| other != Some(first)) {
        return Err(
            "the operation answers with more than one kind of success; an example prints one JSON response".into()
        );
    }
    Ok(first)
}

impl BodyPlan<'_> {
    /// True when the value names a deprecated field, at any depth.
    fn deprecated(&self) -> bool {
        self.fields.iter().any(|(f, source)| {
            f.docs.deprecated.is_some() || matches!(source, Source::Nested { plan, .. } if plan.deprecated())
        })
    }
}

/// An example option that sets a request property.
struct Target<'a> {
    path: Vec<&'a str>,
    flag: &'a str,
}

/// The plan of a value of `ty` at wire path `at`: fields the options target come from them,
/// optional fields stay empty; a required field nothing sets makes no plan.
fn body_plan<'a>(api: &'a Api, ty: &'a TypeRef, targets: &[Target<'a>], at: &[&str]) -> Result<BodyPlan<'a>, String> {
    let s = api.struct_of(ty).ok_or_else(|| format!("`{}` is not an object", at.join(".")))?;
    let mut fields = Vec::with_capacity(s.fields.len());
    for f in &s.fields {
        let mut here: Vec<&str> = at.to_vec();
        here.push(&f.name.wire);
        let below: Vec<&str> =
            targets.iter().filter(|t| t.path.len() > here.len() && t.path.starts_with(&here)).map(|t| t.flag).collect();
        let source = if let Some(target) = targets.iter().find(|t| t.path == here) {
            Source::Option { flag: target.flag, path: here.join(".") }
        } else if !below.is_empty() {
            Source::Nested { plan: body_plan(api, &f.ty, targets, &here)?, flags: below }
        } else if f.presence == Presence::Plain {
            return Err(format!("required property `{}` is set by no option", here.join(".")));
        } else {
            Source::Empty
        };
        fields.push((f, source));
    }
    Ok(BodyPlan { ty, fields })
}
