//! Pairs of spec versions for `triad diff`: real specs of the corpus edited the ways real
//! releases change them. The test suite checks `triad diff`'s verdict on each
//! (`tests/tests/diff.rs`); `cargo xtask semver-oracle` checks its Rust-API verdicts against
//! cargo-semver-checks run on the crates generated from both versions.

use std::path::{Path, PathBuf};

/// One pair: a spec file of the corpus, a config, and the edits that make the new version.
pub struct Pair {
    /// Short name (`enum-values`).
    pub name: &'static str,
    /// The spec file, relative to the corpus folder.
    pub spec: &'static str,
    /// The codegen config of both versions; `RUNTIME` stands for the runtime's folder.
    pub config: &'static str,
    /// Edits of the spec text: each anchor occurs exactly once and becomes its replacement.
    pub edits: Vec<(String, String)>,
}

/// The config of the provider's reservations file (44 operations): the provider's own fixes
/// (durations typed as date-times) and credentials in the body, as the flagship has them.
pub const MEWS_CONFIG: &str = "name: mews-reservations
specs: [reservations.yml]
null_means_absent: true
crates:
  types: {version: 0.4.2}
  client: {version: 1.3.0, runtime_path: RUNTIME}
  server: {version: 1.3.0, runtime_path: RUNTIME}
auth:
  body_fields: [ClientToken, AccessToken, Client]
overrides:
  RestrictionSetData.MinLength: {type: string, reason: 'an ISO 8601 duration'}
  RestrictionSetData.MaxLength: {type: string, reason: 'an ISO 8601 duration'}
  RestrictionSetData.MinAdvance: {type: string, reason: 'an ISO 8601 duration'}
  RestrictionSetData.MaxAdvance: {type: string, reason: 'an ISO 8601 duration'}
";

/// The config of the petstore.
pub const PETSTORE_CONFIG: &str = "name: petstore\nspecs: [petstore.yaml]\ncrates:\n  client: {runtime_path: RUNTIME}\n  server: {runtime_path: RUNTIME}\n";

const RESERVATIONS: &str = "mews-connector/reservations.yml";
const PETSTORE: &str = "petstore.yaml";

/// The head of the provider's `Reservation` schema, up to its first property.
const RESERVATION_HEAD: &str = "      - UpdaterProfileId\n      type: object\n      properties:\n        Id:\n          type: string\n          description: Unique identifier of the reservation.\n          format: uuid\n";

fn edit(anchor: &str, replacement: &str) -> (String, String) {
    (anchor.to_owned(), replacement.to_owned())
}

/// Every pair; `corpus` is read for edits that depend on the file (a whole path item removed).
pub fn pairs(corpus: &Path) -> Result<Vec<Pair>, String> {
    let reservations = std::fs::read_to_string(corpus.join(RESERVATIONS))
        .map_err(|e| format!("cannot read {}: {e}", corpus.join(RESERVATIONS).display()))?;
    let mews = |name, edits| Pair { name, spec: RESERVATIONS, config: MEWS_CONFIG, edits };
    let petstore = |name, edits| Pair { name, spec: PETSTORE, config: PETSTORE_CONFIG, edits };
    Ok(vec![
        mews("unchanged", vec![]),
        mews(
            "optional-field-added",
            vec![edit(
                RESERVATION_HEAD,
                &RESERVATION_HEAD.replace(
                    "      properties:\n",
                    "      properties:\n        GuestNote:\n          type: string\n          nullable: true\n",
                ),
            )],
        ),
        mews(
            "field-made-required",
            vec![edit(
                "    RoutingRuleFilterParameters:\n      title: RoutingRuleFilterParameters\n      required:\n",
                "    RoutingRuleFilterParameters:\n      title: RoutingRuleFilterParameters\n      required:\n      - CompanyIds\n",
            )],
        ),
        mews(
            "enum-values",
            vec![
                edit(
                    "      - PinCode\n      - RfidTag\n      type: string\n",
                    "      - PinCode\n      - RfidTag\n      - Barcode\n      type: string\n",
                ),
                edit(
                    "      - AllStayItems\n      - SelectedStayItems\n      type: string\n",
                    "      - AllStayItems\n      type: string\n",
                ),
            ],
        ),
        mews("operation-removed", vec![edit(&path_item(&reservations, "/api/connector/v1/sources/getAll")?, "")]),
        mews(
            "field-type-changed",
            vec![edit(
                RESERVATION_HEAD,
                &RESERVATION_HEAD
                    .replace(
                        "type: string\n          description: Unique",
                        "type: integer\n          description: Unique",
                    )
                    .replace("format: uuid", "format: int64"),
            )],
        ),
        petstore(
            "required-field-added",
            vec![edit(
                "        - id\n        - name\n      properties:\n",
                "        - id\n        - name\n        - born\n      properties:\n        born:\n          type: string\n          format: date\n",
            )],
        ),
        petstore("operation-renamed", vec![edit("operationId: showPetById", "operationId: getPet")]),
        petstore(
            "parameter-made-required",
            vec![edit(
                "          description: How many items to return at one time (max 100)\n          required: false\n",
                "          description: How many items to return at one time (max 100)\n          required: true\n",
            )],
        ),
        petstore("optional-field-removed", vec![edit("        tag:\n          type: string\n", "")]),
    ])
}

