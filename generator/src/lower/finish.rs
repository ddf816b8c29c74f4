//! The last lowering pass: Rust names for types, boxing of recursive fields, newtypes for alias
//! cycles, and a stable order.

// Every table in this module (`rust_names`, `remap`, `slots`, `state`, `edges`, `tags`...) is
// built with one entry per type, and every index into it is a `TypeId` or a position below the
// number of types, so indexing cannot fail.
#![allow(clippy::indexing_slicing)]

use super::Lowerer;
use crate::diag::Diagnostic;
use crate::ir::{self, Name, TypeDef, TypeId, TypeKind, TypeRef};
use crate::naming;

impl Lowerer<'_> {
    pub(super) fn finish(mut self) -> Result<(ir::Api, Vec<Diagnostic>), Vec<Diagnostic>> {
        let defs = std::mem::take(&mut self.defs).into_vec();
        // Names: component schemas first (they keep their own names), then made-up ones.
        let mut rust_names: Vec<String> = defs
            .iter()
            .map(|d| match self.config.type_names.get(&d.wire) {
                Some(name) => name.clone(),
                None => naming::type_name(&d.wire, "Type"),
            })
            .collect();
        let mut order: Vec<usize> = (0..defs.len()).collect();
        order.sort_by(|&a, &b| {
            let key = |i: usize| (defs[i].synthesized, &defs[i].wire, &defs[i].origin);
            key(a).cmp(&key(b))
        });
        {
            let mut slots: Vec<Option<&mut String>> = rust_names.iter_mut().map(Some).collect();
            // `order` is a permutation: each slot is taken exactly once.
            let ordered = order.iter().filter_map(|&i| slots[i].take());
            naming::dedupe(ordered, false);
        }
        // Sort by Rust name and renumber.
        let mut by_name: Vec<usize> = (0..defs.len()).collect();
        by_name.sort_by(|&a, &b| rust_names[a].cmp(&rust_names[b]));
        let mut remap = vec![TypeId(0); defs.len()];
        for (new, &old) in by_name.iter().enumerate() {
            remap[old] = TypeId(new);
        }
        let mut slots: Vec<Option<super::Def>> = defs.into_iter().map(Some).collect();
        let mut types: Vec<TypeDef> = by_name
            .iter()
            // `by_name` is a permutation: each slot is taken exactly once.
            .filter_map(|&old| {
                let def = slots[old].take()?;
                let mut kind = def.kind.unwrap_or(TypeKind::Alias(TypeRef::Any));
                remap_kind(&mut kind, &remap);
                Some(TypeDef {
                    name: Name { wire: def.wire, rust: std::mem::take(&mut rust_names[old]) },
                    docs: def.docs,
                    kind,
                    origin: def.origin,
                })
            })
            .collect();
        break_alias_cycles(&mut types);
        mark_boxed(&mut types);

        let mut api = std::mem::take(&mut self.api);
        for op in &mut api.operations {
            for p in &mut op.params {
                remap_ref(&mut p.ty, &remap);
            }
            for body in op.request.iter_mut().chain(op.responses.iter_mut().filter_map(|r| r.body.as_mut())) {
                body.types_mut().into_iter().for_each(|ty| remap_ref(ty, &remap));
            }
        }
        for hook in &mut api.webhooks {
            if let Some(body) = &mut hook.payload {
                remap_ref(&mut body.ty, &remap);
            }
        }
        for channel in &mut api.channels {
            for m in &mut channel.messages {
                remap_ref(&mut m.payload, &remap);
                if let Some(reply) = &mut m.reply {
                    remap_ref(&mut reply.ty, &remap);
                }
            }
            for p in &mut channel.params {
                remap_ref(&mut p.ty, &remap);
            }
            for ty in [&mut channel.query, &mut channel.headers, &mut channel.received].into_iter().flatten() {
                remap_ref(ty, &remap);
            }
        }
        drop_redundant_tags(&mut types, &api);
        api.operations.sort_by(|a, b| (&a.name.rust, &a.path, a.method).cmp(&(&b.name.rust, &b.path, b.method)));
        naming::dedupe(api.operations.iter_mut().map(|o| &mut o.name.rust), true);
        api.webhooks.sort_by(|a, b| (&a.name.rust, a.method).cmp(&(&b.name.rust, b.method)));
        naming::dedupe(api.webhooks.iter_mut().map(|o| &mut o.name.rust), true);
        api.channels.sort_by(|a, b| a.name.rust.cmp(&b.name.rust));
        naming::dedupe(api.channels.iter_mut().map(|o| &mut o.name.rust), true);
        api.types = types;
        self.warn_unreachable_variants(&api);
        self.check_path_unions(&api);
        if !self.diags.is_empty() {
            return Err(self.diags);
        }
        Ok((api, self.warnings))
    }
}

