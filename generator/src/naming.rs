//! Turning wire names into Rust identifiers: case conversion, escaping and de-duplication.
//!
//! All identifier rules live here so every emitter spells names the same way.

use std::collections::{HashMap, HashSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be plain identifiers (2024 edition, strict and reserved).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// True for a Rust keyword, strict or reserved (`type`, `async`, `Self`, `yield`).
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Keywords that cannot even be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Type names a generated crate must not define because generated code or its users rely on
/// them: the prelude, and the names generated code imports.
#[rustfmt::skip]
const RESERVED_TYPES: &[&str] = &[
    "Option", "Result", "Some", "None", "Ok", "Err", "Vec", "String", "Box", "Self", "Value", "Map",
    "BTreeMap", "HashMap", "Uuid", "DateTime", "NaiveDate", "Utc", "Serialize", "Deserialize", "Default",
    "Clone", "Copy", "Debug", "Display", "Send", "Sync", "Sized", "Unpin", "Drop", "Fn", "FnMut", "FnOnce",
    "From", "Into", "TryFrom", "TryInto", "AsRef", "AsMut", "Iterator", "IntoIterator", "Extend", "ToString",
    "ToOwned", "PartialEq", "Eq", "PartialOrd", "Ord", "Hash", "Tagged",
    // Generic parameters of the emitted `serialize`/`deserialize` functions.
    "S", "D",
];

/// Names the catch-all variant of an enum or union may take, in order of preference.
pub const CATCH_ALL: &[&str] = &["Unknown", "UnknownValue", "Unrecognized", "OtherValue", "UnknownVariant"];

/// Why `name` cannot be the Rust name of a generated type, if it cannot: it must be a plain
/// UpperCamelCase identifier (ASCII letters and digits, starting with a capital letter), and
/// neither a keyword nor a name generated code relies on.
pub fn check_type_name(name: &str) -> Result<(), String> {
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "`{name}` is not an UpperCamelCase Rust identifier (ASCII letters and digits, starting with a capital)"
        ));
    }
    if KEYWORDS.contains(&name) {
        return Err(format!("`{name}` is a Rust keyword"));
    }
    if RESERVED_TYPES.contains(&name) {
        return Err(format!("`{name}` would shadow a name the generated code relies on"));
    }
    Ok(())
}

/// Replaces every character that cannot appear in an identifier by a word boundary.
fn words(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c),
            '+' if out.is_empty() => out.push_str("plus "),
            '-' if out.is_empty() => out.push_str("minus "),
            _ => out.push(' '),
        }
    }
    out
}

/// The Rust type (or variant) name for a wire name: UpperCamelCase, never a keyword or a name
/// the generated code relies on, never starting with a digit. `fallback` is used when nothing
/// usable is left.
pub fn type_name(raw: &str, fallback: &str) -> String {
    let mut name = words(raw).to_upper_camel_case();
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if RESERVED_TYPES.contains(&name.as_str()) {
        name.push_str("Type");
    }
    name
}

/// A variant name: like [`type_name`], but names the enum's own items may use are allowed.
pub fn variant_name(raw: &str, fallback: &str) -> String {
    let mut name = words(raw).to_upper_camel_case();
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if name == "Self" {
        name = "SelfValue".into();
    }
    name
}

/// The Rust field, function or module name for a wire name: snake_case, with keywords written
/// as raw identifiers (`r#type`) or, where that is impossible, with a trailing underscore.
pub fn field_name(raw: &str) -> String {
    let mut name = words(raw).to_snake_case();
    if name.is_empty() {
        name = "value".into();
    }
    if name.chars().all(|c| c.is_ascii_digit() || c == '_') {
        // Only digits: `_123` would be a binding clippy rejects (`just_underscores_and_digits`).
        name = format!("n{}", name.trim_start_matches('_'));
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("_{name}");
    }
    escape_keyword(name)
}

/// The Rust method name for an operation id: [`field_name`] of the id itself, so punctuation
/// separates words and groups of digits stay apart (`reservations_getAll_2023-06-06` →
/// `reservations_get_all_2023_06_06`, never `reservations_get_all20230606`).
/// A name that clippy's naming conventions keep for methods without `&self` (`new`, `from_*`)
/// or taking `self` by value or `&mut self` (`into_*`, `to_mut`, `to_*_mut`) is prefixed with
/// `call_`, and so are the names the client's own methods take (`builder`, `transport`).
pub fn method_name(operation_id: &str) -> String {
    let name = field_name(operation_id);
    if self_convention_clash(&name) || ["builder", "transport"].contains(&name.as_str()) {
        join_snake("call", &name)
    } else {
        name
    }
}

/// True for names that clippy's `wrong_self_convention` keeps for methods that do not take
/// `&self`: a generated method taking `&self` (an operation on a client, a webhook handler in
/// a trait) must not be named so.
pub fn self_convention_clash(name: &str) -> bool {
    name == "new"
        || name == "to_mut"
        || name.starts_with("from_")
        || name.starts_with("into_")
        || (name.starts_with("to_") && name.ends_with("_mut"))
}

