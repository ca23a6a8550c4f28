//! The examples in the docs and READMEs compile for a user whose only
//! dependency is this crate (or framing-std): they name the `heapless` the
//! crate re-exports, `framing_core::heapless`, not a `heapless` of their
//! own. Doctests cannot show it, as they see every dependency of the crate.

use std::fs;
use std::path::{Path, PathBuf};

/// The code blocks of a Markdown text, or of the doc comments of a Rust
/// file: (first line number, text).
fn code_blocks(path: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap();
    let rust = path.extension().is_some_and(|e| e == "rs");
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = if rust {
            let t = line.trim_start();
            match t.strip_prefix("///").or_else(|| t.strip_prefix("//!")) {
                Some(doc) => doc.strip_prefix(' ').unwrap_or(doc),
                None => continue,
            }
        } else {
            line
        };
        if let Some(fence) = line.trim_start().strip_prefix("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None if fence.is_empty() || fence.starts_with("rust") => {
                    open = Some((i + 1, String::new()));
                }
                // ```text, ```toml: not code.
                None => open = Some((i + 1, String::from("\u{0}skip"))),
            }
            continue;
        }
        if let Some((_, block)) = &mut open {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks.retain(|(_, b)| !b.starts_with('\u{0}'));
    blocks
}

/// Where `block` names `heapless::` without having it from framing-core.
fn bare_heapless(block: &str) -> Option<usize> {
    let imported = block.lines().any(|l| {
        let l = l.trim_start().trim_start_matches("# ");
        l.starts_with("use framing_core::heapless")
            || (l.starts_with("use framing_core::{") && l.contains("heapless"))
            || (l.starts_with("use framing_std::framing_core::") && l.contains("heapless"))
    });
    if imported {
        return None;
    }
    block
        .match_indices("heapless::")
        .map(|(at, _)| at)
        .find(|&at| !block[..at].ends_with("framing_core::"))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn examples_name_heapless_through_framing_core() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("..");
    let mut files = vec![here.join("README.md")];
    sources(&here.join("src"), &mut files);
    // The workspace around this crate, when it is there (not in a package).
    for readme in ["README.md", "framing-std/README.md"] {
        if root.join(readme).is_file() {
            files.push(root.join(readme));
        }
    }
    sources(&root.join("framing-std/src"), &mut files);
    sources(&root.join("framing-std/examples"), &mut files);

    let mut bad = Vec::new();
    let mut checked = 0;
    for file in &files {
        for (line, block) in code_blocks(file) {
            checked += 1;
            if let Some(at) = bare_heapless(&block) {
                let near = block[at..].lines().next().unwrap_or("");
                bad.push(format!("{}:{line}: {near}", file.display()));
            }
        }
    }
    assert!(checked > 50, "only {checked} code blocks found");
    assert!(
        bad.is_empty(),
        "examples naming `heapless::` (a user without heapless of their own needs \
         `framing_core::heapless::`):\n{}",
        bad.join("\n")
    );
}
