//! OpenAPI Overlay 1.0 documents named by a codegen config's `overlays:` change the spec files
//! they extend before lowering: their prose reaches the generated docs, their removals and
//! additions the generated types, in the order listed; every problem of an overlay is reported
//! at its place in the overlay, and nodes an overlay adds are located in the overlay.

use std::path::PathBuf;

use triad::config::Config;
use triad::diag::{Diagnostic, Diagnostics};
use triad::load::{FsReader, MemoryReader};
use triad::{Files, Provenance};

const SPEC: &str = r#"openapi: 3.0.3
info: {title: Pets, version: '1'}
servers: [{url: 'https://pets.example'}]
paths:
  /pets/getAll:
    post:
      operationId: pets_getAll
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/PetFilter'}}}
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/PetPage'}}}
components:
  schemas:
    PetFilter: {type: object, properties: {Limit: {type: integer}}}
    PetPage:
      type: object
      required: [Pets]
      properties:
        Pets: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    Pet:
      type: object
      required: [Id, Name, Notes]
      properties:
        Id: {type: string}
        Name: {type: string}
        Notes: {type: string}
        Legacy: {type: string}
"#;

/// A second OpenAPI document, for `extends`.
const OTHER: &str = "openapi: 3.0.3\ninfo: {title: Pets, version: '1'}\npaths: {}\n";

/// Generates the API of `config` from `files` in memory (paths relative to the config).
fn generate(config: &str, files: &[(&str, &str)]) -> Result<Files, Diagnostics> {
    let config = Config::parse("api/codegen.yaml", config).map_err(Diagnostics::new)?;
    let reader =
        files.iter().fold(MemoryReader::new(), |reader, (path, text)| reader.with(&format!("api/{path}"), text));
    let provenance = Provenance { source: "api/codegen.yaml".into(), command: "test".into() };
    triad::generate(&config, "api", &reader, &provenance).map(|generated| generated.files)
}

/// The config of [`SPEC`] with `overlays`.
fn config(overlays: &str) -> String {
    format!("name: pets\nspecs: [pets.yaml]\noverlays: {overlays}\n")
}

fn types(files: &Files) -> &str {
    &files["pets-types/src/lib.rs"]
}

/// The errors of a generation that must fail, one line each: `file:line:col (#pointer) message`.
fn errors(result: Result<Files, Diagnostics>) -> Vec<String> {
    let diagnostics = result.expect_err("the generation fails");
    diagnostics.0.iter().map(line).collect()
}

fn line(d: &Diagnostic) -> String {
    format!("{} {}", d.location, d.message)
}

/// The struct field declaration of `field` in `lib`, e.g. `pub name: Option<String>,`.
fn field<'a>(lib: &'a str, field: &str) -> Option<&'a str> {
    lib.lines().map(str::trim).find(|l| l.starts_with(&format!("pub {field}: ")))
}

/// The doc lines right above the declaration of `field` (attributes skipped).
fn field_docs<'a>(lib: &'a str, field: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = lib.lines().map(str::trim).collect();
    let at = lines.iter().position(|l| l.starts_with(&format!("pub {field}: "))).expect("the field");
    let mut docs: Vec<&str> = lines[..at]
        .iter()
        .rev()
        .skip_while(|l| l.starts_with("#["))
        .take_while(|l| l.starts_with("///"))
        .copied()
        .collect();
    docs.reverse();
    docs
}

#[test]
fn an_update_adds_prose_that_the_client_docs_show() {
    let overlay = "overlay: 1.0.0
info: {title: Pet prose, version: '1'}
extends: pets.yaml
actions:
  - target: $.paths['/pets/getAll'].post
    update: {summary: 'Lists the pets of the shop, a page at a time.'}
  - target: $.components.schemas.Pet.properties.Notes
    update: {description: What the keepers wrote about the pet.}
";
    let without = generate(&config("[]"), &[("pets.yaml", SPEC)]).unwrap();
    let client = &without["pets-client/src/lib.rs"];
    assert!(!client.contains("Lists the pets of the shop"), "{client}");
    let files =
        generate(&config("[prose.overlay.yaml]"), &[("pets.yaml", SPEC), ("prose.overlay.yaml", overlay)]).unwrap();
    let client = &files["pets-client/src/lib.rs"];
    let method = client.find("pub async fn pets_get_all(").expect("the pets_getAll method");
    let docs: Vec<&str> =
        client[..method].trim_end().lines().map(str::trim).rev().take_while(|l| l.starts_with("///")).collect();
    assert_eq!(docs.last(), Some(&"/// Lists the pets of the shop, a page at a time."), "{client}");
    assert_eq!(field_docs(types(&files), "notes"), ["/// What the keepers wrote about the pet."]);
    assert!(field_docs(types(&without), "notes").is_empty());
    // What the overlay leaves alone is the same.
    assert_eq!(field(types(&files), "notes"), field(types(&without), "notes"));
}

