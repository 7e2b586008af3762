//! The layering `host/src/lib.rs` states is the layering the code has: every module is on
//! the line, and none names (`crate::…`) a module on its own level or above it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The levels of the line in lib.rs, highest first: "`cli` → `http` → `web`, `wire` → …".
fn layers(lib: &str) -> Vec<Vec<String>> {
    let doc: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .collect();
    let start = doc
        .iter()
        .position(|l| l.starts_with("`cli` →"))
        .expect("lib.rs states its layering as a line starting \"`cli` →\"");
    let line = doc[start..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    line.split('→')
        .map(|level| {
            level
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The top-level modules a source file names through `crate::`, in paths and in use
/// trees (`crate::{a, b::c}` names `a` and `b`).
fn named_modules(source: &str) -> Vec<String> {
    let mut named = Vec::new();
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        if let Some(tree) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in tree.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            named.extend(items.iter().map(|i| ident(i.trim_start())));
        } else {
            named.push(ident(rest));
        }
    }
    named.retain(|n| !n.is_empty());
    named
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn sources(module: &str) -> Vec<PathBuf> {
    let mut files = vec![src().join(format!("{module}.rs"))];
    let mut dirs = vec![src().join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.retain(|f| f.exists());
    files
}

#[test]
fn no_module_names_one_above_it() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let modules: Vec<String> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    let level: BTreeMap<String, usize> = layers(&lib)
        .into_iter()
        .enumerate()
        .flat_map(|(i, names)| names.into_iter().map(move |n| (n, i)))
        .collect();
    let mut off_the_line: Vec<&String> =
        modules.iter().filter(|m| !level.contains_key(*m)).collect();
    off_the_line.extend(level.keys().filter(|m| !modules.contains(m)));
    assert!(
        off_the_line.is_empty(),
        "modules not (or no longer) on the layering line: {off_the_line:?}"
    );

    let mut upward = Vec::new();
    for module in &modules {
        for file in sources(module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for named in named_modules(&text) {
                if named != *module && level.get(&named).is_some_and(|&l| l <= level[module]) {
                    upward.push(format!(
                        "{} names crate::{named}",
                        file.strip_prefix(src()).unwrap().display()
                    ));
                }
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "against the layering in lib.rs:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_reader_of_use_trees_finds_every_module() {
    let source = "use crate::{\n    model::{self, Date},\n    runtime::Sandbox,\n};\nlet x = crate::clock::now();";
    assert_eq!(named_modules(source), ["model", "runtime", "clock"]);
    let lib = "//! Lower layers:\n//! `cli` → `http` → `web`, `wire` →\n//! `model`.\n//!\n";
    assert_eq!(
        layers(lib),
        [
            vec!["cli"],
            vec!["http"],
            vec!["web", "wire"],
            vec!["model"]
        ]
    );
}