impl Lowerer<'_> {
    /// The config's property unions: each must name a property the spec has, and its tag path
    /// must lead from the object holding the property to a string or string enum.
    fn check_path_unions(&mut self, api: &ir::Api) {
        let config = self.config;
        for key in config.unions.iter().filter(|(_, u)| u.by_path()).map(|(key, _)| key) {
            if self.path_unions.contains(key) {
                continue;
            }
            let (schema, property) = key.rsplit_once('.').unwrap_or((key.as_str(), ""));
            let problem = match api.types.iter().find(|t| t.name.wire == schema) {
                Some(_) => format!("schema `{schema}` has no property `{property}`"),
                None => format!("there is no schema `{schema}`"),
            };
            let at = format!("/unions/{}", crate::node::escape_pointer_segment(key));
            self.diags.push(
                Diagnostic::new(config.origin(&at), format!("`unions: {key}` names no property: {problem}"))
                    .expected("`Schema.Property` naming a property of a schema in the spec"),
            );
        }
        for def in &api.types {
            let TypeKind::Struct(owner) = &def.kind else { continue };
            for field in &owner.fields {
                let TypeRef::Named(id) = &field.ty else { continue };
                let TypeKind::Union(ir::Union { tagging: ir::Tagging::Sibling { path }, .. }) = &api.ty(*id).kind
                else {
                    continue;
                };
                if let Err(problem) = api.tag_steps(owner, path) {
                    let key = format!("{}.{}", def.name.wire, field.name.wire);
                    let at = format!("/unions/{}/tag", crate::node::escape_pointer_segment(&key));
                    self.diags.push(
                        Diagnostic::new(
                            config.origin(&at),
                            format!(
                                "the tag `{}` of `unions: {key}` does not lead to a tag value: {problem}",
                                path.join(".")
                            ),
                        )
                        .expected(format!(
                            "a dotted path of property names from `{}` to a string or string enum property",
                            def.name.wire
                        )),
                    );
                }
            }
        }
    }
}

impl Lowerer<'_> {
    /// A union variant whose tag values all belong to earlier variants is never decoded.
    fn warn_unreachable_variants(&mut self, api: &ir::Api) {
        for def in &api.types {
            let TypeKind::Union(u) = &def.kind else { continue };
            if matches!(u.tagging, ir::Tagging::External | ir::Tagging::Untagged) {
                continue;
            }
            for (v, tags) in u.variants.iter().zip(api.variant_tags(u)) {
                if tags.is_empty() {
                    self.warnings.push(
                        Diagnostic::warning(
                            def.origin.clone(),
                            format!(
                                "variant `{}` of union `{}` is never decoded: an earlier variant has its tag value `{}`",
                                v.name.rust, def.name.rust, v.name.wire
                            ),
                        )
                        .expected("members with distinct tag values"),
                    );
                }
            }
        }
    }
}

/// An edge of the type graph whose target is a type index.
trait Edge {
    fn target(&self) -> usize;
}

impl Edge for TypeId {
    fn target(&self) -> usize {
        self.0
    }
}

impl Edge for (usize, TypeId) {
    fn target(&self) -> usize {
        self.1.0
    }
}

