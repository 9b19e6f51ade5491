//! Errors in text-format log lines: the platform's REPORT / INIT_REPORT status, timeouts,
//! runtime crashes, Node's `ERROR\tInvoke Error` records, Python's `[ERROR]` lines and
//! tracebacks, Java exceptions, and application lines at level ERROR or FATAL.

use super::{
    Detected, ErrorKind, OOM_TYPE, TIMEOUT_TYPE, first_line, frames, is_init_type, json,
    runtime_kind,
};
use crate::domain::report::request_id_of;

/// The error in one text log message, if it is one.
pub fn detect(msg: &str) -> Option<Detected> {
    let t = msg.trim_start();
    if t.starts_with("REPORT ") {
        return report(t);
    }
    if t.starts_with("INIT_REPORT") || t.starts_with("RESTORE_REPORT") {
        return init_report(t);
    }
    if t.starts_with("START ") || t.starts_with("END ") || t.starts_with("INIT_START") {
        return None;
    }
    if let Some(pos) = t.find("Task timed out after") {
        return Some(Detected {
            kind: ErrorKind::Timeout,
            error_type: TIMEOUT_TYPE.into(),
            message: first_line(&t[pos..]),
            frame: None,
            request_id: request_id_of(t).map(str::to_string),
            generic: false,
        });
    }
    if let Some(d) = platform_line(t) {
        return Some(d);
    }
    if let Some(d) = prefixed(t) {
        return d;
    }
    if let Some(rest) = t
        .strip_prefix("[ERROR]")
        .or_else(|| t.strip_prefix("[CRITICAL]"))
    {
        return Some(python_unhandled(rest.trim_start(), t));
    }
    error_with_stack(t, None, ErrorKind::Runtime)
}

/// The token after `RequestId:`.
pub fn request_id_after(s: &str) -> Option<&str> {
    let mut tokens = s.split_whitespace();
    tokens.find(|t| *t == "RequestId:")?;
    tokens.next()
}

/// The value after a `Key:` field of a platform line (up to the next tab, or the next token).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(key)? + key.len()..];
    let rest = rest.trim_start_matches([' ', '\t']);
    let end = rest.find(['\t', '\n', ' ']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

fn report(line: &str) -> Option<Detected> {
    let status = field(line, "Status:")?;
    let request_id = request_id_after(line).map(str::to_string);
    let duration = field(line, "Duration:").and_then(|d| d.parse::<f64>().ok());
    if status == "timeout" {
        return Some(Detected {
            kind: ErrorKind::Timeout,
            error_type: TIMEOUT_TYPE.into(),
            message: json::timeout_message(duration),
            frame: None,
            request_id,
            generic: false,
        });
    }
    if status == "success" {
        return None;
    }
    let et = field(line, "Error Type:").unwrap_or("Runtime.Unknown");
    let kind = runtime_kind(et);
    let et = if kind == ErrorKind::OutOfMemory {
        OOM_TYPE
    } else {
        et
    };
    Some(Detected {
        kind,
        error_type: et.to_string(),
        message: format!("invocation {status}: {et}"),
        frame: None,
        request_id,
        generic: kind == ErrorKind::Runtime,
    })
}

fn init_report(line: &str) -> Option<Detected> {
    let status = field(line, "Status:")?;
    if status == "success" {
        return None;
    }
    let et = field(line, "Error Type:").unwrap_or("Runtime.InitError");
    let phase = field(line, "Phase:").unwrap_or("init");
    Some(Detected {
        kind: ErrorKind::Init,
        error_type: et.to_string(),
        message: format!("init {status} (phase {phase}): {et}"),
        frame: None,
        request_id: None,
        generic: true,
    })
}

/// The runtime's own crash lines.
fn platform_line(t: &str) -> Option<Detected> {
    let request_id = || request_id_after(t).map(str::to_string);
    let from = |needle: &str| t.find(needle).map(|p| first_line(&t[p..]));
    if let Some(message) = from("Runtime exited with error: signal: killed") {
        return Some(Detected {
            kind: ErrorKind::OutOfMemory,
            error_type: OOM_TYPE.into(),
            message,
            frame: None,
            request_id: request_id(),
            generic: false,
        });
    }
    if let Some(message) =
        from("Runtime exited").or_else(|| from("Process exited before completing request"))
    {
        return Some(Detected {
            kind: ErrorKind::Runtime,
            error_type: "Runtime.ExitError".into(),
            message,
            frame: None,
            request_id: request_id(),
            generic: true,
        });
    }
    if let Some(message) = from("Unable to import module") {
        return Some(Detected {
            kind: ErrorKind::Init,
            error_type: "Runtime.ImportModuleError".into(),
            message,
            frame: None,
            request_id: None,
            generic: false,
        });
    }
    None
}

/// Lines with the runtimes' prefix: Node's `time\trequest\tLEVEL\tmessage` and Python's
/// `[LEVEL]\ttime\trequest\tmessage` (tabs, or the runs of spaces some copies show).
/// `Some(None)`: a prefixed line that is no error (INFO, WARN, ...).
#[allow(clippy::option_option)] // None: no prefix, go on looking; Some(None): no error, stop
fn prefixed(t: &str) -> Option<Option<Detected>> {
    let fields: Vec<&str> = if t.contains('\t') {
        t.splitn(4, '\t').collect()
    } else {
        split_whitespace_n(t, 4)
    };
    if fields.len() < 3 {
        return None;
    }
    let is_time = |s: &str| s.len() >= 19 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T';
    let (level, request_id, body) = if is_time(fields[0]) {
        if fields.len() == 3 {
            // Old Node runtimes: time\trequest\tTypeError: ... (no level).
            let rid = fields[1];
            return Some(error_with_stack(fields[2], Some(rid), ErrorKind::Runtime));
        }
        (fields[2], fields[1], fields[3])
    } else if fields[0].starts_with('[') && fields[0].ends_with(']') && is_time(fields[1]) {
        if fields.len() < 4 {
            return None;
        }
        (fields[0].trim_matches(['[', ']']), fields[2], fields[3])
    } else {
        return None;
    };
    if !matches!(level, "ERROR" | "FATAL" | "CRITICAL") {
        return Some(None);
    }
    let request_id = Some(request_id)
        .filter(|r| *r != "undefined" && !r.is_empty())
        .map(str::to_string);
    let body = body.trim();
    for marker in [
        "Invoke Error",
        "Uncaught Exception",
        "Unhandled Promise Rejection",
    ] {
        if let Some(rest) = body.strip_prefix(marker)
            && let Some(start) = rest.find('{')
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(rest[start..].trim_end())
            && let Some(mut d) = json::detect(&v)
        {
            d.request_id = request_id.clone().or(d.request_id);
            if marker == "Uncaught Exception" && d.request_id.is_none() {
                d.kind = ErrorKind::Init;
            }
            return Some(Some(d));
        }
    }
    let mut d = error_with_stack(body, None, ErrorKind::Application).unwrap_or_else(|| Detected {
        kind: ErrorKind::Application,
        error_type: level.to_string(),
        message: first_line(body),
        frame: None,
        request_id: None,
        generic: false,
    });
    d.kind = ErrorKind::Application;
    d.request_id = request_id;
    Some(Some(d))
}

/// The first `n - 1` whitespace-separated tokens and the trimmed rest.
fn split_whitespace_n(t: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(n);
    let mut rest = t.trim_start();
    while out.len() + 1 < n && !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest.trim_end());
    }
    out
}

