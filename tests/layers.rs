//! The arrows between modules run one way: domain ← store, merge, watchdog ←
//! engine ← runtime, swarm ← tui, cli. Each module's source is read and no
//! line of code in it may name a module above it.

use std::path::{Path, PathBuf};

/// A module (a folder under `src/` or a file `src/<name>.rs`) and the
/// modules it must never import.
const RULES: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "store", "merge", "watchdog", "engine", "runtime", "swarm", "tui", "cli",
        ],
    ),
    ("redact", &["engine", "runtime", "swarm", "tui", "cli"]),
    (
        "store",
        &["merge", "engine", "runtime", "swarm", "tui", "cli"],
    ),
    (
        "merge",
        &["store", "engine", "runtime", "swarm", "tui", "cli"],
    ),
    ("watchdog", &["engine", "runtime", "swarm", "tui", "cli"]),
    ("engine", &["runtime", "swarm", "tui", "cli"]),
    ("config", &["runtime", "swarm", "tui", "cli"]),
    ("runtime", &["engine", "swarm", "tui", "cli"]),
    ("swarm", &["tui", "cli"]),
];

fn sources(at: &Path, out: &mut Vec<PathBuf>) {
    if at.is_file() {
        out.push(at.to_path_buf());
        return;
    }
    let Ok(dir) = std::fs::read_dir(at) else {
        return;
    };
    for entry in dir.flatten() {
        let p = entry.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::<module>` a line of code names (comments left out).
fn named_modules(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .map(|(i, m)| {
            let rest = &code[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// (file:line, the module it names) for every import against the arrows.
fn violations(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (module, forbidden) in RULES {
        let mut files = Vec::new();
        sources(&src.join(module), &mut files);
        sources(&src.join(format!("{module}.rs")), &mut files);
        assert!(!files.is_empty(), "src/{module} has no sources");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a readable source");
            for (n, line) in text.lines().enumerate() {
                for named in named_modules(line) {
                    if forbidden.contains(&named) {
                        found.push(format!(
                            "{}:{}: {module} imports {named}",
                            file.display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn imports_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports against the arrows:\n{}",
        found.join("\n")
    );
}

#[test]
fn an_import_against_the_arrows_is_found() {
    // The check itself: a runtime file that names the engine is caught.
    let dir = std::env::temp_dir().join(format!("shiftboss-layers-{}", std::process::id()));
    for (module, _) in RULES {
        std::fs::create_dir_all(dir.join(module)).unwrap();
        std::fs::write(
            dir.join(module).join("mod.rs"),
            "// crate::cli in a comment\n",
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("runtime").join("adapter.rs"),
        "use crate::domain::SessionId;\nuse crate::engine::Input;\n",
    )
    .unwrap();
    let found = violations(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].ends_with("adapter.rs:2: runtime imports engine"),
        "{found:?}"
    );
}
