//! Arbitrary bytes as the entry file of a workspace that also holds a few well-formed files,
//! so relative `$ref`s (to existing, missing, and cyclic files) are followed; then every
//! `$ref` string in the loaded documents is resolved.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triad::load::{LoadOptions, MemoryReader, Workspace};
use triad::node::{Node, Value};

const MODELS: &str = "Pet:\n  type: object\n  properties:\n    kind: {$ref: 'enums.yaml#/Kind'}\n    owner: {$ref: '../api.yaml#/components/schemas/Owner'}\n";
const ENUMS: &str =
    "Kind:\n  type: string\n  enum: [dog, cat, 'a/b', 'x~y']\n'a/b': {type: integer}\n'x~y': {$ref: '#/Kind'}\n";
const SELF_REF: &str = "{\"A\": {\"$ref\": \"loop.json#/A\"}, \"B\": {\"$ref\": \"api.yaml\"}}";

fuzz_target!(|data: &[u8]| {
    let reader = MemoryReader::new()
        .with_bytes("api.yaml", data)
        .with("parts/models.yaml", MODELS)
        .with("parts/enums.yaml", ENUMS)
        .with("loop.json", SELF_REF);
    let Ok(workspace) = Workspace::load(&["api.yaml".to_owned()], &reader, &LoadOptions::default()) else { return };
    for doc in 0..workspace.documents.len() {
        let mut refs = Vec::new();
        collect_refs(&workspace.documents[doc].root, &mut refs);
        for reference in &refs {
            let _ = workspace.resolve(doc, reference);
        }
    }
});

fn collect_refs(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Map(map) => {
            for (key, child) in map {
                if let (true, Value::Str(s)) = (key == "$ref", &child.value) {
                    out.push(s.clone());
                }
                collect_refs(child, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| collect_refs(n, out)),
        _ => {}
    }
}
