//! Generates the types of the shop API (`api/codegen.yaml`) into `OUT_DIR`; cargo reruns this
//! only when the config or a spec file it read changes.

fn main() {
    triad::build::types("api/codegen.yaml");
}