/// Escapes a snake_case identifier if it is a keyword.
pub fn escape_keyword(name: String) -> String {
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// The chainable setter of a field (`with_<field>`), shared by the types crate and the code that
/// builds its values.
pub fn setter(field: &str) -> String {
    join_snake("with", unraw(field))
}

/// The method that sets an optional nullable field to an explicit `null` (`clear_<field>`).
pub fn clearer(field: &str) -> String {
    join_snake("clear", unraw(field))
}

/// A snake_case identifier made of a generated word and a name (`with` and `_3d` give
/// `with_3d`, `with` and `self_` give `with_self`, `self_` and `entities` give
/// `self_entities`): the name's raw prefix, the underscores at the joint and those that end
/// the name are dropped, so no double underscore (which rustc's naming lint rejects) appears,
/// whatever the name.
pub fn join_snake(before: &str, after: &str) -> String {
    let before = unraw(before).trim_end_matches('_');
    let after = unraw(after).trim_matches('_');
    match (before.is_empty(), after.is_empty()) {
        (true, _) => after.to_owned(),
        (_, true) => before.to_owned(),
        _ => format!("{before}_{after}"),
    }
}

/// The wire-style spelling of a Rust name (raw prefix removed), for comparisons.
pub fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// Makes names unique by appending `2`, `3`... to later duplicates. `names` is processed in the
/// order given, which the caller makes deterministic. Linear: the next suffix to try is kept per
/// base, so many copies of one name do not rescan the suffixes already given out.
pub fn dedupe<'a>(names: impl IntoIterator<Item = &'a mut String>, snake: bool) {
    let names: Vec<&mut String> = names.into_iter().collect();
    let mut seen: HashSet<String> = HashSet::with_capacity(names.len());
    let mut next: HashMap<String, usize> = HashMap::new();
    for name in names {
        if seen.insert(name.clone()) {
            continue;
        }
        let base = unraw(name).trim_end_matches('_').to_owned();
        let n = next.entry(base.clone()).or_insert(2);
        loop {
            let candidate = if snake { format!("{base}_{n}") } else { format!("{base}{n}") };
            *n += 1;
            if seen.insert(candidate.clone()) {
                *name = candidate;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_escapes() {
        assert_eq!(field_name("Type"), "r#type");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("iDealConsumerIBAN"), field_name("iDealConsumerIban"));
        assert_eq!(field_name("3ds"), "_3ds");
        assert_eq!(field_name("123"), "n123");
        assert_eq!(field_name("1_2"), "n1_2");
        assert_eq!(field_name("+1"), "plus_1");
        assert_eq!(field_name("-1"), "minus_1");
        assert_eq!(field_name("@type"), "r#type");
        assert_eq!(type_name("reservations_getAll_2023-06-06", "X"), "ReservationsGetAll20230606");
        assert_eq!(type_name("String", "X"), "StringType");
        assert_eq!(type_name("default", "X"), "DefaultType");
        assert_eq!(type_name("", "Fallback"), "Fallback");
        assert_eq!(variant_name("DE_NATO", "X"), "DeNato");
        assert_eq!(variant_name("1", "X"), "V1");
    }

    #[test]
    fn joined_names_have_single_underscores() {
        assert_eq!(join_snake("with", &field_name("123")), "with_n123");
        assert_eq!(join_snake("with_", "_3d"), "with_3d");
        assert_eq!(join_snake("with", &field_name("self")), "with_self");
        assert_eq!(join_snake(&field_name("self"), "entities"), "self_entities");
        assert_eq!(join_snake("credential", "r#type"), "credential_type");
        assert_eq!(join_snake("x", "_"), "x");
    }

    #[test]
    fn method_names_keep_digit_groups_apart() {
        assert_eq!(method_name("reservations_getAll_2023-06-06"), "reservations_get_all_2023_06_06");
        assert_eq!(method_name("getAll2023"), "get_all2023");
        assert_eq!(method_name("v1.2-files"), "v1_2_files");
        assert_eq!(method_name("get /files/{folder}"), "get_files_folder");
        assert_eq!(method_name("type"), "r#type");
        assert_eq!(method_name("new"), "call_new");
        assert_eq!(method_name("fromFile"), "call_from_file");
        assert_eq!(method_name("into_iter"), "call_into_iter");
        assert_eq!(method_name("toMut"), "call_to_mut");
        assert_eq!(method_name("transport"), "call_transport");
        assert_eq!(method_name("newest"), "newest");
        assert_eq!(method_name("to_string"), "to_string");
    }

    #[test]
    fn checks_names_from_the_config() {
        assert!(check_type_name("BetterName").is_ok());
        for bad in ["", "lower", "With_Underscore", "Ünï", "r#Type", "Self", "Option", "Result", "S", "1A", "A-B"] {
            assert!(check_type_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dedupes_in_order() {
        let mut names = vec!["a".to_string(), "a".into(), "a_2".into(), "a".into()];
        dedupe(names.iter_mut(), true);
        assert_eq!(names, ["a", "a_2", "a_2_2", "a_3"]);
        let mut names = vec!["B".to_string(), "B".into(), "B2".into(), "B".into(), "B".into()];
        dedupe(names.iter_mut(), false);
        assert_eq!(names, ["B", "B2", "B22", "B3", "B4"]);
    }
}
