//! The `latchkey` binary: see `latchkey --help`.
#![forbid(unsafe_code)]

/// mimalloc rather than glibc malloc (docs/benchmarks.md, "Allocator and build").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    latchkey_server::cli::main()
}