#[test]
fn removing_a_required_entry_makes_the_field_optional_and_remove_drops_a_property() {
    let before = generate(&config("[]"), &[("pets.yaml", SPEC)]).unwrap();
    assert_eq!(field(types(&before), "name"), Some("pub name: String,"));
    assert_eq!(field(types(&before), "legacy"), Some("pub legacy: Option<String>,"));
    let overlay = "overlay: 1.0.0
info: {title: Pet fixes, version: '1'}
actions:
  - target: $.components.schemas.Pet.required[?@ == 'Name']
    description: Pets without a name are sent.
    remove: true
  - target: $.components.schemas.Pet.properties.Legacy
    remove: true
";
    // No `extends`: the config's only OpenAPI document.
    let files = generate(&config("[fixes.yaml]"), &[("pets.yaml", SPEC), ("fixes.yaml", overlay)]).unwrap();
    assert_eq!(field(types(&files), "name"), Some("pub name: Option<String>,"));
    assert_eq!(field(types(&files), "id"), Some("pub id: String,"));
    assert_eq!(field(types(&files), "notes"), Some("pub notes: String,"));
    assert_eq!(field(types(&files), "legacy"), None, "{}", types(&files));
    // Replacing the list: remove it, then add the new one.
    let replace = "overlay: 1.0.0
info: {title: Pet fixes, version: '1'}
actions:
  - target: $.components.schemas.Pet.required
    remove: true
  - target: $.components.schemas.Pet
    update: {required: [Id]}
";
    let files = generate(&config("[fixes.yaml]"), &[("pets.yaml", SPEC), ("fixes.yaml", replace)]).unwrap();
    assert_eq!(field(types(&files), "id"), Some("pub id: String,"));
    assert_eq!(field(types(&files), "name"), Some("pub name: Option<String>,"));
    assert_eq!(field(types(&files), "notes"), Some("pub notes: Option<String>,"));
}

#[test]
fn updates_merge_mappings_append_lists_and_replace_values() {
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.components.schemas.Pet
    update:
      required: [Legacy]
      properties:
        Id: {format: uuid}
        Notes: {type: integer}
  - target: $.components.schemas.Pet.required
    update: Nickname
  - target: $.components.schemas.Pet.properties
    update:
      Nickname: {type: string}
";
    let files = generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)]).unwrap();
    let lib = types(&files);
    assert_eq!(field(lib, "id"), Some("pub id: uuid::Uuid,"), "{lib}");
    assert_eq!(field(lib, "name"), Some("pub name: String,"));
    assert_eq!(field(lib, "notes"), Some("pub notes: i64,"));
    assert_eq!(field(lib, "legacy"), Some("pub legacy: String,"));
    assert_eq!(field(lib, "nickname"), Some("pub nickname: String,"));
}

#[test]
fn overlays_apply_in_the_order_listed() {
    let first = "overlay: 1.0.0
info: {title: first, version: '1'}
extends: pets.yaml
actions:
  - target: $.components.schemas.Pet.properties
    update: {Nickname: {type: string}}
";
    let second = "overlay: 1.0.0
info: {title: second, version: '1'}
extends: pets.yaml
actions:
  - target: $.components.schemas.Pet.properties.Nickname
    update: {description: What the pet answers to.}
";
    let files = [("pets.yaml", SPEC), ("first.yaml", first), ("second.yaml", second)];
    let lib = generate(&config("[first.yaml, second.yaml]"), &files).unwrap();
    assert_eq!(field(types(&lib), "nickname"), Some("pub nickname: Option<String>,"));
    assert_eq!(field_docs(types(&lib), "nickname"), ["/// What the pet answers to."]);
    // The other way round, the second sees a document without `Nickname`.
    assert_eq!(
        errors(generate(&config("[second.yaml, first.yaml]"), &files)),
        [
            "api/second.yaml:5:5 (#/actions/0) the target `$.components.schemas.Pet.properties.Nickname` selects nothing in `api/pets.yaml`"
        ]
    );
}

