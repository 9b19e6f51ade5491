//! The layers' import rules, checked on the source: `app/` and `ui/` take their types from
//! `domain/` and never reach into `aws/` or `cli/`.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn app_and_ui_import_nothing_from_aws_or_cli() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offending = Vec::new();
    let mut files = 0;
    for layer in ["app", "ui"] {
        for path in rust_files(&src.join(layer)) {
            files += 1;
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            for (i, line) in text.lines().enumerate() {
                let reaches_in = line.contains("crate::aws") || line.contains("crate::cli");
                if reaches_in {
                    let rel = path.strip_prefix(&src).unwrap_or(&path);
                    offending.push(format!("src/{}:{}: {}", rel.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        files > 10,
        "found only {files} files under src/app and src/ui"
    );
    assert!(
        offending.is_empty(),
        "app/ and ui/ must take their types from domain/, not aws/ or cli/:\n{}",
        offending.join("\n")
    );
}