/// The text of one path item of a spec (`  /path:` up to the next path or `components:`).
fn path_item(text: &str, path: &str) -> Result<String, String> {
    let head = format!("  {path}:\n");
    let start = text.find(&head).ok_or_else(|| format!("no path item `{path}`"))?;
    let rest = &text[start + head.len()..];
    let end = [rest.find("\n  /"), rest.find("\ncomponents:")].into_iter().flatten().min().unwrap_or(rest.len());
    Ok(text[start..start + head.len() + end + 1].to_owned())
}

/// Writes the old and new version of a pair, each a folder with the spec file and
/// `codegen.yaml`, under `dir`; returns the two config paths. `runtime` replaces `RUNTIME`;
/// `version`, when given, replaces every crate version of the config.
pub fn write(
    pair: &Pair,
    corpus: &Path,
    dir: &Path,
    runtime: &Path,
    version: Option<&str>,
) -> Result<(PathBuf, PathBuf), String> {
    let text =
        std::fs::read_to_string(corpus.join(pair.spec)).map_err(|e| format!("cannot read {}: {e}", pair.spec))?;
    let mut new = text.clone();
    for (anchor, replacement) in &pair.edits {
        match new.matches(anchor.as_str()).count() {
            1 => new = new.replacen(anchor.as_str(), replacement, 1),
            n => return Err(format!("pair `{}`: an anchor occurs {n} times in {}: {anchor:?}", pair.name, pair.spec)),
        }
    }
    let mut config = pair.config.replace("RUNTIME", &runtime.display().to_string());
    if let Some(version) = version {
        config = config
            .replace("version: 0.4.2", &format!("version: {version}"))
            .replace("version: 1.3.0", &format!("version: {version}"));
        for kind in ["types", "client", "server"] {
            if !config.contains(&format!("  {kind}:")) {
                config.push_str(&format!("  {kind}: {{version: {version}}}\n"));
            } else if !config.contains(&format!("  {kind}: {{version")) {
                config = config.replace(&format!("  {kind}: {{"), &format!("  {kind}: {{version: {version}, "));
            }
        }
    }
    let file = Path::new(pair.spec).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mut configs = Vec::new();
    for (version, text) in [("old", &text), ("new", &new)] {
        let folder = dir.join(version);
        std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
        std::fs::write(folder.join(&file), text).map_err(|e| e.to_string())?;
        std::fs::write(folder.join("codegen.yaml"), &config).map_err(|e| e.to_string())?;
        configs.push(folder.join("codegen.yaml"));
    }
    let new = configs.pop().unwrap_or_default();
    let old = configs.pop().unwrap_or_default();
    Ok((old, new))
}