/// Python's unhandled error line: `[ERROR] KeyError: 'id'` then the traceback.
fn python_unhandled(rest: &str, whole: &str) -> Detected {
    let first = first_line(rest);
    let (error_type, message) = split_error_line(&first, false)
        .map_or_else(|| ("ERROR".to_string(), first.clone()), |(t, m)| (t, m));
    Detected {
        kind: runtime_kind(&error_type),
        frame: frames::top_application_frame(whole),
        error_type,
        message,
        request_id: request_id_of(whole).map(str::to_string),
        generic: false,
    }
}

/// A `Type: message` line followed by a stack (Node, Java), or a Python traceback.
fn error_with_stack(t: &str, request_id: Option<&str>, kind: ErrorKind) -> Option<Detected> {
    let lines: Vec<&str> = t
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (error_type, message) = if lines
        .first()
        .is_some_and(|l| l.starts_with("Traceback (most recent call last)"))
    {
        // The exception is the last line that is not a frame or source line.
        let last = lines
            .iter()
            .rev()
            .find(|l| split_error_line(l, true).is_some())?;
        split_error_line(last, true)?
    } else {
        let first = lines.first()?;
        let first = first
            .strip_prefix("Exception in thread \"main\" ")
            .unwrap_or(first);
        let has_stack = lines.iter().skip(1).any(|l| l.starts_with("at "));
        if !has_stack && kind == ErrorKind::Runtime {
            return None;
        }
        split_error_line(first, kind == ErrorKind::Application)?
    };
    Some(Detected {
        kind: if kind == ErrorKind::Runtime && is_init_type(&error_type) {
            ErrorKind::Init
        } else {
            kind
        },
        error_type,
        message,
        frame: frames::top_application_frame(t),
        request_id: request_id.filter(|r| *r != "undefined").map(str::to_string),
        generic: false,
    })
}

/// `TypeError: message` → the type and the message. Without `any_name`, the type must look
/// like an error class (`...Error`, `...Exception`, or dotted like `java.lang.X`).
fn split_error_line(line: &str, any_name: bool) -> Option<(String, String)> {
    let (name, message) = match line.split_once(": ") {
        Some((n, m)) => (n, m),
        None => (line.trim_end_matches(':'), ""),
    };
    let ident = !name.is_empty()
        && name.len() <= 200
        && name.chars().next().is_some_and(char::is_alphabetic)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$'));
    let error_like = name.ends_with("Error")
        || name.ends_with("Exception")
        || name.ends_with("Exit")
        || (name.contains('.') && name.chars().any(char::is_uppercase));
    (ident && (error_like || (any_name && !message.is_empty())))
        .then(|| (name.to_string(), first_line(message)))
}
