//! `cargo xtask test [-- CARGO TEST ARGS]`: install what the tests need, then run them all;
//! `cargo xtask provision`: only the install step of `test` (what CI runs first, by name);
//! `cargo xtask codegen [--check]`: regenerate the model from `docs/schema/`;
//! `cargo xtask structure`: check that no crate's files import each other in a circle and that no
//! hand-written file is over 600 lines.

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
        ["test"] => xtask::suite::run(&root, &[]),
        ["test", "--", rest @ ..] => xtask::suite::run(&root, rest),
        ["provision"] => xtask::provision::ensure(&xtask::provision::Host::detect()),
        ["structure"] => xtask::structure::check(&root).map(|summary| println!("{summary}")),
        _ => Err(
            "usage: cargo xtask test [-- CARGO TEST ARGS] | provision | codegen [--check] | structure"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