/// Depth-first search from every node in index order (so the result is stable), iterative so
/// deep graphs cannot overflow the stack. Calls `back(node, edge, stack)` for each edge that
/// closes a cycle (its target is still being visited); `stack` holds the frames from the root,
/// each a node and the number of its edges taken so far.
fn back_edges<E: Edge>(edges: &[Vec<E>], mut back: impl FnMut(usize, &E, &[(usize, usize)])) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; edges.len()];
    for root in 0..edges.len() {
        if state[root] != State::New {
            continue;
        }
        // (node, index of the next edge to follow)
        let mut stack = vec![(root, 0usize)];
        state[root] = State::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            match edges[node].get(*next) {
                Some(edge) => {
                    *next += 1;
                    let target = edge.target();
                    match state[target] {
                        State::Open => back(node, edge, &stack),
                        State::New => {
                            state[target] = State::Open;
                            stack.push((target, 0));
                        }
                        State::Done => {}
                    }
                }
                None => {
                    state[node] = State::Done;
                    stack.pop();
                }
            }
        }
    }
}

/// A type alias cannot refer to itself, even through `Vec` or a map (`A = Vec<A>` is an
/// infinite type to rustc). One alias of each such cycle (found by a depth-first search in name
/// order, so the choice is stable) becomes a newtype, which serializes exactly like the alias.
fn break_alias_cycles(types: &mut [TypeDef]) {
    let edges: Vec<Vec<TypeId>> = types
        .iter()
        .map(|t| match &t.kind {
            TypeKind::Alias(ty) => {
                let mut out = Vec::new();
                named_in(ty, &mut out);
                out.retain(|id| matches!(types[id.0].kind, TypeKind::Alias(_)));
                out
            }
            _ => Vec::new(),
        })
        .collect();
    let mut newtypes = Vec::new();
    back_edges(&edges, |node, _, _| newtypes.push(node));
    for node in newtypes {
        if let TypeKind::Alias(ty) = &types[node].kind {
            types[node].kind = TypeKind::Newtype(ty.clone());
        }
    }
}

fn remap_ref(ty: &mut TypeRef, remap: &[TypeId]) {
    match ty {
        TypeRef::Named(id) => *id = remap[id.0],
        TypeRef::List(inner) | TypeRef::Map(inner) => remap_ref(inner, remap),
        TypeRef::Primitive(_) | TypeRef::Any => {}
    }
}

fn remap_kind(kind: &mut TypeKind, remap: &[TypeId]) {
    match kind {
        TypeKind::Struct(s) => s.fields.iter_mut().for_each(|f| remap_ref(&mut f.ty, remap)),
        TypeKind::Union(u) => u.variants.iter_mut().filter_map(|v| v.ty.as_mut()).for_each(|t| remap_ref(t, remap)),
        TypeKind::Alias(t) | TypeKind::Newtype(t) => remap_ref(t, remap),
        TypeKind::Enum(_) => {}
    }
}

/// The by-value edges of a type: (slot, target) where a slot is a field or variant index and the
/// target is held inline (not behind a `Vec` or map).
fn by_value(kind: &TypeKind) -> Vec<(usize, TypeId)> {
    let direct = |t: &TypeRef| match t {
        TypeRef::Named(id) => Some(*id),
        _ => None,
    };
    match kind {
        TypeKind::Struct(s) => s.fields.iter().enumerate().filter_map(|(i, f)| Some((i, direct(&f.ty)?))).collect(),
        TypeKind::Union(u) => {
            u.variants.iter().enumerate().filter_map(|(i, v)| Some((i, v.ty.as_ref().and_then(direct)?))).collect()
        }
        TypeKind::Alias(t) | TypeKind::Newtype(t) => direct(t).into_iter().map(|id| (0, id)).collect(),
        TypeKind::Enum(_) => Vec::new(),
    }
}