#[test]
fn nodes_an_overlay_adds_are_located_in_the_overlay() {
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.components.schemas.Pet.properties
    update:
      Owner:
        $ref: '#/components/schemas/Owner'
";
    let spec = SPEC.replace("        Legacy: {type: string}", "        Legacy: {$ref: '#/components/schemas/Gone'}");
    assert_eq!(
        errors(generate(&config("[o.yaml]"), &[("pets.yaml", &spec), ("o.yaml", overlay)])),
        [
            // What the overlay added is found where the overlay writes it...
            "api/o.yaml:7:15 (#/actions/0/update/Owner/$ref) unresolved $ref `#/components/schemas/Owner`: nothing at `#/components/schemas/Owner` in `api/pets.yaml`",
            // ...and untouched nodes keep their place in the spec.
            "api/pets.yaml:30:24 (#/components/schemas/Pet/properties/Legacy/$ref) unresolved $ref `#/components/schemas/Gone`: nothing at `#/components/schemas/Gone` in `api/pets.yaml`",
        ]
    );
}

#[test]
fn items_after_a_removed_list_item_keep_their_place() {
    let spec = format!(
        "{SPEC}    Tag:\n      allOf:\n        - $ref: '#/components/schemas/Pet'\n        - $ref: '#/components/schemas/Gone'\n"
    );
    let overlay = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: '$.components.schemas.Tag.allOf[0]', remove: true}\n";
    assert_eq!(
        errors(generate(&config("[]"), &[("pets.yaml", &spec)])),
        [
            "api/pets.yaml:34:17 (#/components/schemas/Tag/allOf/1/$ref) unresolved $ref `#/components/schemas/Gone`: nothing at `#/components/schemas/Gone` in `api/pets.yaml`"
        ]
    );
    // Now the first item of the list, it is still reported where the file writes it.
    assert_eq!(
        errors(generate(&config("[o.yaml]"), &[("pets.yaml", &spec), ("o.yaml", overlay)])),
        [
            "api/pets.yaml:34:17 (#/components/schemas/Tag/allOf/1/$ref) unresolved $ref `#/components/schemas/Gone`: nothing at `#/components/schemas/Gone` in `api/pets.yaml`"
        ]
    );
}

#[test]
fn a_file_that_is_no_overlay_and_an_unsupported_version_are_errors() {
    assert_eq!(
        errors(generate(&config("[pets.yaml]"), &[("pets.yaml", SPEC)])),
        ["api/pets.yaml:1:1 (#) not an overlay document: it has `openapi` and no `overlay` key"]
    );
    assert_eq!(
        errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", "- 1\n")])),
        ["api/o.yaml:1:1 (#) not an overlay document: the file holds a sequence"]
    );
    let overlay =
        "overlay: 2.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $.info, update: {title: x}}\n";
    assert_eq!(
        errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)])),
        ["api/o.yaml:1:10 (#/overlay) unsupported overlay version `2.0.0`"]
    );
    let overlay = overlay.replace("overlay: 2.0.0", "overlay: 1.0");
    assert_eq!(
        errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", &overlay)])),
        ["api/o.yaml:1:10 (#/overlay) `overlay` is a number (`1`), not a version string"]
    );
}

#[test]
fn every_problem_of_an_overlay_is_reported_where_it_is_written() {
    let overlay = "overlay: 1.0.0
info: {title: t}
actions:
  - target: $.paths[
    update: {summary: s}
  - target: \"$.info[?match(@, 'x')]\"
    remove: true
  - target: $.info
  - target: $.components.schemas.Pet
    update: {description: d}
    colour: red
";
    let lines = errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(lines[0], "api/o.yaml:2:7 (#/info) `info` has no `version`");
    assert!(
        lines[1].starts_with("api/o.yaml:4:13 (#/actions/0/target) `$.paths[` is not a JSONPath expression: "),
        "{}",
        lines[1]
    );
    // The parser's place: the bracket that opens no selector.
    assert!(lines[1].ends_with(" at character 8"), "{}", lines[1]);
    assert!(
        lines[2].starts_with(
            "api/o.yaml:6:13 (#/actions/1/target) `$.info[?match(@, 'x')]` is not a JSONPath expression: "
        ),
        "{}",
        lines[2]
    );
    assert!(lines[2].ends_with(" at character 9"), "{}", lines[2]);
    assert_eq!(lines[3], "api/o.yaml:8:5 (#/actions/2) the action neither updates nor removes");
    assert_eq!(lines[4], "api/o.yaml:11:13 (#/actions/3/colour) unknown action key `colour`");
}

#[test]
fn a_target_that_selects_nothing_is_an_error_at_its_action_and_later_actions_still_run() {
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.components.schemas.Pet.properties.Id
    update: {format: uuid}
  - target: $.components.schemas.Dog
    update: {description: d}
  - target: $.paths.*.get
    remove: true
  - target: $.components.schemas.Cat
    remove: true
";
    assert_eq!(
        errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)])),
        [
            "api/o.yaml:6:5 (#/actions/1) the target `$.components.schemas.Dog` selects nothing in `api/pets.yaml`",
            "api/o.yaml:8:5 (#/actions/2) the target `$.paths.*.get` selects nothing in `api/pets.yaml`",
            "api/o.yaml:10:5 (#/actions/3) the target `$.components.schemas.Cat` selects nothing in `api/pets.yaml`",
        ]
    );
}

