//! The structure rules (`xtask::structure`): first the reader on small crates written here, so
//! each rule is seen to catch what it names; then the workspace itself.

use std::path::{Path, PathBuf};

use xtask::structure::{self, Graph};

/// Writes `files` (path under `src/`, text) into a fresh crate directory and returns its `src/`.
fn crate_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("structure")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join("src").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir.join("src")
}

fn edges(graph: &Graph) -> Vec<(String, String)> {
    graph
        .edges
        .keys()
        .map(|(a, b)| (a.display().to_string(), b.display().to_string()))
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

#[test]
fn a_use_in_each_direction_is_a_cycle_named_with_its_lines() {
    let src = crate_with(
        "two_way",
        &[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a.rs", "use crate::b::B;\npub(crate) struct A(B);\n"),
            (
                "b.rs",
                "pub(crate) struct B;\n\nfn f() -> crate::a::A { todo!() }\n",
            ),
        ],
    );
    let graph = structure::graph(&src).unwrap();
    assert_eq!(
        edges(&graph),
        vec![pair("a.rs", "b.rs"), pair("b.rs", "a.rs")]
    );
    let cycles = structure::cycles(&graph);
    assert_eq!(cycles.len(), 1);
    let shown = cycles[0].to_string();
    assert!(
        shown.contains("a.rs:1 names `crate::b::B` -> b.rs"),
        "{shown}"
    );
    assert!(
        shown.contains("b.rs:3 names `crate::a::A` -> a.rs"),
        "{shown}"
    );
}

#[test]
fn one_way_imports_through_groups_super_and_child_modules_are_no_cycle() {
    let src = crate_with(
        "one_way",
        &[
            (
                "lib.rs",
                "mod commands;\nmod output;\npub use commands::run;\n",
            ),
            (
                "commands/mod.rs",
                "mod apply;\npub fn run() { apply::run() }\n",
            ),
            (
                "commands/apply.rs",
                "use crate::{output::{self, Printer}};\npub(crate) fn run() { super::super::output::print(); }\n",
            ),
            (
                "output.rs",
                "pub(crate) struct Printer;\npub(crate) fn print() {}\n#[cfg(test)]\nmod tests { use super::*; }\n",
            ),
        ],
    );
    let graph = structure::graph(&src).unwrap();
    assert_eq!(
        edges(&graph),
        vec![
            pair("commands/apply.rs", "output.rs"),
            pair("commands/mod.rs", "commands/apply.rs")
        ]
    );
    assert!(structure::cycles(&graph).is_empty());
}

#[test]
fn a_child_using_its_parents_item_closes_a_circle_with_the_parents_call() {
    let src = crate_with(
        "parent_child",
        &[
            ("main.rs", "mod reserve;\nfn main() { reserve::run() }\n"),
            (
                "reserve/mod.rs",
                "mod apply;\npub(crate) struct Shared;\npub(crate) fn run() { apply::run() }\n",
            ),
            (
                "reserve/apply.rs",
                "use super::Shared;\npub(crate) fn run() { let _ = Shared; }\n",
            ),
        ],
    );
    let graph = structure::graph(&src).unwrap();
    let cycles = structure::cycles(&graph);
    assert_eq!(cycles.len(), 1, "{:?}", edges(&graph));
    assert_eq!(cycles[0].steps.len(), 2);
    assert!(edges(&graph).contains(&pair("main.rs", "reserve/mod.rs")));
}

#[test]
fn paths_inside_macro_calls_count_and_the_roots_re_exports_do_not() {
    let src = crate_with(
        "macros",
        &[
            ("lib.rs", "mod a;\nmod b;\npub use a::A;\npub use b::B;\n"),
            (
                "a.rs",
                "pub struct A;\npub(crate) fn f() { println!(\"{:?}\", crate::b::value()); }\n",
            ),
            (
                "b.rs",
                "pub struct B;\npub(crate) fn value() -> u8 { 1 }\n// crate::a::A in a comment\nconst S: &str = \"crate::a::A\";\n",
            ),
        ],
    );
    let graph = structure::graph(&src).unwrap();
    assert_eq!(edges(&graph), vec![pair("a.rs", "b.rs")]);
}

#[test]
fn an_item_reached_through_the_roots_re_export_counts_for_the_root() {
    let src = crate_with(
        "root_item",
        &[
            (
                "lib.rs",
                "mod a;\npub use a::A;\npub struct Top;\nfn g() -> a::A { a::A }\n",
            ),
            (
                "a.rs",
                "pub struct A;\nfn f() -> crate::Top { crate::Top }\n",
            ),
        ],
    );
    let graph = structure::graph(&src).unwrap();
    assert_eq!(
        edges(&graph),
        vec![pair("a.rs", "lib.rs"), pair("lib.rs", "a.rs")]
    );
    assert_eq!(structure::cycles(&graph).len(), 1);
}

#[test]
fn no_crate_of_the_workspace_has_an_import_cycle_or_a_file_over_600_lines() {
    match structure::check(&xtask::workspace_root()) {
        Ok(summary) => eprintln!("{summary}"),
        Err(problems) => panic!("{problems}"),
    }
}
