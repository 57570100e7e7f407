//! The workspace's house rules, checked over the source text of every crate:
//!
//! - **No import loop inside a crate.** Files are nodes; a file that names an item of another
//!   file of its crate (`use crate::orders::X`, `super::kit::page`, `crate::views::mask(…)`,
//!   `use child::*`) has an edge to it. Edges from a file to a module that encloses it (its
//!   `mod.rs`, the crate root) are the module's shared imports, not a dependency between areas,
//!   and are left out; every other cycle fails with the names that tie it.
//! - **No file over 700 lines** outside tests and data (a file's `#[cfg(test)] mod tests` does
//!   not count), without exceptions: a file that grows past it is split by job.
//!
//! - **No user-facing sentence written as a `zh`/`en` pair in code** — two literals side by side,
//!   one Chinese and one English (`"已保存", "Saved"`), or one literal holding both
//!   (`"主办单位 / the subject"`): such text lives in a message catalogue, in every crate.
//!
//! - **SQL where the convention puts it** (ARCHITECTURE.md, "Where SQL lives"): the provider's
//!   in `beian-store` only; the regulator's in the module that owns the table, never in its
//!   HTTP, page or worker layer.
//!
//! - **A code map that names every file**: each crate's section of ARCHITECTURE.md has a line
//!   `- `path` — what it holds` for every source file of the crate.
//!
//! It reads text, as a reviewer would; a planted loop and a planted long file show that it can
//! fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

/// A crate's files by module path (`[]` is the root, `["ui", "admin"]` is `ui/admin/mod.rs`).
struct Tree {
    files: BTreeMap<Vec<String>, (PathBuf, String)>,
}

fn module_path(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    match stem {
        "lib" | "main" if parts.is_empty() => {}
        "mod" => {}
        s => parts.push(s.to_owned()),
    }
    Some(parts)
}

/// The text of a file without its test module (everything from `#[cfg(test)]` followed by a
/// `mod` line on).
fn without_tests(text: &str) -> &str {
    let mut at = 0;
    while let Some(i) = text[at..].find("#[cfg(test)]") {
        let start = at + i;
        let rest = text[start + "#[cfg(test)]".len()..].trim_start();
        if rest.starts_with("mod ") || rest.starts_with("pub mod ") {
            return &text[..start];
        }
        at = start + 1;
    }
    text
}

fn read_tree(src: &Path) -> Tree {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
                && let Some(m) = module_path(src, &path)
            {
                let text = std::fs::read_to_string(&path).unwrap();
                files.insert(m, (path, text));
            }
        }
    }
    Tree { files }
}

/// Expands one `use` tree (`crate::{a, b::{c, d}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let (Some(open), Some(close)) = (tree.find('{'), tree.rfind('}')) else { return vec![tree.to_owned()] };
    if close < open {
        return vec![tree.to_owned()];
    }
    let prefix = &tree[..open];
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(&format!("{prefix}{}", p.trim())))
        .collect()
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The code of a file without its line comments (doc comments name modules without
/// depending on them); a `//` right after a `:` is a URL, not a comment.
fn without_comments(code: &str) -> String {
    code.lines()
        .map(|l| {
            let mut at = 0;
            while let Some(i) = l[at..].find("//") {
                let start = at + i;
                if !l[..start].ends_with(':') {
                    return &l[..start];
                }
                at = start + 2;
            }
            l
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names that may point into its crate: `use` trees, and inline
/// `crate::…` / `super::…` paths.
fn named_paths(code: &str) -> Vec<String> {
    let code = &without_comments(code);
    let mut out = Vec::new();
    for stmt in code.split(';') {
        let s = stmt.trim_start();
        let s = s.strip_prefix("pub(crate) ").or_else(|| s.strip_prefix("pub(super) ")).unwrap_or(s);
        let s = s.strip_prefix("pub ").unwrap_or(s);
        if let Some(rest) = s.strip_prefix("use ") {
            out.extend(expand(&rest.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
    }
    for key in ["crate::", "super::"] {
        let mut at = 0;
        while let Some(i) = code[at..].find(key) {
            let start = at + i;
            at = start + key.len();
            if code[..start].chars().next_back().is_some_and(|c| ident_char(c) || c == ':') {
                continue;
            }
            let end =
                code[start..].find(|c: char| !(ident_char(c) || c == ':')).map_or(code.len(), |e| start + e);
            out.push(code[start..end].trim_end_matches(':').to_owned());
        }
    }
    out
}

/// The module a path names, from the module `here` (whose children are `kids`): the longest
/// prefix that is a file of the crate.
fn resolve(tree: &Tree, here: &[String], kids: &BTreeSet<String>, path: &str) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").map(str::trim).filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segs.first().copied() {
        Some("crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some("super") => {
            let mut b = here.to_vec();
            while segs.first() == Some(&"super") {
                segs.remove(0);
                b.pop()?;
            }
            b
        }
        Some("self") => {
            segs.remove(0);
            here.to_vec()
        }
        Some(first) if kids.contains(first) => here.to_vec(),
        _ => return None,
    };
    let mut found = tree.files.contains_key(&base).then(|| base.clone());
    for s in segs {
        base.push(s.to_owned());
        if tree.files.contains_key(&base) {
            found = Some(base.clone());
        } else {
            break;
        }
    }
    found
}

/// Import edges between files, without the edges to enclosing modules, with the names that make
/// each.
fn edges(tree: &Tree) -> BTreeMap<(Vec<String>, Vec<String>), BTreeSet<String>> {
    let mut out: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    for (here, (_, text)) in &tree.files {
        let code = without_tests(text);
        let kids: BTreeSet<String> = code
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let l = l.strip_prefix("pub(crate) ").or_else(|| l.strip_prefix("pub(super) ")).unwrap_or(l);
                let l = l.strip_prefix("pub ").unwrap_or(l);
                l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
            })
            .collect();
        for path in named_paths(code) {
            let Some(to) = resolve(tree, here, &kids, &path) else { continue };
            if to == *here || here.starts_with(&to) {
                continue;
            }
            out.entry((here.clone(), to)).or_default().insert(path);
        }
    }
    out
}

/// The strongly connected groups of more than one file (Tarjan).
fn loops(
    nodes: &[Vec<String>],
    edges: &BTreeMap<(Vec<String>, Vec<String>), BTreeSet<String>>,
) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(
        v: &'a Vec<String>,
        adj: &BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>,
        s: &mut State<'a>,
    ) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        for &w in adj.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, adj, s);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                s.out.push(group);
            }
        }
    }
    let mut adj: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        adj.entry(from).or_default().push(to);
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(v, &adj, &mut s);
        }
    }
    s.out
}