#[test]
fn an_update_that_cannot_be_merged_is_an_error_at_the_update() {
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.components.schemas.Pet.properties.*.type
    update: {format: uuid}
  - target: $.components.schemas.Pet
    update: a description
";
    let result = generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)]);
    let diagnostics = result.expect_err("fails").0;
    let lines: Vec<String> = diagnostics.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "api/o.yaml:5:13 (#/actions/0/update) the target selects a string at `$['components']['schemas']['Pet']['properties']['Id']['type']` (and 3 more nodes), which an update cannot be merged into",
            "api/o.yaml:7:13 (#/actions/1/update) the update is a string, which cannot be merged into the mapping at `$['components']['schemas']['Pet']`",
        ]
    );
    // The first selected node is shown in the spec.
    let (related, _) = &diagnostics[0].related[0];
    assert_eq!(related.to_string(), "api/pets.yaml:27:20 (#/components/schemas/Pet/properties/Id/type)");
}

#[test]
fn extends_must_name_one_of_the_specs() {
    let overlay = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: ../elsewhere/pets.yaml\nactions:\n  - {target: $.info, update: {title: x}}\n";
    let lines = errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(
        lines,
        [
            "api/o.yaml:3:10 (#/extends) `extends` names `elsewhere/pets.yaml`, which is not one of the config's `specs:`"
        ]
    );
    // Without `extends`, several OpenAPI documents leave the overlay without a file to apply to.
    let overlay =
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $.info, update: {title: x}}\n";
    let config = "name: pets\nspecs: [pets.yaml, more/other.yaml]\noverlays: [fix/o.yaml]\n";
    let files = [("pets.yaml", SPEC), ("more/other.yaml", OTHER), ("fix/o.yaml", overlay)];
    let result = generate(config, &files);
    let diagnostics = result.expect_err("fails").0;
    assert_eq!(
        diagnostics.iter().map(line).collect::<Vec<_>>(),
        [
            "api/fix/o.yaml:1:1 (#) the overlay has no `extends`, and the config lists several OpenAPI documents: `../more/other.yaml`, `../pets.yaml`"
        ]
    );
    assert_eq!(
        diagnostics[0].expected.as_deref(),
        Some("`extends:` naming the one the overlay applies to, relative to this overlay")
    );
    // Named relative to the overlay, either applies.
    let overlay = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: ../pets.yaml\nactions:\n  - {target: $.components.schemas.Pet.properties.Legacy, remove: true}\n";
    let files = [("pets.yaml", SPEC), ("more/other.yaml", OTHER), ("fix/o.yaml", overlay)];
    let lib = generate(config, &files).unwrap();
    assert_eq!(field(types(&lib), "legacy"), None);
}

#[test]
fn overlay_files_are_read_under_the_spec_root_and_reported_at_the_config() {
    let config = "name: pets\nspecs: [pets.yaml]\noverlays: [../o.yaml, missing.yaml]\n";
    let lines = errors(generate(config, &[("pets.yaml", SPEC)]));
    assert_eq!(lines, ["api/codegen.yaml:3:12 (#/overlays/0) `../o.yaml` lies outside the spec root `api`"]);
    let config = "name: pets\nspecs: [pets.yaml]\noverlays: [missing.yaml]\n";
    let lines = errors(generate(config, &[("pets.yaml", SPEC)]));
    assert_eq!(lines, ["api/codegen.yaml:3:12 (#/overlays/0) cannot read `api/missing.yaml`: no such file"]);
    let lines = errors(generate("name: pets\nspecs: [pets.yaml]\noverlays: {a: b}\n", &[("pets.yaml", SPEC)]));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("api/codegen.yaml:3:11 (#/overlays) "), "{lines:?}");
}

