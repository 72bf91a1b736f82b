//! The workspace's structure rules, checked from the sources (`cargo xtask structure`, and
//! `xtask/tests/structure.rs` under `cargo test`):
//!
//! 1. **No file-level import cycle inside a crate.** Every `.rs` file under a crate's `src/` is
//!    a node. File `a` has an edge to file `b` when `a` names a path that reaches into the module
//!    file `b`: `crate::x::Y`, `super::…`, `self::child::…`, or a module declared in `a`, in a
//!    `use` tree or an inline path (macro calls included). A path counts for the deepest module
//!    *file* it reaches, so an item defined in `call/mod.rs` counts for `call/mod.rs`, and an
//!    item at the crate root for `lib.rs`/`main.rs`. `mod x;` declarations are not edges, nor are
//!    the crate root's public `use` items (its re-exports: the public API, not a dependency).
//! 2. **No source file over [`MAX_LINES`] lines**, outside `generated/` (written by the
//!    generator) and `tests/` directories.
//!
//! The reader is `syn`'s full parser, so strings, comments and doc tests never count as paths.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// The most lines a hand-written source file may have.
pub const MAX_LINES: usize = 600;

/// One reference from a file into another module file of the same crate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// The referring file, relative to the crate's `src/`.
    pub from: PathBuf,
    /// The file the path reaches, relative to the crate's `src/`.
    pub to: PathBuf,
    /// The line of the first such reference in `from`.
    pub line: usize,
    /// The path as written, `::`-joined.
    pub path: String,
}

/// The module files of one crate and the references between them.
#[derive(Debug, Default)]
pub struct Graph {
    /// Every module file, relative to `src/`.
    pub files: BTreeSet<PathBuf>,
    /// One edge per (from, to) pair: the first reference found.
    pub edges: BTreeMap<(PathBuf, PathBuf), Edge>,
}

/// A cycle: files that all reach each other, with one reference per step around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Every file of the circle: each reaches every other.
    pub files: Vec<PathBuf>,
    /// One loop through some of them, `a -> b -> … -> a`, as an example.
    pub steps: Vec<Edge>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
        write!(
            f,
            "  {} files: {}; for example:",
            files.len(),
            files.join(", ")
        )?;
        for step in &self.steps {
            f.write_str("\n")?;
            write!(
                f,
                "  {}:{} names `{}` -> {}",
                step.from.display(),
                step.line,
                step.path,
                step.to.display()
            )?;
        }
        Ok(())
    }
}

/// A module: the file it is written in (its own, or its parent's for an inline `mod x { … }`).
#[derive(Debug, Clone)]
struct Module {
    file: PathBuf,
}

/// Reads the crate whose sources are at `src` (its root `lib.rs` or `main.rs`) into a graph.
pub fn graph(src: &Path) -> Result<Graph, String> {
    let root = ["lib.rs", "main.rs"]
        .iter()
        .map(PathBuf::from)
        .find(|name| src.join(name).is_file())
        .ok_or_else(|| format!("{}: neither lib.rs nor main.rs", src.display()))?;
    let mut modules: BTreeMap<Vec<String>, Module> = BTreeMap::new();
    let mut parsed: BTreeMap<PathBuf, (Vec<String>, syn::File)> = BTreeMap::new();
    discover(src, &root, Vec::new(), true, &mut modules, &mut parsed)?;

    let mut graph = Graph {
        files: parsed.keys().cloned().collect(),
        ..Graph::default()
    };
    for (file, (module, ast)) in &parsed {
        let mut refs = Refs {
            module: module.clone(),
            found: Vec::new(),
            root: file == &root,
        };
        refs.items(&ast.items);
        for (path, line, base) in refs.found {
            let Some(target) = resolve(&modules, &base, &path) else {
                continue;
            };
            if &target == file {
                continue;
            }
            graph
                .edges
                .entry((file.clone(), target.clone()))
                .or_insert(Edge {
                    from: file.clone(),
                    to: target,
                    line,
                    path: path.join("::"),
                });
        }
    }
    Ok(graph)
}

/// Finds the module tree from `file` (module path `module`), reading each `mod x;` file.
fn discover(
    src: &Path,
    file: &Path,
    module: Vec<String>,
    owns_dir: bool,
    modules: &mut BTreeMap<Vec<String>, Module>,
    parsed: &mut BTreeMap<PathBuf, (Vec<String>, syn::File)>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(src.join(file))
        .map_err(|e| format!("{}: {e}", src.join(file).display()))?;
    let ast = syn::parse_file(&text).map_err(|e| format!("{}: {e}", src.join(file).display()))?;
    // The directory this file's child modules live in: `a/` for `a.rs`, `a/` for `a/mod.rs`.
    let dir = if owns_dir {
        file.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        file.with_extension("")
    };
    modules.insert(
        module.clone(),
        Module {
            file: file.to_path_buf(),
        },
    );
    let mut children = Vec::new();
    declared(src, &ast.items, file, &dir, &module, modules, &mut children);
    parsed.insert(file.to_path_buf(), (module, ast));
    for (child_module, child_file, child_owns_dir) in children {
        discover(
            src,
            &child_file,
            child_module,
            child_owns_dir,
            modules,
            parsed,
        )?;
    }
    Ok(())
}