/// The loops of one crate's `src`, described with the names that tie them.
fn crate_loops(src: &Path) -> Vec<String> {
    let tree = read_tree(src);
    let edges = edges(&tree);
    let nodes: Vec<Vec<String>> = tree.files.keys().cloned().collect();
    loops(&nodes, &edges)
        .into_iter()
        .map(|group| {
            let name = |m: &Vec<String>| tree.files[m].0.strip_prefix(src).unwrap().display().to_string();
            let ties: Vec<String> = edges
                .iter()
                .filter(|((a, b), _)| group.contains(a) && group.contains(b))
                .map(|((a, b), names)| format!("{} -> {}: {:?}", name(a), name(b), names))
                .collect();
            format!("{}: {}", src.display(), ties.join("; "))
        })
        .collect()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap().to_path_buf()
}

fn crate_sources() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn no_crate_has_an_import_loop() {
    let mut found = Vec::new();
    let mut files = 0;
    for src in crate_sources() {
        files += read_tree(&src).files.len();
        found.extend(crate_loops(&src));
    }
    assert!(files > 100, "the check read the workspace ({files} files)");
    assert!(found.is_empty(), "import loops:\n{}", found.join("\n"));
}

#[test]
fn no_file_is_over_the_line_limit() {
    let root = workspace();
    let mut over = Vec::new();
    for src in crate_sources() {
        for (path, text) in read_tree(&src).files.values() {
            let rel = path.strip_prefix(&root).unwrap().display().to_string();
            let lines = without_tests(text).lines().count();
            if lines > MAX_LINES {
                over.push(format!("{rel}: {lines} lines"));
            }
        }
    }
    assert!(over.is_empty(), "files over {MAX_LINES} lines (split them by job):\n{}", over.join("\n"));
}

/// The string literals of `code` (comments already removed), in order, with where each ends and
/// the next begins.
fn literals(code: &str) -> Vec<(usize, usize, String)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                // A char literal ('"', '\'') is skipped; a lifetime has no closing quote nearby.
                let close = if b.get(i + 1) == Some(&b'\\') { i + 3 } else { i + 2 };
                i = if b.get(close) == Some(&b'\'') { close + 1 } else { i + 1 };
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push((start, i + 1, code[start + 1..i.min(code.len())].to_owned()));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

fn is_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn is_english(s: &str) -> bool {
    !is_chinese(s) && s.chars().filter(char::is_ascii_alphabetic).count() >= 2 && s.contains(' ')
}

/// The `zh`/`en` pairs written in `code`.
fn inline_pairs(code: &str) -> Vec<String> {
    let lits = literals(code);
    let mut found = Vec::new();
    for w in lits.windows(2) {
        let ((_, end, a), (start, _, b)) = (&w[0], &w[1]);
        let between: String = code[*end..*start]
            .replace(".into()", "")
            .replace(".to_owned()", "")
            .replace("format!(", "")
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '&' | ')' | '('))
            .collect();
        if between == "," && ((is_chinese(a) && is_english(b)) || (is_english(a) && is_chinese(b))) {
            found.push(format!("\"{a}\", \"{b}\""));
        }
    }
    for (_, _, l) in &lits {
        if let Some((x, y)) = l.split_once(" / ")
            && ((is_chinese(x) && !is_chinese(y) && y.chars().any(|c| c.is_ascii_alphabetic()))
                || (is_chinese(y) && !is_chinese(x) && x.chars().any(|c| c.is_ascii_alphabetic())))
        {
            found.push(format!("\"{l}\""));
        }
    }
    found
}

