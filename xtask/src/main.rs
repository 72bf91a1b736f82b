//! `cargo xtask codegen [--check]`: regenerate the model from `docs/schema/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = xtask::workspace_root();
    let result = match args.as_slice() {
        ["codegen"] => xtask::codegen::write(&root).map(|written| {
            for path in written {
                eprintln!("wrote {path}");
            }
        }),
        ["codegen", "--check"] => xtask::codegen::check(&root),
        _ => Err("usage: cargo xtask codegen [--check]".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
