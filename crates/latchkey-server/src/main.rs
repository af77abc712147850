//! The `latchkey` binary: see `latchkey --help`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    latchkey_server::cli::main()
}