#[test]
fn no_user_facing_text_is_written_as_a_pair_in_code() {
    let mut found = Vec::new();
    let mut checked = 0;
    for src in crate_sources() {
        for (path, text) in read_tree(&src).files.values() {
            checked += 1;
            for pair in inline_pairs(&without_comments(without_tests(text))) {
                found.push(format!("{}: {pair}", path.display()));
            }
        }
    }
    assert!(checked > 50, "the check read the pages and the use cases ({checked} files)");
    assert!(found.is_empty(), "texts to move to a message catalogue:\n{}", found.join("\n"));
}

/// The regulator's files that serve requests or run the queue: they call the modules that own
/// the tables.
const REGULATOR_EDGE: &[&str] =
    &["console.rs", "pages.rs", "http.rs", "router.rs", "service.rs", "worker.rs", "openapi.rs"];

#[test]
fn sql_lives_where_the_convention_puts_it() {
    let mut found = Vec::new();
    for src in crate_sources() {
        let krate = src.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        for (path, text) in read_tree(&src).files.values() {
            let name = path.file_name().unwrap().to_string_lossy();
            let edge = match krate.as_str() {
                "beian-store" => false,
                "beian-regulator" => name.ends_with("_api.rs") || REGULATOR_EDGE.contains(&name.as_ref()),
                _ => true,
            };
            if edge && without_comments(without_tests(text)).contains("sqlx::") {
                found.push(path.display().to_string());
            }
        }
    }
    assert!(found.is_empty(), "SQL outside its home:\n{}", found.join("\n"));
}

/// The `.rs` files under `dir`, as paths relative to `base`.
fn rust_files(base: &Path, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(base, &path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
    out
}

#[test]
fn the_code_map_names_every_source_file_in_its_crate_section() {
    let map = std::fs::read_to_string(workspace().join("ARCHITECTURE.md")).unwrap();
    let (mut missing, mut named) = (Vec::new(), 0);
    for src in crate_sources() {
        let krate = src.parent().unwrap();
        let name = krate.file_name().unwrap().to_string_lossy();
        let head = format!("### `crates/{name}`\n");
        let Some(start) = map.find(&head) else {
            missing.push(format!("the section {}", head.trim()));
            continue;
        };
        let section = &map[start + head.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        for file in rust_files(krate, &src) {
            if section.contains(&format!("\n- `{file}` — ")) {
                named += 1;
            } else {
                missing.push(format!("crates/{name}/{file}"));
            }
        }
    }
    assert!(named > 200, "the check read the code map ({named} files named)");
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map lacks a line for:\n{}", missing.join("\n"));
}

#[test]
fn the_pair_check_finds_pairs_and_leaves_one_language_alone() {
    let planted = r#"AppError::field("f", "CODE", "已保存。", "Saved, as typed.");
        let x = ("主办单位", "the subject");
        format!("网站{n} / website {n}");
        let y = "浙ICP备2026012345号"; let z = "ICP filing (备案) of a site";
        m.insert('"', "x"); t.get("wz.title");"#;
    let found = inline_pairs(planted);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|f| !f.contains("浙ICP") && !f.contains("wz.title")), "{found:?}");
}

#[test]
fn the_checks_find_a_planted_loop_and_leave_a_module_and_its_children_alone() {
    let dir = std::env::temp_dir().join(format!("beian-house-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("ui/admin")).unwrap();
    let write = |p: &str, t: &str| std::fs::write(src.join(p), t).unwrap();
    write("lib.rs", "mod orders;\nmod review;\nmod ui;\npub struct App;\n");
    // A module's children using its shared imports, and the module using its children: no loop.
    write("ui/mod.rs", "mod admin;\nuse crate::App;\npub(super) use admin::page;\n");
    write("ui/admin/mod.rs", "mod kit;\nuse kit::*;\npub fn page() {}\n");
    write("ui/admin/kit.rs", "use super::super::*;\npub use crate::App;\n");
    write("orders.rs", "use crate::App;\npub fn submit() {}\n");
    write("review.rs", "use crate::{App, orders::submit};\npub fn approve() {}\n");
    assert_eq!(crate_loops(&src), Vec::<String>::new());
    // orders → review → orders, the second edge inline and inside a group.
    write("orders.rs", "use crate::App;\npub fn submit() { crate::review::approve(); }\n");
    let found = crate_loops(&src);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("orders.rs -> review.rs") && found[0].contains("review.rs -> orders.rs"),
        "{found:?}"
    );
    // A test module's imports do not count.
    write("orders.rs", "use crate::App;\n#[cfg(test)]\nmod tests { use crate::review::approve; }\n");
    assert_eq!(crate_loops(&src), Vec::<String>::new());
    assert_eq!(without_tests(&"x\n".repeat(800)).lines().count(), 800);
    std::fs::remove_dir_all(&dir).unwrap();
}
