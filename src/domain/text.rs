//! Small text helpers both faces share: sizes, file names, short function names.

/// A human size: `0 B`, `512 B`, `1.5 KiB`, `20.0 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A file name from a key segment: path separators, controls and `..` cannot escape.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == '\0' || super::sanitize::is_unsafe_char(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "object".to_string()
    } else {
        cleaned
    }
}

/// The function's name without the `<stack>-` prefix (Serverless short name).
pub fn short_name<'a>(function: &'a str, prefix: &str) -> &'a str {
    function
        .strip_prefix(prefix)
        .filter(|s| !s.is_empty())
        .unwrap_or(function)
}
