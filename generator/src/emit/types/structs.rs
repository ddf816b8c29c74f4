//! Structs: fields with their presence and serde attributes, builders of sent types, and the
//! `visit_map` deserializer (written as text where its layout is certain).

use super::*;

/// How a value is built (every struct is `#[non_exhaustive]`, so other crates cannot write it
/// as a literal): `new` with the fields that must be given, or `Default` when there are none
/// ([`Struct::has_new`]), and a chainable `with_<field>` setter per other field taking
/// `impl Into<T>`; an optional nullable field also gets `clear_<field>` (an explicit `null`).
/// A deprecated field's setter is deprecated too, so only setting it warns.
pub(super) fn builder(name: &Ident, s: &Struct, bases: &[TokenStream]) -> TokenStream {
    if let ([field], [base]) = (s.fields.as_slice(), bases) {
        if s.update_wrapper {
            let field = ident(&field.name.rust);
            return quote! {
                impl #name {
                    /// Sets the value (leave the wrapper out to keep the current one).
                    pub fn set(value: impl Into<#base>) -> Self {
                        Self { #field: Some(value.into()) }
                    }
                    /// Clears the value (sent as `null`).
                    pub fn clear() -> Self {
                        Self { #field: None }
                    }
                }
            };
        }
    }
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = TokenStream::new();
    for (f, base) in s.fields.iter().zip(bases) {
        let field = ident(&f.name.rust);
        // Numbers and booleans are taken as they are, so a literal needs no suffix
        // (`impl Into<i64>` would read `5_000_000_000` as an `i32`); anything else converts.
        let own = matches!(
            f.ty,
            TypeRef::Primitive(Primitive::I32 | Primitive::I64 | Primitive::F32 | Primitive::F64 | Primitive::Bool)
        ) && !f.boxed;
        let (arg, value) =
            if own { (quote!(#base), quote!(value)) } else { (quote!(impl Into<#base>), quote!(value.into())) };
        let deprecated = f.docs.deprecated.as_ref().map(|reason| match reason.as_deref().map(docs::inline) {
            Some(note) if !note.is_empty() => quote!(#[deprecated(note = #note)]),
            _ => quote!(#[deprecated]),
        });
        let setter = ident(&naming::setter(&f.name.rust));
        let doc = format!(" Sets `{}`.", f.name.wire);
        match f.presence {
            Presence::Plain => {
                if own {
                    params.push(quote!(#field: #base));
                    inits.push(quote!(#field));
                } else {
                    params.push(quote!(#field: impl Into<#base>));
                    inits.push(quote!(#field: #field.into()));
                }
                continue;
            }
            Presence::DoubleOption => {
                inits.push(quote!(#field: model::Nullable::Absent));
                let clearer = ident(&naming::clearer(&f.name.rust));
                let clear_doc = format!(" Sets `{}` to an explicit `null`.", f.name.wire);
                setters.extend(quote! {
                    #[doc = #doc]
                    #deprecated
                    pub fn #setter(mut self, value: #arg) -> Self {
                        self.#field = model::Nullable::Value(#value);
                        self
                    }
                    #[doc = #clear_doc]
                    #deprecated
                    pub fn #clearer(mut self) -> Self {
                        self.#field = model::Nullable::Null;
                        self
                    }
                });
            }
            Presence::Option => {
                inits.push(quote!(#field: None));
                setters.extend(quote! {
                    #[doc = #doc]
                    #deprecated
                    pub fn #setter(mut self, value: #arg) -> Self {
                        self.#field = Some(#value);
                        self
                    }
                });
            }
        }
    }
    let constructor = s.has_new().then(|| {
        let too_many = (params.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        quote! {
            /// A value with the fields that must be given; set the others with the `with_` methods.
            #too_many
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
        }
    });
    if constructor.is_none() && setters.is_empty() {
        return TokenStream::new();
    }
    quote! {
        impl #name {
            #constructor
            #setters
        }
    }
}

/// A serde `rename_all` rule: its name and what it does to a snake_case field name.
pub(super) type RenameRule = (&'static str, fn(&str) -> String);

/// serde's `rename_all` rules, applied to a snake_case field name.
pub(super) const RENAME_RULES: [RenameRule; 4] = [
    ("PascalCase", |f| pascal(f)),
    ("camelCase", |f| {
        let p = pascal(f);
        let mut chars = p.chars();
        match chars.next() {
            Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
            None => p,
        }
    }),
    ("SCREAMING_SNAKE_CASE", |f| f.to_ascii_uppercase()),
    ("kebab-case", |f| f.replace('_', "-")),
];

pub(super) fn pascal(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut capitalize = true;
    for c in field.chars() {
        if c == '_' {
            capitalize = true;
        } else if capitalize {
            out.push(c.to_ascii_uppercase());
            capitalize = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The `rename_all` rule covering most fields (if it covers more than plain names do).
pub(super) fn rename_rule(fields: &[Field]) -> Option<RenameRule> {
    let plain = fields.iter().filter(|f| naming::unraw(&f.name.rust) == f.name.wire).count();
    let (best, count) = RENAME_RULES
        .iter()
        .map(|(name, rule)| {
            let n = fields.iter().filter(|f| rule(naming::unraw(&f.name.rust)) == f.name.wire).count();
            ((*name, *rule), n)
        })
        .max_by_key(|(_, n)| *n)?;
    (count > plain).then_some(best)
}

/// `Debug` of a struct with a secret field: the secret shows as redacted.
fn redacted_debug(def: &TypeDef, s: &Struct, name: &Ident) -> TokenStream {
    let wire_name = def.name.rust.as_str();
    let entries = s.fields.iter().map(|f| {
        let field_name = ident(&f.name.rust);
        let label = naming::unraw(&f.name.rust);
        if f.secret { quote!(.field(#label, &model::Redacted)) } else { quote!(.field(#label, &self.#field_name)) }
    });
    let allow = s.fields.iter().any(|f| f.docs.deprecated.is_some()).then(|| quote!(#[allow(deprecated)]));
    quote! {
        #allow
        impl std::fmt::Debug for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(#wire_name) #(#entries)* .finish()
            }
        }
    }
}

/// One field of a struct definition.
struct FieldParts {
    /// The type before `Option` wrapping, for the constructor and setters.
    base: TokenStream,
    /// The type as declared.
    ty: TokenStream,
    /// The declaration: docs, serde attribute, `pub name: type,`.
    tokens: TokenStream,
    /// The declaration as prettyplease prints it, when its type has a text form.
    text: Option<String>,
}

fn field(api: &Api, s: &Struct, f: &Field, rule: Option<RenameRule>, uses: &mut Uses) -> FieldParts {
    let field_doc_source = without_name_echo(&f.docs, &[&f.name.wire]);
    let field_docs = doc_attrs(&field_doc_source);
    let field_name = ident(&f.name.rust);
    let mut ty = match &f.ty {
        TypeRef::List(item) if f.isolated => {
            let item = type_tokens(api, item, uses);
            quote!(Vec<Decoded<#item>>)
        }
        other => type_tokens(api, other, uses),
    };
    if f.boxed {
        ty = quote!(Box<#ty>);
    }
    let base = ty.clone();
    let mut serde_args = Vec::new();
    let spelled = match rule {
        Some((_, apply)) => apply(naming::unraw(&f.name.rust)),
        None => naming::unraw(&f.name.rust).to_owned(),
    };
    if spelled != f.name.wire {
        let wire = &f.name.wire;
        serde_args.push(quote!(rename = #wire));
    }
    // Decimals are written as JSON numbers of their own digits (read by `model::exact::field`).
    if exact_field(api, f) {
        serde_args.push(quote!(serialize_with = "model::exact::serialize"));
    }
    // The wrapping rules live in `ir::Presence::of`; here, how each is written.
    // Absent fields decode as `None`/`Absent` (`deserialize_struct`).
    match f.presence {
        Presence::Option if s.update_wrapper => ty = quote!(Option<#ty>),
        Presence::DoubleOption => {
            ty = quote!(model::Nullable<#ty>);
            serde_args.push(quote!(skip_serializing_if = "model::Nullable::is_absent"));
        }
        Presence::Option if !f.required => {
            ty = quote!(Option<#ty>);
            serde_args.push(quote!(skip_serializing_if = "Option::is_none"));
        }
        Presence::Option => ty = quote!(Option<#ty>),
        Presence::Plain => {}
    }
    let text = crate::emit::type_text(&ty).map(|ty| {
        let mut text = crate::emit::doc_text(&field_doc_source, "    ");
        if !serde_args.is_empty() {
            let args: Vec<String> = serde_args.iter().map(arg_text).collect();
            text.push_str(&format!("    #[serde({})]\n", args.join(", ")));
        }
        text.push_str(&format!("    pub {}: {ty},\n", f.name.rust));
        text
    });
    let serde_attr = (!serde_args.is_empty()).then(|| quote!(#[serde(#(#serde_args),*)]));
    let tokens = quote! {
        #field_docs
        #serde_attr
        pub #field_name: #ty,
    };
    FieldParts { base, ty, tokens, text }
}

pub(super) fn structure(
    api: &Api,
    def: &TypeDef,
    s: &Struct,
    role: Role<'_>,
    docs: TokenStream,
    uses: &mut Uses,
) -> Code {
    let Role { docs: own_docs } = role;
    let name = ident(&def.name.rust);
    let rule = rename_rule(&s.fields);
    let rename_all = rule.map(|(rule_name, _)| quote!(#[serde(rename_all = #rule_name)]));
    let has_secret = s.fields.iter().any(|f| f.secret);
    let mut fields = TokenStream::new();
    // Each field's type before `Option` wrapping, for the constructor and setters.
    let mut bases = Vec::with_capacity(s.fields.len());
    // Each field's full type, as declared.
    let mut full = Vec::with_capacity(s.fields.len());
    // The fields as prettyplease prints them, while every type has a text form.
    let mut fields_text = Some(String::new());
    for f in &s.fields {
        let field = field(api, s, f, rule, uses);
        fields_text = fields_text.zip(field.text).map(|(mut all, text)| {
            all.push_str(&text);
            all
        });
        bases.push(field.base);
        full.push(field.ty);
        fields.extend(field.tokens);
    }
    // One rule for constructors: a struct with a field that must be given gets `new` with those
    // fields; one without gets `Default` instead (never a `new()` without arguments).
    let all_optional = !s.update_wrapper && !s.has_new();
    let derive_default = all_optional.then(|| quote!(Default,));
    let builder = builder(&name, s, &bases);
    let derive_debug = if has_secret { quote!() } else { quote!(Debug,) };
    let debug_impl = has_secret.then(|| redacted_debug(def, s, &name));
    let text = fields_text.filter(|fields| !fields.is_empty()).map(|fields| {
        let mut text = crate::emit::doc_text(own_docs, "");
        text.push_str(&format!(
            "#[derive({}{}Clone, PartialEq, Serialize)]\n",
            if has_secret { "" } else { "Debug, " },
            if all_optional { "Default, " } else { "" }
        ));
        if let Some((rule_name, _)) = rule {
            text.push_str(&format!("#[serde(rename_all = \"{rule_name}\")]\n"));
        }
        text.push_str("#[non_exhaustive]\n");
        text.push_str(&format!("pub struct {} {{\n{fields}}}\n", def.name.rust));
        text
    });
    let mut code = Code::default();
    match text.filter(|text| crate::emit::fits(text) && crate::emit::text_allowed()) {
        Some(text) => code.text(text),
        None => code.tokens(quote! {
            #docs
            #[derive(#derive_debug #derive_default Clone, PartialEq, Serialize)]
            #rename_all
            #[non_exhaustive]
            pub struct #name {
                #fields
            }
        }),
    }
    // A field chosen by a sibling tag needs the token form (its slot is buffered JSON).
    let sibling = s.fields.iter().any(|f| sibling_tag(api, s, f).is_some());
    match deserialize_struct_text(api, def, s).filter(|_| !sibling && crate::emit::text_allowed()) {
        Some(text) => code.text(text),
        None => code.tokens(deserialize_struct(api, def, s, &full)),
    }
    code.tokens(quote! {
        #debug_impl
        #builder
    });
    code
}

/// `Deserialize` of a struct, decoding objects as serde's derive does (unknown properties
/// ignored; a repeated field is an error; an absent required field is `missing field`, an
/// absent `Option` or `Nullable` field `None` or `Absent`; but an array is not read as the
/// fields in order, it is an `invalid type` error at the struct) with a fraction of its
/// code: the visitor, key matching and slot filling are `triad_runtime::model` code compiled
/// once; per struct only `model::Struct` (its field names and a loop filling one slot per
/// field) is emitted, with no sequence form, field enum or visitor type.
pub(super) fn deserialize_struct(api: &Api, def: &TypeDef, s: &Struct, full: &[TokenStream]) -> TokenStream {
    let name = ident(&def.name.rust);
    let rust_name = def.name.rust.trim_start_matches("r#");
    let wires: Vec<&str> = s.fields.iter().map(|f| f.name.wire.as_str()).collect();
    let slots: Vec<Ident> = (0..s.fields.len()).map(|i| ident(&format!("f{i}"))).collect();
    // Fields holding a union chosen by a path from this struct: their JSON is buffered, and
    // decoded once every field is read, by the tag value the path leads to.
    let chosen: Vec<Option<TokenStream>> = s.fields.iter().map(|f| sibling_tag(api, s, f)).collect();
    let arms = s.fields.iter().zip(&slots).enumerate().map(|(i, (f, slot))| {
        let wire = &f.name.wire;
        let index = proc_macro2::Literal::usize_unsuffixed(i);
        if exact_field(api, f) {
            quote!(#index => model::exact::field(&mut #slot, &mut map, #wire)?,)
        } else {
            quote!(#index => model::field(&mut #slot, &mut map, #wire)?,)
        }
    });
    // A slot a tag path starts from is read before its type is inferred: it is spelled out.
    let tag_roots: Vec<usize> = s
        .fields
        .iter()
        .filter_map(|f| match &f.ty {
            TypeRef::Named(id) => match &api.ty(*id).kind {
                TypeKind::Union(Union { tagging: Tagging::Sibling { path }, .. }) => path.first(),
                _ => None,
            },
            _ => None,
        })
        .filter_map(|first| s.fields.iter().position(|f| &f.name.wire == first))
        .collect();
    let declarations = slots.iter().zip(&chosen).enumerate().map(|(i, (slot, chosen))| match (chosen, full.get(i)) {
        (Some(_), _) => quote!(let mut #slot: Option<serde_json::Value> = None;),
        (None, Some(ty)) if tag_roots.contains(&i) => quote!(let mut #slot: Option<#ty> = None;),
        (None, _) => quote!(let mut #slot = None;),
    });
    let mut decoded = TokenStream::new();
    let values: Vec<TokenStream> = s
        .fields
        .iter()
        .zip(&slots)
        .zip(&chosen)
        .map(|((f, slot), chosen)| {
            let field_name = ident(&f.name.rust);
            let wire = &f.name.wire;
            let shape = f.presence;
            if let Some(tag) = chosen {
                let mut union = quote!(model::tagged_by::<_, A::Error>(#wire, #tag, raw)?);
                if f.boxed {
                    union = quote!(Box::new(#union));
                }
                decoded.extend(match shape {
                    Presence::Plain => quote! {
                        let #slot = {
                            let raw = model::required(#slot, #wire)?;
                            #union
                        };
                    },
                    Presence::Option => quote! {
                        let #slot = match #slot {
                            None | Some(serde_json::Value::Null) => None,
                            Some(raw) => Some(#union),
                        };
                    },
                    Presence::DoubleOption => quote! {
                        let #slot = match #slot {
                            None => model::Nullable::Absent,
                            Some(serde_json::Value::Null) => model::Nullable::Null,
                            Some(raw) => model::Nullable::Value(#union),
                        };
                    },
                });
                return quote!(#field_name: #slot,);
            }
            match shape {
                Presence::Plain => quote!(#field_name: model::required(#slot, #wire)?,),
                Presence::Option | Presence::DoubleOption => quote!(#field_name: #slot.unwrap_or_default(),),
            }
        })
        .collect();
    let body = if s.fields.is_empty() {
        quote!(while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            model::skip(&mut map)?;
        })
    } else {
        quote! {
            #(#declarations)*
            while let Some(key) = map.next_key_seed(model::FieldSeed(Self::FIELDS))? {
                match key {
                    #(#arms)*
                    _ => model::skip(&mut map)?,
                }
            }
        }
    };
    quote! {
        impl model::Struct for #name {
            const NAME: &'static str = #rust_name;
            const FIELDS: &'static [&'static str] = &[#(#wires),*];
            fn visit_map<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                #body
                #decoded
                Ok(Self { #(#values)* })
            }
        }
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                model::deserialize_struct(deserializer)
            }
        }
    }
}

/// True when a field holds decimals that `model::exact` reads and writes.
pub(super) fn exact_field(api: &Api, f: &Field) -> bool {
    !f.isolated && super::super::spell::holds_decimal(api, &f.ty)
}

/// For a field holding a union chosen by a path from its struct (`Tagging::Sibling`), the
/// expression reading the tag value (`Option<&str>`) from the struct's slots `f0`, `f1`...,
/// which hold each field as decoded (before defaults).
pub(super) fn sibling_tag(api: &Api, owner: &Struct, field: &Field) -> Option<TokenStream> {
    let TypeRef::Named(id) = &field.ty else { return None };
    let TypeKind::Union(Union { tagging: Tagging::Sibling { path }, .. }) = &api.ty(*id).kind else { return None };
    // Lowering reported paths that do not lead to a string; such an API is never emitted.
    let steps = api.tag_steps(owner, path).ok()?;
    let mut expr = TokenStream::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            crate::ir::TagStep::Field(_, f) => {
                if i == 0 {
                    let index = owner.fields.iter().position(|x| std::ptr::eq(x, *f))?;
                    let slot = ident(&format!("f{index}"));
                    expr = quote!(#slot.as_ref());
                } else {
                    let name = ident(&f.name.rust);
                    expr = quote!(#expr.map(|v| &v.#name));
                }
                match f.presence {
                    Presence::Plain => {}
                    Presence::Option => expr = quote!(#expr.and_then(|v| v.as_ref())),
                    Presence::DoubleOption => expr = quote!(#expr.and_then(|v| v.as_option())),
                }
                if f.boxed {
                    expr = quote!(#expr.map(|v| &**v));
                }
            }
            crate::ir::TagStep::Newtype => expr = quote!(#expr.map(|v| &v.0)),
        }
    }
    Some(quote!(#expr.map(|v| v.as_str())))
}

/// A serde argument (`rename = "x"`, `skip_serializing_if = "..."`) as prettyplease prints it.
pub(super) fn arg_text(arg: &TokenStream) -> String {
    let mut out = String::new();
    for token in arg.clone() {
        match token {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '=' => out.push_str(" = "),
            other => out.push_str(&other.to_string()),
        }
    }
    out
}

/// [`deserialize_struct`] written directly as the text prettyplease prints for its tokens, or
/// `None` where that layout is not certain (a line that would be wider than prettyplease's
/// margin, text that is not ASCII, a struct without fields): then the tokens are printed.
pub(super) fn deserialize_struct_text(api: &Api, def: &TypeDef, s: &Struct) -> Option<String> {
    use std::fmt::Write as _;
    if s.fields.is_empty() {
        return None;
    }
    let name = &def.name.rust;
    let string = |text: &str| proc_macro2::Literal::string(text).to_string();
    let wires: Vec<String> = s.fields.iter().map(|f| string(&f.name.wire)).collect();
    let mut out = String::with_capacity(256 + 160 * wires.len());
    let _ = writeln!(out, "impl model::Struct for {name} {{");
    let _ = writeln!(out, "    const NAME: &'static str = {};", string(name.trim_start_matches("r#")));
    let fields_line = format!("    const FIELDS: &'static [&'static str] = &[{}];", wires.join(", "));
    if fields_line.len() <= MARGIN {
        out.push_str(&fields_line);
        out.push('\n');
    } else {
        out.push_str("    const FIELDS: &'static [&'static str] = &[\n");
        for wire in &wires {
            let _ = writeln!(out, "        {wire},");
        }
        out.push_str("    ];\n");
    }
    out.push_str(
        "    fn visit_map<'de, A: serde::de::MapAccess<'de>>(\n        mut map: A,\n    ) -> Result<Self, A::Error> {\n",
    );
    for i in 0..wires.len() {
        let _ = writeln!(out, "        let mut f{i} = None;");
    }
    out.push_str("        while let Some(key) = map.next_key_seed(model::FieldSeed(Self::FIELDS))? {\n");
    out.push_str("            match key {\n");
    for (i, (wire, f)) in wires.iter().zip(&s.fields).enumerate() {
        let read = if exact_field(api, f) { "model::exact::field" } else { "model::field" };
        let _ = writeln!(out, "                {i} => {read}(&mut f{i}, &mut map, {wire})?,");
    }
    out.push_str("                _ => model::skip(&mut map)?,\n            }\n        }\n");
    let values: Vec<String> = s
        .fields
        .iter()
        .zip(&wires)
        .enumerate()
        .map(|(i, (f, wire))| {
            let field = &f.name.rust;
            match f.presence {
                Presence::Plain => format!("{field}: model::required(f{i}, {wire})?"),
                Presence::Option | Presence::DoubleOption => format!("{field}: f{i}.unwrap_or_default()"),
            }
        })
        .collect();
    // prettyplease keeps a struct expression on one line when `Self { `, its fields and the
    // space after them take at most 34 columns.
    let one_line = values.join(", ");
    if format!("Self {{ {one_line} ").len() <= 34 {
        let _ = writeln!(out, "        Ok(Self {{ {one_line} }})");
    } else {
        out.push_str("        Ok(Self {\n");
        for value in &values {
            let _ = writeln!(out, "            {value},");
        }
        out.push_str("        })\n");
    }
    out.push_str("    }\n}\n");
    let _ = writeln!(out, "impl<'de> Deserialize<'de> for {name} {{");
    out.push_str(
        "    fn deserialize<D: serde::Deserializer<'de>>(\n        deserializer: D,\n    ) -> Result<Self, D::Error> {\n        \
         model::deserialize_struct(deserializer)\n    }\n}\n",
    );
    (out.is_ascii() && out.lines().all(|line| line.len() <= MARGIN)).then_some(out)
}
