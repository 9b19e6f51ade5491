//! Stack frames of Node, Python and Java errors, and the innermost frame of the application's
//! own code (runtime, standard-library and dependency frames are skipped).

/// One frame, as found in a stack trace.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Frame {
    /// `function (file)` without line and column, so an edit elsewhere keeps the fingerprint.
    shown: String,
    /// The file or class, to decide whether the frame is the application's.
    location: String,
    /// Python lists the innermost frame last; Node and Java first.
    innermost_last: bool,
}

/// The innermost application frame of a stack (lines separated by `\n` or `\r`), shown as
/// `function (file)` without line numbers; `None` when no frame is the application's.
pub fn top_application_frame(stack: &str) -> Option<String> {
    let frames: Vec<Frame> = stack.split(['\n', '\r']).filter_map(parse_frame).collect();
    let app = |f: &&Frame| !is_library(&f.location);
    let pick = if frames.first().is_some_and(|f| f.innermost_last) {
        frames.iter().rev().find(app)
    } else {
        frames.iter().find(app)
    };
    pick.map(|f| f.shown.clone())
}

fn parse_frame(line: &str) -> Option<Frame> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("File \"") {
        // Python: File "/var/task/app.py", line 10, in handler
        let (file, tail) = rest.split_once('"')?;
        let function = tail.rsplit_once(" in ").map_or("", |(_, f)| f.trim());
        return Some(Frame {
            shown: if function.is_empty() {
                file.to_string()
            } else {
                format!("{function} ({file})")
            },
            location: file.to_string(),
            innermost_last: true,
        });
    }
    let body = t.strip_prefix("at ").unwrap_or(t);
    if body.len() == t.len() && !looks_like_java_frame(body) {
        return None;
    }
    if let Some((function, loc)) = body.rsplit_once(" (") {
        // Node: at fn (file:///var/task/index.mjs:3:20)
        let loc = strip_line_col(loc.trim_end_matches(')'));
        return Some(Frame {
            shown: format!("{} ({loc})", function.trim()),
            location: loc.to_string(),
            innermost_last: false,
        });
    }
    if let Some((function, loc)) = body.split_once('(')
        && loc.ends_with(')')
    {
        // Java: com.example.Handler.handleRequest(Handler.java:20)
        let loc = strip_line_col(loc.trim_end_matches(')'));
        return Some(Frame {
            shown: format!("{function} ({loc})"),
            location: function.to_string(),
            innermost_last: false,
        });
    }
    // Node without a function name: at /var/task/index.js:3:20
    let loc = strip_line_col(body);
    (loc.contains('/') || loc.contains(':')).then(|| Frame {
        shown: loc.to_string(),
        location: loc.to_string(),
        innermost_last: false,
    })
}

/// `com.example.Handler.handleRequest(Handler.java:20)`, as Java lists frames in JSON.
fn looks_like_java_frame(s: &str) -> bool {
    let Some((function, loc)) = s.split_once('(') else {
        return false;
    };
    loc.ends_with(')')
        && function.contains('.')
        && !function.contains(' ')
        && (loc.contains(".java") || loc.contains(".kt") || loc.contains("Native Method"))
}

/// `file:///var/task/index.mjs:3:20` → `/var/task/index.mjs`.
fn strip_line_col(loc: &str) -> &str {
    let loc = loc.strip_prefix("file://").unwrap_or(loc);
    let mut end = loc;
    for _ in 0..2 {
        match end.rsplit_once(':') {
            Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => {
                end = head;
            }
            _ => break,
        }
    }
    end
}

fn is_library(location: &str) -> bool {
    const PATHS: &[&str] = &[
        "/var/runtime/",
        "/var/lang/",
        "node:",
        "internal/",
        "node_modules/",
        "/opt/nodejs/",
        "/opt/python/",
        "site-packages/",
        "dist-packages/",
        "<frozen",
        "bootstrap.py",
        "<anonymous>",
    ];
    const PACKAGES: &[&str] = &[
        "java.",
        "javax.",
        "jdk.",
        "sun.",
        "kotlin.",
        "lambdainternal.",
        "com.amazonaws.",
        "software.amazon.",
    ];
    location == "native"
        || PATHS.iter().any(|p| location.contains(p))
        || PACKAGES.iter().any(|p| location.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::node(
        "TypeError: x\n    at Runtime.handler (file:///var/task/index.mjs:3:20)\n    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)",
        Some("Runtime.handler (/var/task/index.mjs)")
    )]
    #[case::node_skips_dependencies(
        "Error: x\r    at parse (/var/task/node_modules/lib/p.js:1:2)\r    at exports.handler (/var/task/app.js:20:34)",
        Some("exports.handler (/var/task/app.js)")
    )]
    #[case::node_anonymous("Error\n    at /var/task/index.js:3:20", Some("/var/task/index.js"))]
    #[case::python_innermost_last(
        "Traceback (most recent call last):\n  File \"/var/task/app.py\", line 10, in handler\n    return load(e)\n  File \"/var/task/store.py\", line 4, in load\n    return e['id']\n  File \"/var/lang/lib/python3.12/json/__init__.py\", line 1, in loads\nKeyError: 'id'",
        Some("load (/var/task/store.py)")
    )]
    #[case::java(
        "java.lang.NullPointerException: boom\n\tat java.base/java.util.Objects.requireNonNull(Objects.java:209)\n\tat com.example.Handler.handleRequest(Handler.java:20)\n\tat lambdainternal.EventHandlerLoader.x(EventHandlerLoader.java:1)",
        Some("com.example.Handler.handleRequest (Handler.java)")
    )]
    #[case::java_json_entry(
        "com.example.Orders.create(Orders.java:42)\njava.base/jdk.internal.reflect.X.invoke(Unknown Source)",
        Some("com.example.Orders.create (Orders.java)")
    )]
    #[case::only_runtime_frames(
        "Error: x\n    at Object.<anonymous> (/var/runtime/index.mjs:1:1)",
        None
    )]
    #[case::no_stack("just a message", None)]
    fn frames(#[case] stack: &str, #[case] want: Option<&str>) {
        assert_eq!(top_application_frame(stack).as_deref(), want);
    }

    #[test]
    fn line_numbers_do_not_matter() {
        let a = top_application_frame("E\n    at h (/var/task/a.js:3:20)");
        let b = top_application_frame("E\n    at h (/var/task/a.js:97:1)");
        assert_eq!(a, b);
    }
}