/// Breaks every cycle of by-value references with as few boxes as a depth-first search finds:
/// an edge back to a type still being visited is boxed. An alias cannot hold a box, so when the
/// back edge leaves an alias, the nearest struct or union field on the cycle is boxed instead.
/// Types are visited in name order, so the choice is deterministic.
fn mark_boxed(types: &mut [TypeDef]) {
    let edges: Vec<Vec<(usize, TypeId)>> = types.iter().map(|t| by_value(&t.kind)).collect();
    let boxable: Vec<bool> = types.iter().map(|t| matches!(t.kind, TypeKind::Struct(_) | TypeKind::Union(_))).collect();
    let mut boxed: Vec<(usize, usize)> = Vec::new();
    back_edges(&edges, |node, &(slot, target), stack| {
        if boxable[node] {
            boxed.push((node, slot));
        } else {
            // Frames from the target up are the cycle; each took edge `next - 1`.
            let start = stack.iter().position(|&(n, _)| n == target.0).unwrap_or(0);
            if let Some(&(owner, taken)) = stack[start..].iter().rev().find(|&&(n, _)| boxable[n]) {
                boxed.push((owner, edges[owner][taken - 1].0));
            }
        }
    });
    for (node, slot) in boxed {
        match &mut types[node].kind {
            TypeKind::Struct(s) => s.fields[slot].boxed = true,
            TypeKind::Union(u) => u.variants[slot].boxed = true,
            // An alias cannot hold a box; alias-only cycles are reported during lowering.
            TypeKind::Alias(_) | TypeKind::Newtype(_) | TypeKind::Enum(_) => {}
        }
    }
}

/// Every type named anywhere inside `ty`.
fn named_in(ty: &TypeRef, out: &mut Vec<TypeId>) {
    match ty {
        TypeRef::Named(id) => out.push(*id),
        TypeRef::List(inner) | TypeRef::Map(inner) => named_in(inner, out),
        TypeRef::Primitive(_) | TypeRef::Any => {}
    }
}

/// A struct used only as the payload of internally tagged unions does not need its own copy
/// of the tag: the union writes it. Removing it saves users from filling in a constant.
fn drop_redundant_tags(types: &mut [TypeDef], api: &ir::Api) {
    let mut elsewhere = vec![false; types.len()];
    let mut tags: Vec<Vec<String>> = vec![Vec::new(); types.len()];
    let mut refs = Vec::new();
    for def in types.iter() {
        match &def.kind {
            TypeKind::Struct(s) => s.fields.iter().for_each(|f| named_in(&f.ty, &mut refs)),
            TypeKind::Alias(t) | TypeKind::Newtype(t) => named_in(t, &mut refs),
            TypeKind::Enum(_) => {}
            TypeKind::Union(u) => {
                for v in &u.variants {
                    match (&u.tagging, &v.ty) {
                        (ir::Tagging::Internal { tag }, Some(TypeRef::Named(id))) if !v.nullable => {
                            tags[id.0].push(tag.clone())
                        }
                        (_, Some(t)) => named_in(t, &mut refs),
                        (_, None) => {}
                    }
                }
            }
        }
    }
    for op in &api.operations {
        op.params.iter().for_each(|p| named_in(&p.ty, &mut refs));
        for body in op.request.iter().chain(op.responses.iter().filter_map(|r| r.body.as_ref())) {
            body.types().into_iter().for_each(|ty| named_in(ty, &mut refs));
        }
    }
    api.webhooks.iter().filter_map(|h| h.payload.as_ref()).for_each(|b| named_in(&b.ty, &mut refs));
    // A received message of a channel that receives several is only read through the channel's
    // union of them.
    for channel in &api.channels {
        let receives = channel.messages.iter().filter(|m| m.direction == ir::Direction::Receive).count();
        channel
            .messages
            .iter()
            .filter(|m| m.direction == ir::Direction::Send || receives < 2)
            .for_each(|m| named_in(&m.payload, &mut refs));
        channel.params.iter().for_each(|p| named_in(&p.ty, &mut refs));
        [&channel.query, &channel.headers].into_iter().flatten().for_each(|ty| named_in(ty, &mut refs));
    }
    for id in refs {
        elsewhere[id.0] = true;
    }
    for (i, def) in types.iter_mut().enumerate() {
        let TypeKind::Struct(s) = &mut def.kind else { continue };
        let Some(tag) = tags[i].first() else { continue };
        if elsewhere[i] || tags[i].iter().any(|t| t != tag) || s.fields.len() < 2 {
            continue;
        }
        s.fields.retain(|f| &f.name.wire != tag);
    }
}