/// Records the modules `items` declare: inline ones in `modules` at once (same file), file
/// ones in `children` to be read.
fn declared(
    src: &Path,
    items: &[syn::Item],
    file: &Path,
    dir: &Path,
    module: &[String],
    modules: &mut BTreeMap<Vec<String>, Module>,
    children: &mut Vec<(Vec<String>, PathBuf, bool)>,
) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        let name = m.ident.to_string();
        let mut path = module.to_vec();
        path.push(name.clone());
        let explicit = m.attrs.iter().find_map(|attr| {
            let syn::Meta::NameValue(nv) = &attr.meta else {
                return None;
            };
            if !nv.path.is_ident("path") {
                return None;
            }
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            else {
                return None;
            };
            Some(s.value())
        });
        match &m.content {
            Some((_, inner)) => {
                modules.insert(
                    path.clone(),
                    Module {
                        file: file.to_path_buf(),
                    },
                );
                declared(src, inner, file, &dir.join(&name), &path, modules, children);
            }
            None => {
                let (child, owns_dir) = match explicit {
                    Some(p) => (dir.join(p), true),
                    None if src.join(dir).join(format!("{name}.rs")).is_file() => {
                        (dir.join(format!("{name}.rs")), false)
                    }
                    None => (dir.join(&name).join("mod.rs"), true),
                };
                children.push((path, child, owns_dir));
            }
        }
    }
}

/// The module file that `path`, written in module `base`, reaches; `None` for paths outside the
/// crate (other crates, local names).
fn resolve(
    modules: &BTreeMap<Vec<String>, Module>,
    base: &[String],
    path: &[String],
) -> Option<PathBuf> {
    let mut at: Vec<String>;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            at = Vec::new();
            rest = &path[1..];
        }
        Some("self") | Some("super") => {
            at = base.to_vec();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => {}
                    "super" => {
                        at.pop()?;
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        Some(first) => {
            let mut child = base.to_vec();
            child.push(first.to_owned());
            if !modules.contains_key(&child) {
                return None;
            }
            at = base.to_vec();
        }
        None => return None,
    }
    for segment in rest {
        let mut next = at.clone();
        next.push(segment.clone());
        if modules.contains_key(&next) {
            at = next;
        } else {
            break;
        }
    }
    modules.get(&at).map(|m| m.file.clone())
}

/// Collects the paths a file names, each with its line and the module it is written in.
struct Refs {
    module: Vec<String>,
    found: Vec<(Vec<String>, usize, Vec<String>)>,
    root: bool,
}

impl Refs {
    fn items(&mut self, items: &[syn::Item]) {
        for item in items {
            self.visit_item(item);
        }
    }

    fn push(&mut self, path: Vec<String>, line: usize) {
        if !path.is_empty() {
            self.found.push((path, line, self.module.clone()));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let line = n.ident.span().start().line;
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                self.push(path, line);
            }
            syn::UseTree::Rename(r) => {
                let line = r.ident.span().start().line;
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.push(path, line);
            }
            syn::UseTree::Glob(g) => {
                let line = g.star_token.span.start().line;
                self.push(prefix.clone(), line);
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    /// `crate :: a :: b`, `super :: x`, `self :: y` sequences in a macro's tokens.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident)
                    if ident == "crate" || ident == "super" || ident == "self" =>
                {
                    let line = ident.span().start().line;
                    let mut path = vec![ident.to_string()];
                    let mut j = i + 1;
                    while let [
                        TokenTree::Punct(a),
                        TokenTree::Punct(b),
                        TokenTree::Ident(next),
                        ..,
                    ] = &trees[j.min(trees.len())..]
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        path.push(next.to_string());
                        j += 3;
                    }
                    if path.len() > 1 {
                        self.push(path, line);
                    }
                    i = j.max(i + 1);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Refs {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            let outer_root = self.root;
            self.module.push(m.ident.to_string());
            self.root = false;
            self.items(items);
            self.root = outer_root;
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if self.root && !matches!(u.vis, syn::Visibility::Inherited) {
            return; // the crate root's re-exports
        }
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let line = path.segments[0].ident.span().start().line;
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.push(segments, line);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }
}

/// The cycles of `graph`: one per strongly connected set of two or more files, each shown as one
/// loop through every file of the set that can be walked in order.
pub fn cycles(graph: &Graph) -> Vec<Cycle> {
    let mut next: BTreeMap<&PathBuf, Vec<&PathBuf>> = BTreeMap::new();
    for (from, to) in graph.edges.keys() {
        next.entry(from).or_default().push(to);
    }
    let components = strongly_connected(&graph.files, &next);
    components
        .into_iter()
        .filter(|set| set.len() > 1)
        .map(|set| Cycle {
            files: set.iter().map(|p| (*p).clone()).collect(),
            steps: loop_through(graph, &next, &set),
        })
        .collect()
}

/// Tarjan's algorithm, written with an explicit stack.
fn strongly_connected<'a>(
    files: &'a BTreeSet<PathBuf>,
    next: &BTreeMap<&'a PathBuf, Vec<&'a PathBuf>>,
) -> Vec<BTreeSet<&'a PathBuf>> {
    let mut index: BTreeMap<&PathBuf, usize> = BTreeMap::new();
    let mut low: BTreeMap<&PathBuf, usize> = BTreeMap::new();
    let mut on_stack: BTreeSet<&PathBuf> = BTreeSet::new();
    let mut stack: Vec<&PathBuf> = Vec::new();
    let mut out = Vec::new();
    let mut counter = 0;
    for start in files {
        if index.contains_key(start) {
            continue;
        }
        let mut work: Vec<(&PathBuf, usize)> = vec![(start, 0)];
        while let Some((node, child)) = work.pop() {
            if child == 0 {
                index.insert(node, counter);
                low.insert(node, counter);
                counter += 1;
                stack.push(node);
                on_stack.insert(node);
            }
            let successors = next.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&succ) = successors.get(child) {
                work.push((node, child + 1));
                if !index.contains_key(succ) {
                    work.push((succ, 0));
                } else if on_stack.contains(succ) {
                    let l = low[node].min(index[succ]);
                    low.insert(node, l);
                }
                continue;
            }
            if let Some(&(parent, _)) = work.last() {
                let l = low[parent].min(low[node]);
                low.insert(parent, l);
            }
            if low[node] == index[node] {
                let mut set = BTreeSet::new();
                while let Some(member) = stack.pop() {
                    on_stack.remove(member);
                    set.insert(member);
                    if member == node {
                        break;
                    }
                }
                out.push(set);
            }
        }
    }
    out
}

