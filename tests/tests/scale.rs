//! Large inputs generate: one object with 20,000 properties, half of which collide after case
//! conversion, so de-duplication and property merging must stay linear (speed is measured by
//! the `wide-object` group of `generator/benches/generate.rs`, not here).

/// A JSON OpenAPI document whose schema `Wide` has `n` properties: `field0`, `field1`... and,
/// for every other one, a name made of `a` and symbols that all become the Rust name `a`.
pub fn wide_spec(n: usize) -> String {
    const SYMBOLS: [char; 9] = ['-', '.', '$', '@', '!', '%', '^', '&', '*'];
    let mut props = Vec::with_capacity(n);
    for i in 0..n {
        let name = if i % 2 == 0 {
            format!("field{i}")
        } else {
            let mut name = String::from("a");
            let mut k = i;
            loop {
                name.push(SYMBOLS[k % SYMBOLS.len()]);
                k /= SYMBOLS.len();
                if k == 0 {
                    break;
                }
            }
            name
        };
        props.push(format!("\"{name}\": {{\"type\": \"string\"}}"));
    }
    format!(
        "{{\"openapi\": \"3.0.3\", \"info\": {{\"title\": \"Wide\", \"version\": \"1\"}}, \"paths\": {{}}, \
         \"components\": {{\"schemas\": {{\"Wide\": {{\"type\": \"object\", \"properties\": {{{}}}}}}}}}}}",
        props.join(", ")
    )
}

#[test]
fn an_object_with_20000_properties_generates() {
    let spec = wide_spec(20_000);
    let files = triad_tests::generate_memory(&[("wide.json", &spec)]).unwrap_or_else(|d| panic!("{d}"));
    let lib = &files["memory-types/src/lib.rs"];
    assert_eq!(lib.matches("pub field").count(), 10_000);
    // Every colliding name got its own suffix.
    assert!(lib.contains("pub a: Option<String>"));
    assert!(lib.contains("pub a_10000: Option<String>"));
    assert!(!lib.contains("pub a_10001:"));
}
