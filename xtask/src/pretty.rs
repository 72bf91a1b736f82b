//! Formats generated code with prettyplease: the same bytes on every toolchain, with no rustfmt
//! to run. `cargo fmt` leaves the generated directory alone (`#[rustfmt::skip] mod generated;`).

/// `header` (plain comments, which a syntax tree does not keep) followed by `source`, parsed and
/// pretty-printed.
pub(crate) fn format(header: &str, source: &str) -> Result<String, String> {
    let file = syn::parse_file(source)
        .map_err(|e| format!("the generator produced code that is not valid Rust: {e}"))?;
    Ok(format!("{header}{}", prettyplease::unparse(&file)))
}
