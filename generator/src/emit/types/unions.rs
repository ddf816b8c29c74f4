//! Unions: tagged (internal, adjacent, external, by a sibling's path) and untagged, each keeping
//! what this version does not know.

use super::*;
use crate::emit::spell::holds_decimal;

/// Serialization of an internally tagged union through a borrowed mirror enum deriving
/// `Serialize` with `#[serde(tag)]`: serde writes the tag and the payload's fields in one pass.
/// Not used when a payload struct declares the tag itself (serde would write it twice).
pub(super) fn internal_derive(api: &Api, u: &Union, uses: &mut Uses) -> Option<TokenStream> {
    let Tagging::Internal { tag } = &u.tagging else { return None };
    let declares_tag = |ty: &TypeRef| match ty {
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(s) => s.fields.iter().any(|f| &f.name.wire == tag),
            TypeKind::Alias(_) | TypeKind::Newtype(_) | TypeKind::Union(_) => true,
            TypeKind::Enum(_) => false,
        },
        _ => true,
    };
    if u.variants.iter().any(|v| v.nullable || v.ty.as_ref().is_some_and(declares_tag)) {
        return None;
    }
    let unknown = ident(&u.unknown);
    let mut mirror = TokenStream::new();
    let mut arms = TokenStream::new();
    for v in &u.variants {
        let variant = ident(&v.name.rust);
        let wire = &v.name.wire;
        match &v.ty {
            Some(ty) => {
                let ty = type_tokens(api, ty, uses);
                mirror.extend(quote!(#[serde(rename = #wire)] #variant(&'a #ty),));
                // A boxed payload auto-derefs to the mirror's `&T`.
                arms.extend(quote!(Self::#variant(value) => Tagged::#variant(value),));
            }
            None => {
                mirror.extend(quote!(#[serde(rename = #wire)] #variant,));
                arms.extend(quote!(Self::#variant => Tagged::#variant,));
            }
        }
    }
    let lifetime = u.variants.iter().any(|v| v.ty.is_some()).then(|| quote!(<'a>));
    Some(quote! {
        #[derive(Serialize)]
        #[serde(tag = #tag)]
        enum Tagged #lifetime {
            #mirror
        }
        let tagged = match self {
            #arms
            Self::#unknown(value) => return value.serialize(serializer),
        };
        tagged.serialize(serializer)
    })
}

/// `model::Shape`s of an untagged union's variants: the JSON kinds each accepts and the
/// required properties that only it has, so a value is decoded as the variant its shape names.
pub(super) fn untagged_shapes(api: &Api, u: &Union) -> Vec<TokenStream> {
    let keys: Vec<(Vec<String>, Vec<String>)> =
        u.variants.iter().map(|v| v.ty.as_ref().map(|ty| object_keys(api, ty, 0)).unwrap_or_default()).collect();
    u.variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut kinds = v.ty.as_ref().map_or(kind::NULL, |ty| json_kinds(api, ty, 0));
            if v.nullable {
                kinds |= kind::NULL;
            }
            let own: Vec<&String> = keys.get(i).map(|(required, _)| required.iter().collect()).unwrap_or_default();
            let own: Vec<&String> = own
                .into_iter()
                .filter(|k| !keys.iter().enumerate().any(|(j, (_, declared))| j != i && declared.contains(k)))
                .collect();
            let variant = naming::unraw(&v.name.rust);
            quote!(model::Shape { variant: #variant, kinds: #kinds, keys: &[#(#own),*] })
        })
        .collect()
}

/// JSON kinds as `model::kind` bits.
mod kind {
    pub(super) const NULL: u8 = 1;
    pub(super) const BOOL: u8 = 2;
    pub(super) const INTEGER: u8 = 4;
    pub(super) const FRACTION: u8 = 8;
    pub(super) const STRING: u8 = 16;
    pub(super) const ARRAY: u8 = 32;
    pub(super) const OBJECT: u8 = 64;
    pub(super) const ANY: u8 = 127;
}

/// Deepest chain of aliases and unions followed when describing a variant's shape.
pub(super) const SHAPE_DEPTH: u32 = 32;

/// The JSON kinds a value of `ty` may be written as. Tagged unions count as objects: only an
/// object can carry their tag.
pub(super) fn json_kinds(api: &Api, ty: &TypeRef, depth: u32) -> u8 {
    use crate::ir::Primitive;
    if depth > SHAPE_DEPTH {
        return kind::ANY;
    }
    match ty {
        TypeRef::Any => kind::ANY,
        TypeRef::List(_) => kind::ARRAY,
        TypeRef::Map(_) => kind::OBJECT,
        TypeRef::Primitive(p) => match p {
            Primitive::String | Primitive::Uuid | Primitive::DateTime | Primitive::Date => kind::STRING,
            Primitive::Bool => kind::BOOL,
            Primitive::I32 | Primitive::I64 => kind::INTEGER,
            Primitive::F32 | Primitive::F64 | Primitive::Decimal => kind::INTEGER | kind::FRACTION,
        },
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(_) => kind::OBJECT,
            TypeKind::Enum(_) => kind::STRING,
            TypeKind::Alias(inner) | TypeKind::Newtype(inner) => json_kinds(api, inner, depth + 1),
            TypeKind::Union(inner) => match &inner.tagging {
                Tagging::Internal { .. } | Tagging::Adjacent { .. } => kind::OBJECT,
                Tagging::External => kind::OBJECT | kind::STRING,
                Tagging::Untagged | Tagging::Sibling { .. } => inner.variants.iter().fold(0, |acc, v| {
                    let own = v.ty.as_ref().map_or(kind::NULL, |t| json_kinds(api, t, depth + 1));
                    acc | own | if v.nullable { kind::NULL } else { 0 }
                }),
            },
        },
    }
}

/// The properties an object of `ty` must have, and all it may have (empty for non-objects).
pub(super) fn object_keys(api: &Api, ty: &TypeRef, depth: u32) -> (Vec<String>, Vec<String>) {
    let TypeRef::Named(id) = ty else { return Default::default() };
    if depth > SHAPE_DEPTH {
        return Default::default();
    }
    match &api.ty(*id).kind {
        TypeKind::Struct(s) => (
            s.fields.iter().filter(|f| f.required).map(|f| f.name.wire.clone()).collect(),
            s.fields.iter().map(|f| f.name.wire.clone()).collect(),
        ),
        TypeKind::Alias(inner) | TypeKind::Newtype(inner) => object_keys(api, inner, depth + 1),
        TypeKind::Union(inner) => {
            let mut declared = Vec::new();
            let required = match &inner.tagging {
                Tagging::Internal { tag } => {
                    declared.push(tag.clone());
                    for v in &inner.variants {
                        if let Some(t) = &v.ty {
                            declared.extend(object_keys(api, t, depth + 1).1);
                        }
                    }
                    vec![tag.clone()]
                }
                Tagging::Adjacent { tag, content } => {
                    declared.extend([tag.clone(), content.clone()]);
                    vec![tag.clone()]
                }
                Tagging::External => {
                    declared.extend(inner.variants.iter().map(|v| v.name.wire.clone()));
                    Vec::new()
                }
                Tagging::Untagged | Tagging::Sibling { .. } => {
                    for v in &inner.variants {
                        if let Some(t) = &v.ty {
                            declared.extend(object_keys(api, t, depth + 1).1);
                        }
                    }
                    Vec::new()
                }
            };
            (required, declared)
        }
        TypeKind::Enum(_) => Default::default(),
    }
}

/// The variants of a union with, per variant, its `Serialize` arm and, for external and untagged
/// unions, its decoding arm or attempt (tagged unions decode through `model::Tagged`).
#[derive(Default)]
struct Arms {
    variants: TokenStream,
    serialize: TokenStream,
    external: TokenStream,
    untagged: TokenStream,
}

fn arms(api: &Api, u: &Union, uses: &mut Uses) -> Arms {
    let mut arms = Arms::default();
    let mut untagged_count = 0usize;
    for v in &u.variants {
        let variant = ident(&v.name.rust);
        let variant_docs = doc_attrs(&v.docs);
        let wire = &v.name.wire;
        let Some(ty) = &v.ty else {
            arms.variants.extend(quote!(#variant_docs #variant,));
            arms.serialize.extend(match &u.tagging {
                Tagging::Internal { tag } | Tagging::Adjacent { tag, .. } => {
                    quote!(Self::#variant => model::serialize_internal(serializer, #tag, #wire, &serde_json::Map::new()),)
                }
                _ => quote!(Self::#variant => serializer.serialize_str(#wire),),
            });
            arms.external.extend(quote!(Some(#wire) => Self::#variant,));
            continue;
        };
        // Decimals are read and written through `model::exact`, never as `f64`.
        let exact = holds_decimal(api, ty);
        let mut ty = type_tokens(api, ty, uses);
        if v.boxed {
            ty = quote!(Box<#ty>);
        }
        if v.nullable {
            ty = quote!(Option<#ty>);
        }
        arms.variants.extend(quote!(#variant_docs #variant(#ty),));
        let payload = if exact { quote!(&model::exact::Ser(value)) } else { quote!(value) };
        arms.serialize.extend(match &u.tagging {
            // A nested union on the same tag writes its own tag value.
            Tagging::Internal { tag } if api.nested_union(v, tag).is_some() => {
                quote!(Self::#variant(value) => value.serialize(serializer),)
            }
            Tagging::Internal { tag } => {
                quote!(Self::#variant(value) => model::serialize_internal(serializer, #tag, #wire, #payload),)
            }
            Tagging::Adjacent { tag, content } => {
                quote!(Self::#variant(value) => model::serialize_adjacent(serializer, #tag, #wire, #content, #payload),)
            }
            Tagging::External => {
                quote!(Self::#variant(value) => model::serialize_external(serializer, #wire, #payload),)
            }
            Tagging::Untagged | Tagging::Sibling { .. } if exact => {
                quote!(Self::#variant(value) => model::exact::serialize(value, serializer),)
            }
            Tagging::Untagged | Tagging::Sibling { .. } => {
                quote!(Self::#variant(value) => value.serialize(serializer),)
            }
        });
        match &u.tagging {
            Tagging::Internal { .. } | Tagging::Adjacent { .. } | Tagging::Sibling { .. } => {}
            Tagging::External if exact => arms.external.extend(quote!(
                Some(#wire) => Self::#variant(model::decode_member::<model::exact::As<_>, _>(&value, #wire)?.0),
            )),
            Tagging::External => {
                arms.external.extend(quote!(Some(#wire) => Self::#variant(model::decode_member(&value, #wire)?),))
            }
            Tagging::Untagged => {
                let index = untagged_count;
                untagged_count += 1;
                let decode = if exact {
                    quote!(candidates.decode::<model::exact::As<_>>(#index).map(|exact| exact.0))
                } else {
                    quote!(candidates.decode(#index))
                };
                arms.untagged.extend(quote! {
                    if let Some(inner) = #decode {
                        return Ok(Self::#variant(inner));
                    }
                })
            }
        }
    }
    arms
}

/// `model::Tagged` (and `model::Adjacent`) for an internally or adjacently tagged union,
/// `model::TaggedBy` for one chosen by a path; nothing for the others.
fn tagged_impl(api: &Api, name: &Ident, u: &Union) -> TokenStream {
    let unknown = ident(&u.unknown);
    if let Tagging::Sibling { path } = &u.tagging {
        let tag = path.join(".");
        let arms = u.variants.iter().map(|v| {
            let variant = ident(&v.name.rust);
            let wire = &v.name.wire;
            let wrap = if v.boxed { quote!(|value| Self::#variant(Box::new(value))) } else { quote!(Self::#variant) };
            match &v.ty {
                Some(ty) if holds_decimal(api, ty) => quote!(
                    #wire => model::decode_traced::<model::exact::As<_>>(raw).map(|exact| exact.0).map(#wrap),
                ),
                Some(_) => quote!(#wire => model::decode_traced(raw).map(#wrap),),
                None => quote!(#wire => Ok(Self::#variant),),
            }
        });
        return quote! {
            impl model::TaggedBy for #name {
                const TAG: &'static str = #tag;
                fn content(tag: &str, raw: &serde_json::Value) -> Option<Result<Self, String>> {
                    Some(match tag {
                        #(#arms)*
                        _ => return None,
                    })
                }
                fn unknown(raw: serde_json::Value) -> Self {
                    Self::#unknown(raw)
                }
            }
        };
    }
    let (Tagging::Adjacent { tag, .. } | Tagging::Internal { tag }) = &u.tagging else {
        return TokenStream::new();
    };
    // Each tag value selects one variant: duplicates go to the first, and a nested union on
    // the same tag answers to all of its own values.
    let tags = api.variant_tags(u);
    let known: Vec<&String> = tags.iter().flatten().collect();
    let known = if known.is_empty() {
        quote!({
            let _ = tag;
            false
        })
    } else {
        quote!(matches!(tag, #(#known)|*))
    };
    let arms = u.variants.iter().zip(&tags).filter(|(_, tags)| !tags.is_empty()).map(|(v, tags)| {
        let variant = ident(&v.name.rust);
        match &v.ty {
            Some(ty) if holds_decimal(api, ty) => {
                quote!(#(#tags)|* => Self::#variant(model::exact::deserialize(content)?),)
            }
            Some(_) => quote!(#(#tags)|* => Self::#variant(Deserialize::deserialize(content)?),),
            None => quote!(#(#tags)|* => {
                serde::de::IgnoredAny::deserialize(content)?;
                Self::#variant
            }),
        }
    });
    let adjacent = match &u.tagging {
        Tagging::Adjacent { content, .. } => quote! {
            impl model::Adjacent for #name {
                const CONTENT: &'static str = #content;
            }
        },
        _ => TokenStream::new(),
    };
    quote! {
        impl model::Tagged for #name {
            const TAG: &'static str = #tag;
            fn known(tag: &str) -> bool {
                #known
            }
            fn content<'de, D: serde::Deserializer<'de>>(tag: &str, content: D) -> Result<Self, D::Error> {
                Ok(match tag {
                    #(#arms)*
                    _ => Self::#unknown(serde_json::Value::deserialize(content)?),
                })
            }
            fn unknown(raw: serde_json::Value) -> Self {
                Self::#unknown(raw)
            }
        }
        #adjacent
    }
}

/// The body of a union's `Deserialize::deserialize`.
fn deserialize_body(api: &Api, name: &Ident, u: &Union, arms: &Arms) -> TokenStream {
    let unknown = ident(&u.unknown);
    match &u.tagging {
        Tagging::Sibling { .. } => quote! {
            model::deserialize_tagged_by(deserializer)
        },
        Tagging::Adjacent { .. } => quote! {
            model::deserialize_adjacent(deserializer)
        },
        Tagging::Internal { .. } => quote! {
            model::deserialize_internal(deserializer)
        },
        Tagging::External => {
            let external = &arms.external;
            quote! {
                let value = model::buffer(deserializer)?;
                let key = match &value {
                    serde_json::Value::Object(map) if map.len() == 1 => map.keys().next().map(String::as_str),
                    serde_json::Value::String(name) => Some(name.as_str()),
                    _ => None,
                };
                Ok(match key {
                    #external
                    _ => Self::#unknown(value),
                })
            }
        }
        Tagging::Untagged => {
            let shapes = untagged_shapes(api, u);
            let union_name = name.to_string();
            let untagged = &arms.untagged;
            quote! {
                const SHAPES: &[model::Shape] = &[#(#shapes),*];
                let value = model::buffer(deserializer)?;
                let mut candidates = model::Untagged::new(#union_name, &value, SHAPES);
                #untagged
                Err(candidates.error())
            }
        }
    }
}

/// The paragraph that says how an untagged or path-chosen union is read, after its own docs.
fn reading_docs(u: &Union, docs: &TokenStream) -> Option<TokenStream> {
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    match &u.tagging {
        Tagging::Untagged => Some(quote! {
            #separator
            #[doc = " Untagged: a value is read as the first variant, in the order listed, that fits its shape and decodes (see the crate docs); a value no variant fits is an error saying why each candidate failed."]
        }),
        Tagging::Sibling { path } => {
            let text = format!(
                " Chosen by `{}` of the object holding it (set in the codegen config): that object reads the tag, then decodes this value as the variant it names; a value of a known kind that does not decode is an error, and a tag value this crate does not know keeps the value as received. Written as the payload alone.",
                path.join(".")
            );
            Some(quote! {
                #separator
                #[doc = #text]
            })
        }
        _ => None,
    }
}

pub(super) fn union(api: &Api, name: &Ident, u: &Union, docs: TokenStream, uses: &mut Uses) -> TokenStream {
    let unknown = ident(&u.unknown);
    let arms = arms(api, u, uses);
    let untagged = u.tagging == Tagging::Untagged;
    // An untagged union has no unknown variant: a value no variant fits is an error.
    let unknown_arm = (!untagged).then(|| quote!(Self::#unknown(value) => value.serialize(serializer),));
    let serialize_body = match internal_derive(api, u, uses) {
        Some(body) => body,
        None => {
            let serialize = &arms.serialize;
            quote! {
                match self {
                    #serialize
                    #unknown_arm
                }
            }
        }
    };
    let tagged_impl = tagged_impl(api, name, u);
    let deserialize_body = deserialize_body(api, name, u, &arms);
    let unknown_variant = (!untagged).then(|| {
        quote! {
            /// A variant this version of the crate does not know, kept as received.
            #unknown(serde_json::Value),
        }
    });
    let reading = reading_docs(u, &docs);
    let variants = &arms.variants;
    quote! {
        #docs
        #reading
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #variants
            #unknown_variant
        }
        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #serialize_body
            }
        }
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #deserialize_body
            }
        }
        #tagged_impl
    }
}
