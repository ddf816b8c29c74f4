#!/usr/bin/env bash
# Coverage-guided fuzzing of the generator with cargo-fuzz (libFuzzer). Not part of CI.
#
#   fuzz/run.sh                     # every target, FUZZ_TIME seconds each, one after another
#   fuzz/run.sh parse load          # only these targets
#   FUZZ_TIME=60 fuzz/run.sh        # shorter budget (seconds per target; default 600)
#   FUZZ_RUNS=1000000 fuzz/run.sh   # or stop each target after this many executions
#
# Targets (fuzz/fuzz_targets/): parse (bytes → node::parse), load (bytes as the entry file of
# a workspace → Workspace::load, then every $ref resolved), generate (structured API or `!` +
# spec text → triad::generate; diagnostics must lie inside the input) and deterministic (two
# runs on one input give the same bytes).
#
# Seeds are copied at run time into fuzz/seeds/ from tests/fixtures/, spec/ and, when present,
# the third-party corpus (TRIAD_CORPUS, default ../shared/corpus next to the repository);
# fuzz/seeds, fuzz/corpus and fuzz/artifacts are ignored by git and never committed.
# A crash is written to fuzz/artifacts/TARGET/; minimise it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz tmin -s none TARGET fuzz/artifacts/TARGET/crash-...
# and keep it as a regression test in tests/tests/fuzz_regressions.rs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$here"

# cargo-fuzz needs nightly-only flags (sanitizer, coverage instrumentation); the stable
# toolchain accepts them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# The generator is safe Rust: AddressSanitizer finds nothing there and halves the speed.
# SANITIZER=address brings it back.
sanitizer="${SANITIZER:-none}"
time_budget="${FUZZ_TIME:-600}"
runs="${FUZZ_RUNS:--1}"
corpus_src="${TRIAD_CORPUS:-$root/../shared/corpus}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse load generate deterministic)

# Seeds: every spec-like file up to 64 KiB (larger ones make each execution slow).
rm -rf seeds && mkdir -p seeds/text seeds/spec
seed_files() {
    for dir in "$root/tests/fixtures" "$root/spec" "$corpus_src"; do
        [ -d "$dir" ] && find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -size -65k
    done
}
i=0
while IFS= read -r file; do
    i=$((i + 1))
    cp "$file" "seeds/text/$i"
    # generate and deterministic read `!` + text as a spec.
    { printf '!'; cat "$file"; } > "seeds/spec/$i"
done < <(seed_files)
echo "seeded $i files"

cargo fuzz build -s "$sanitizer"

for target in "${targets[@]}"; do
    case "$target" in
        parse | load) seeds=seeds/text; extra=(-dict="$here/yaml.dict") ;;
        *) seeds=seeds/spec; extra=() ;;
    esac
    mkdir -p "corpus/$target"
    echo "== $target: ${time_budget}s, runs ${runs}"
    # One process at a time (-jobs is not used): the build machines have few cores.
    cargo fuzz run -s "$sanitizer" "$target" "corpus/$target" "$seeds" -- \
        -max_total_time="$time_budget" -runs="$runs" -rss_limit_mb=2048 -timeout=10 -max_len="${FUZZ_MAX_LEN:-16384}" \
        -print_final_stats=1 "${extra[@]}"
done
