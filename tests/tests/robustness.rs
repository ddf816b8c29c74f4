//! No input makes the generator panic: every fixture and flagship spec file, mutated many ways
//! (lines dropped, duplicated, swapped, characters replaced, text cut short), either generates
//! or is rejected with diagnostics that say where.

use std::panic::{AssertUnwindSafe, catch_unwind};

use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..1 + rng.below(3) {
        let n = lines.len();
        match rng.below(6) {
            0 if n > 1 => {
                lines.remove(rng.below(n));
            }
            1 => {
                let line = lines[rng.below(n)].clone();
                lines.insert(rng.below(n), line);
            }
            2 if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            3 => {
                let i = rng.below(n);
                let mut chars: Vec<char> = lines[i].chars().collect();
                if !chars.is_empty() {
                    let replacements = ['{', '}', '[', ':', '&', '*', '#', '\'', '"', ' ', 'x', '-', '$'];
                    let at = rng.below(chars.len());
                    chars[at] = replacements[rng.below(replacements.len())];
                }
                lines[i] = chars.into_iter().collect();
            }
            4 => {
                let cut = rng.below(n);
                lines.truncate(cut.max(1));
            }
            _ => {
                let i = rng.below(n);
                lines[i] = format!("  {}", lines[i]);
            }
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_specs_never_panic() {
    let root = triad_tests::root();
    let cases = [
        ("tests/fixtures", vec!["objects.yaml"]),
        ("tests/fixtures", vec!["unions.yaml"]),
        ("tests/fixtures", vec!["events.asyncapi.yaml"]),
        ("tests/fixtures/split", vec!["api.yaml", "parts/models.yaml", "parts/enums.yaml"]),
        ("spec/mews", vec!["websocket.asyncapi.yaml"]),
        ("spec/mews", vec!["connector.openapi.yaml", "schemas/webhooks.yaml", "schemas/common.yaml"]),
    ];
    let provenance = Provenance { source: "mutation".into(), command: "test".into() };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 2];
    for (dir, files) in cases {
        let texts: Vec<String> =
            files.iter().map(|f| std::fs::read_to_string(root.join(dir).join(f)).unwrap()).collect();
        // Every other file of the spec folder stays intact so references resolve.
        let mut base = MemoryReader::new();
        for entry in walk(&root.join(dir)) {
            let rel = entry.strip_prefix(root.join(dir)).unwrap().to_string_lossy().replace('\\', "/");
            base = base.with(&rel, &std::fs::read_to_string(&entry).unwrap());
        }
        for round in 0..120 {
            let victim = round % files.len();
            let mutated = mutate(&texts[victim], &mut rng);
            let reader = base.clone().with(files[victim], &mutated);
            let config = Config::for_name("mutant", vec![files[0].to_owned()]);
            let result = catch_unwind(AssertUnwindSafe(|| triad::generate(&config, "", &reader, &provenance)));
            match result {
                Err(_) => panic!("panic on {dir}/{} mutated as:\n{mutated}", files[victim]),
                Ok(Ok(_)) => outcomes[0] += 1,
                Ok(Err(diags)) => {
                    outcomes[1] += 1;
                    for d in &diags.0 {
                        assert!(!d.location.file.is_empty() && d.location.line >= 1, "{d}");
                    }
                }
            }
        }
    }
    // The mutations must exercise both paths.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(path);
        }
    }
    out
}
