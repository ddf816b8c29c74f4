//! The `triad` command: generate crates from a codegen config outside this repository, or
//! compare two versions of an API (`triad diff`). The commands live in [`triad::cli`].

// The same panic-free lints as the library's root: crate-level attributes cannot be shared
// between two crate roots.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use std::process::ExitCode;

// The generator allocates many small token trees; mimalloc makes that markedly cheaper.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A run is short: transparent huge pages only make the kernel zero 2 MiB at the first touch
    // of each of the allocator's arenas, which costs about as much system time as the whole
    // generation takes in user time.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    triad::cli::main()
}