#[test]
fn hostile_overlays_stay_bounded() {
    // An update copied into every node of a document: bounded by `limits.alias_nodes`.
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $..*
    update: {a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
";
    let small = "name: pets\nspecs: [pets.yaml]\noverlays: [o.yaml]\nlimits: {alias_nodes: 100}\n";
    let lines = errors(generate(small, &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(
        lines,
        ["api/o.yaml:5:13 (#/actions/0/update) overlay updates add more than 100 nodes to `api/pets.yaml`"]
    );
    // Nesting deeper than the limit.
    let shallow = "name: pets\nspecs: [pets.yaml]\noverlays: [o.yaml]\nlimits: {depth: 10}\n";
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.components.schemas.Pet.properties.Id
    update: {x: {y: {z: {w: {v: {u: 1}}}}}}
";
    let lines = errors(generate(shallow, &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(
        lines,
        ["api/o.yaml:5:13 (#/actions/0/update) the update would nest the document deeper than 10 levels"]
    );
    // A value appended to a list lands one level below it: 4 + 1 + 6 levels.
    let overlay = "overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.components.schemas.PetPage.required
    update: {a: {b: {c: {d: {e: {f: 1}}}}}}
";
    let lines = errors(generate(shallow, &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(
        lines,
        ["api/o.yaml:5:13 (#/actions/0/update) the update would nest the document deeper than 10 levels"]
    );
    // Expressions that would cost a query per node per node are refused before parsing.
    let overlay =
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: '$..[?@..[?@..a]]', remove: true}\n";
    let lines = errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(
        lines,
        ["api/o.yaml:4:14 (#/actions/0/target) the target has more than 2 descendant segments (`..`, at character 12)"]
    );
    // Removing the document itself.
    let overlay = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $, remove: true}\n";
    let lines = errors(generate(&config("[o.yaml]"), &[("pets.yaml", SPEC), ("o.yaml", overlay)]));
    assert_eq!(lines, ["api/o.yaml:4:5 (#/actions/0) `remove` cannot remove the whole document"]);
}

/// The fixture API of `tests/fixtures/overlays/` as `cargo xtask codegen` reads one: its
/// `codegen.yaml`, read from the file system.
#[test]
fn the_fixture_overlays_from_files() {
    let root = triad_tests::root();
    let config =
        Config::from_file(&root.join("tests/fixtures/overlays/codegen.yaml"), "tests/fixtures/overlays/codegen.yaml")
            .map_err(Diagnostics::new)
            .unwrap();
    let provenance = Provenance { source: "tests/fixtures/overlays/codegen.yaml".into(), command: "test".into() };
    let files = triad::generate(&config, "tests/fixtures/overlays", &FsReader::new(&root), &provenance).unwrap().files;
    let lib = &files["kennel-types/src/lib.rs"];
    let dog = &lib[lib.find("pub struct Dog {").expect("Dog")..];
    let dog = &dog[..dog.find("\n}").expect("the struct ends")];
    assert_eq!(field(dog, "chip"), Some("pub chip: Option<String>,"));
    assert_eq!(field(dog, "name"), Some("pub name: String,"));
    assert_eq!(field(dog, "kind"), None);
    assert_eq!(field(dog, "owner"), Some("pub owner: Option<Owner>,"));
    assert_eq!(field_docs(dog, "weight"), ["/// In kilograms."]);
    assert!(lib.contains("/// A dog the kennel keeps.\n"), "{lib}");
    assert!(lib.contains("pub struct Owner {"), "{lib}");
    assert!(lib.contains("    Beagle,\n"), "{lib}");
    let client = &files["kennel-client/src/lib.rs"];
    assert!(client.contains("/// Adds a dog and returns it as stored.\n"), "{client}");
    assert!(client.contains("/// Lists the dogs of the kennel, a page at a time.\n"), "{client}");
}

/// `cargo xtask codegen --check` finds the output stale when only an overlay changed.
#[test]
fn a_changed_overlay_makes_the_output_stale() {
    let fixture = triad_tests::root().join("tests/fixtures/overlays");
    let scratch = tempfile::tempdir().unwrap();
    let api = scratch.path().join("spec/kennel");
    std::fs::create_dir_all(&api).unwrap();
    for name in ["codegen.yaml", "api.yaml", "docs.overlay.yaml", "fixes.overlay.yaml"] {
        std::fs::copy(fixture.join(name), api.join(name)).unwrap();
    }
    let out = scratch.path().join("generated");
    let files = xtask::generate_all(scratch.path()).unwrap();
    triad::sync::write(&out, &files).unwrap();
    assert!(triad::sync::diff(&out, &xtask::generate_all(scratch.path()).unwrap()).unwrap().is_empty());
    let docs = std::fs::read_to_string(api.join("docs.overlay.yaml")).unwrap();
    std::fs::write(api.join("docs.overlay.yaml"), docs.replace("Adds a dog", "Registers a dog")).unwrap();
    let drift = triad::sync::diff(&out, &xtask::generate_all(scratch.path()).unwrap()).unwrap();
    let drift: Vec<String> = drift.iter().map(ToString::to_string).collect();
    // The method's docs, and the body type's, which name the operations that use it.
    assert_eq!(drift, ["stale:   kennel-client/src/lib.rs", "stale:   kennel-types/src/lib.rs"]);
}

fn corpus() -> Option<PathBuf> {
    let base = std::env::var_os("TRIAD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| triad_tests::root().join("../shared/corpus"));
    let dir = base.join("mews-connector");
    dir.is_dir().then_some(dir)
}

/// An overlay on Mews' own published files (read in place): prose reaches the client's docs,
/// and a property an overlay removes leaves the generated type.
#[test]
fn an_overlay_on_the_published_mews_connector_api() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: the Mews Connector corpus (../shared/corpus/mews-connector) is not here");
        return;
    };
    let names = [
        "billing.yml",
        "configuration.yml",
        "customers.yml",
        "operations.yml",
        "payments.yml",
        "pos.yml",
        "reservations.yml",
        "resources.yml",
        "services.yml",
    ];
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|name| (name.to_string(), std::fs::read_to_string(dir.join(name)).expect("readable corpus file")))
        .collect();
    // `Bill` is defined in two files, which must stay identical: one overlay for each.
    let billing = "overlay: 1.0.0
info: {title: Our words for the bills, version: '1'}
extends: ../billing.yml
actions:
  - target: $.paths['/api/connector/v1/bills/getAll'].post
    update: {description: 'Lists bills of the enterprise, a page at a time.'}
  - target: $.components.schemas.Bill.properties.Notes
    remove: true
";
    let operations = billing
        .replace("extends: ../billing.yml", "extends: ../operations.yml")
        .replace("  - target: $.paths['/api/connector/v1/bills/getAll'].post\n    update: {description: 'Lists bills of the enterprise, a page at a time.'}\n", "");
    let config = format!(
        "name: mews-connector\nspecs: [{}]\noverlays: [ours/billing.yaml, ours/operations.yaml]\ncrates: {{server: {{enabled: false}}}}\n",
        names.join(", ")
    );
    let mut files: Vec<(&str, &str)> = texts.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let plain = generate(&config.replace("overlays: [ours/billing.yaml, ours/operations.yaml]\n", ""), &files).unwrap();
    // One of the two alone makes the files disagree about `Bill`.
    let mut alone = files.clone();
    alone.push(("ours/billing.yaml", billing));
    let lines = errors(generate(&config.replace(", ours/operations.yaml", ""), &alone));
    assert!(lines[0].ends_with("schema `Bill` is defined twice with different content"), "{lines:?}");
    files.push(("ours/billing.yaml", billing));
    files.push(("ours/operations.yaml", &operations));
    let overlaid = generate(&config, &files).unwrap();
    let (types_before, types_after) =
        (&plain["mews-connector-types/src/lib.rs"], &overlaid["mews-connector-types/src/lib.rs"]);
    let bill = |lib: &str| {
        let start = lib.find("pub struct Bill {").expect("a Bill struct");
        let end = start + lib[start..].find("\n}").expect("the struct ends");
        lib[start..end].to_owned()
    };
    assert!(bill(types_before).contains("pub notes: "), "{}", bill(types_before));
    assert!(!bill(types_after).contains("pub notes: "), "{}", bill(types_after));
    let client = &overlaid["mews-connector-client/src/lib.rs"];
    let method = client.find("pub async fn bills_get_all(").expect("the bills_getAll method");
    let docs = &client[..method];
    let summary = docs.rfind("/// Lists bills of the enterprise, a page at a time.").expect("the overlay's summary");
    assert!(!docs[summary..].contains("pub async fn"), "the summary documents bills_get_all");
    assert!(!plain["mews-connector-client/src/lib.rs"].contains("Lists bills of the enterprise, a page at a time."));
}