/// A shortest loop from the set's first file back to itself, inside the set.
fn loop_through(
    graph: &Graph,
    next: &BTreeMap<&PathBuf, Vec<&PathBuf>>,
    set: &BTreeSet<&PathBuf>,
) -> Vec<Edge> {
    let Some(&start) = set.iter().next() else {
        return Vec::new();
    };
    let mut came_from: BTreeMap<&PathBuf, &PathBuf> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut end = None;
    'search: while let Some(node) = queue.pop_front() {
        for &succ in next.get(node).map(Vec::as_slice).unwrap_or(&[]) {
            if !set.contains(succ) {
                continue;
            }
            if succ == start {
                end = Some(node);
                break 'search;
            }
            if !came_from.contains_key(succ) {
                came_from.insert(succ, node);
                queue.push_back(succ);
            }
        }
    }
    let Some(mut node) = end else {
        return Vec::new();
    };
    let mut hops = vec![(node, start)];
    while node != start {
        let prev = came_from[node];
        hops.push((prev, node));
        node = prev;
    }
    hops.reverse();
    hops.into_iter()
        .filter_map(|(a, b)| graph.edges.get(&(a.clone(), b.clone())).cloned())
        .collect()
}

/// Every crate of the workspace at `root` with its `src/` directory: `crates/*` and `xtask`.
pub fn crate_sources(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.push(root.join("xtask"));
    dirs.sort();
    for dir in dirs {
        let src = dir.join("src");
        if src.is_dir() {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((name, src));
        }
    }
    out
}

/// The hand-written source files over [`MAX_LINES`] lines under the crates of `root`, with their
/// line counts: every `.rs` file but those in `generated/`, `tests/` and `target/` directories.
pub fn long_files(root: &Path) -> Vec<(PathBuf, usize)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.join("crates"), root.join("xtask")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(name.to_str(), Some("generated" | "tests" | "target")) {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = std::fs::read_to_string(&path)
                    .map(|t| t.lines().count())
                    .unwrap_or(0);
                if lines > MAX_LINES {
                    let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                    out.push((shown, lines));
                }
            }
        }
    }
    out.sort();
    out
}

/// Both rules over the workspace at `root`: `Ok` with a summary, or every breach.
pub fn check(root: &Path) -> Result<String, String> {
    let mut problems = Vec::new();
    let mut files = 0;
    let mut edges = 0;
    for (name, src) in crate_sources(root) {
        let graph = graph(&src)?;
        files += graph.files.len();
        edges += graph.edges.len();
        for cycle in cycles(&graph) {
            problems.push(format!(
                "{name}: files import each other in a circle:\n{cycle}"
            ));
        }
    }
    for (path, lines) in long_files(root) {
        problems.push(format!(
            "{}: {lines} lines, over the {MAX_LINES} a hand-written file may have: split it by concept",
            path.display()
        ));
    }
    if problems.is_empty() {
        Ok(format!(
            "{files} module files, {edges} file-to-file imports, no cycle, none over {MAX_LINES} lines"
        ))
    } else {
        Err(problems.join("\n"))
    }
}
