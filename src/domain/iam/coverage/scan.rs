//! The scanner behind the coverage test: finds every SDK operation the source calls,
//! through `AwsContext` accessors, variables holding a client, and functions returning one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ACCESSORS, CRATES};

/// One SDK call found in the source.
#[derive(Debug, Clone)]
pub(super) struct Call {
    /// `prefix:OperationName`.
    pub(super) operation: String,
    /// `file:line` and the method, for messages.
    pub(super) site: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "demo") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text with comments and the contents of string and char literals blanked out
/// (newlines kept, so byte offsets and line numbers stay true).
pub(super) fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            blank(&mut out, i, end);
            i = end;
        } else if b[i] == b'r'
            && (b[i..].starts_with(b"r\"") || b[i..].starts_with(b"r#"))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let start = i + 2 + hashes;
            let end = text[start..]
                .find(&close)
                .map_or(b.len(), |n| start + n + close.len());
            blank(&mut out, start, end.saturating_sub(close.len()));
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j.min(b.len()));
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\''), else a lifetime.
            if b.get(i + 1) == Some(&b'\\') {
                let end = text[i + 3..].find('\'').map_or(b.len(), |n| i + 3 + n + 1);
                blank(&mut out, i, end);
                i = end;
            } else if b.get(i + 2) == Some(&b'\'') {
                blank(&mut out, i, i + 3);
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn skip_ws_back(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        if !b[i].is_ascii_whitespace() {
            return Some(i);
        }
        i = i.checked_sub(1)?;
    }
}

/// The method chain ending right before `end` (the `.` of the terminal call), first
/// element first: `(name, is_call)`.
pub(super) fn chain_before(b: &[u8], end: usize) -> Vec<(String, bool)> {
    let mut chain = Vec::new();
    let Some(mut i) = end.checked_sub(1) else {
        return chain;
    };
    while let Some(j) = skip_ws_back(b, i) {
        let (name_end, is_call) = if b[j] == b')' {
            let mut depth = 0usize;
            let mut k = j;
            loop {
                match b[k] {
                    b')' => depth += 1,
                    b'(' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                if k == 0 {
                    return chain;
                }
                k -= 1;
            }
            let Some(k) = k.checked_sub(1) else { break };
            (k, true)
        } else if is_ident(b[j]) {
            (j, false)
        } else {
            break;
        };
        let mut start = name_end;
        while start > 0 && is_ident(b[start - 1]) {
            start -= 1;
        }
        if !is_ident(b[name_end]) {
            break;
        }
        chain.push((
            String::from_utf8_lossy(&b[start..=name_end]).into_owned(),
            is_call,
        ));
        match start.checked_sub(1).and_then(|s| skip_ws_back(b, s)) {
            Some(d) if b[d] == b'.' && d > 0 => i = d - 1,
            _ => break,
        }
    }
    chain.reverse();
    chain
}

pub(super) fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}

fn prefix_of_accessor(name: &str) -> Option<&'static str> {
    ACCESSORS.iter().find(|(a, _)| *a == name).map(|(_, p)| *p)
}

fn prefix_in(text: &str) -> Option<&'static str> {
    // Longest crate names first, so `aws_sdk_cloudwatch` never shadows `..logs`.
    let mut crates: Vec<&(&str, &str)> = CRATES.iter().collect();
    crates.sort_by_key(|(c, _)| std::cmp::Reverse(c.len()));
    crates
        .iter()
        .find(|(c, _)| {
            text.match_indices(c).any(|(i, _)| {
                !text[i + c.len()..].starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_')
            })
        })
        .map(|(_, p)| *p)
}

/// The service of the client variable `var`, from its `let` binding before `at`, a typed
/// parameter or field, or a function known to return a client.
pub(super) fn resolve_var(
    code: &str,
    var: &str,
    at: usize,
    client_fns: &BTreeMap<String, &'static str>,
) -> Option<&'static str> {
    let fn_start = code[..at].rfind("fn ").unwrap_or(0);
    let before = &code[fn_start..at];
    for pat in [format!("let {var} ="), format!("let mut {var} =")] {
        if let Some(pos) = before.rfind(&pat) {
            let stmt = &before[pos + pat.len()..];
            let stmt = &stmt[..stmt.find(';').unwrap_or(stmt.len())];
            if let Some(p) = prefix_in(stmt) {
                return Some(p);
            }
            for (name, _) in ACCESSORS {
                if stmt.contains(&format!(".{name}(")) {
                    return prefix_of_accessor(name);
                }
            }
            for (f, p) in client_fns {
                let called = stmt
                    .match_indices(&format!("{f}("))
                    .any(|(i, _)| i == 0 || !is_ident(stmt.as_bytes()[i - 1]));
                if called {
                    return Some(p);
                }
            }
            let other = stmt
                .trim()
                .trim_end_matches(".clone()")
                .trim_start_matches('&');
            if !other.is_empty() && other.bytes().all(is_ident) {
                return resolve_var(code, other, fn_start + pos, client_fns);
            }
        }
    }
    let signature_first = code[fn_start..at]
        .match_indices(var)
        .map(|(i, _)| fn_start + i);
    let anywhere = code.match_indices(var).map(|(i, _)| i);
    for pat in [format!("{var}: &"), format!("{var}: ")] {
        for pos in signature_first
            .clone()
            .chain(anywhere.clone())
            .filter(|i| code[*i..].starts_with(&pat))
        {
            let ty = &code[pos + pat.len()..];
            let ty = &ty[..ty.find([',', ')', '\n']).unwrap_or(ty.len())];
            if ty.contains("Client")
                && let Some(p) = prefix_in(ty)
            {
                return Some(p);
            }
        }
    }
    None
}

/// The right-hand side of the `let VAR =` binding before `at` in the same function, and
/// where that binding starts.
fn let_rhs<'a>(code: &'a str, var: &str, at: usize) -> Option<(&'a str, usize)> {
    let fn_start = code[..at].rfind("fn ").unwrap_or(0);
    let before = &code[fn_start..at];
    [format!("let {var} ="), format!("let mut {var} =")]
        .iter()
        .filter_map(|pat| before.rfind(pat.as_str()).map(|pos| (pos, pat.len())))
        .max()
        .map(|(pos, len)| {
            let rhs = &before[pos + len..];
            (&rhs[..rhs.find(';').unwrap_or(rhs.len())], fn_start + pos)
        })
}

/// The service prefix and the operation method of a call chain: the method after a client
/// accessor (`ctx.logs().describe_log_groups()`), the operation of a request builder bound
/// to a variable (`let req = client.get_object(); req.send()`), or the first method called
/// on a client variable.
fn operation_of(
    code: &str,
    chain: &[(String, bool)],
    at: usize,
    client_fns: &BTreeMap<String, &'static str>,
    depth: usize,
) -> Option<(&'static str, String)> {
    if depth > 4 {
        return None;
    }
    if let Some(a) = chain
        .iter()
        .position(|(n, call)| *call && prefix_of_accessor(n).is_some())
    {
        let prefix = prefix_of_accessor(&chain[a].0)?;
        return chain.get(a + 1).map(|(op, _)| (prefix, op.clone()));
    }
    if let Some(((head, true), (op, _))) = chain.first().zip(chain.get(1))
        && let Some(prefix) = client_fns.get(head)
    {
        return Some((prefix, op.clone()));
    }
    let first_call = chain
        .iter()
        .position(|(_, call)| *call)
        .unwrap_or(chain.len());
    let var = &chain.get(first_call.checked_sub(1)?)?.0;
    if let Some((rhs, pos)) = let_rhs(code, var, at) {
        let text = format!("{rhs} .send()");
        let rhs_chain = chain_before(text.as_bytes(), text.len() - ".send()".len());
        if let Some(found) = operation_of(code, &rhs_chain, pos, client_fns, depth + 1)
            && found.1 != "clone"
        {
            return Some(found);
        }
    }
    let prefix = resolve_var(code, var, at, client_fns)?;
    chain.get(first_call).map(|(op, _)| (prefix, op.clone()))
}

/// Functions anywhere under `src/` that return an SDK client, and its service.
fn client_functions(files: &[(PathBuf, String)]) -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    for (_, code) in files {
        for (pos, _) in code.match_indices("fn ") {
            let rest = &code[pos + 3..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let sig = &rest[..rest.find('{').unwrap_or(rest.len())];
            if let Some((_, ret)) = sig.split_once("->")
                && ret.contains("Client")
                && let Some(p) = prefix_in(ret)
            {
                out.insert(name, p);
            }
        }
    }
    out
}

/// Every SDK call under `src/` (the demo seeder aside), and the calls whose service
/// could not be told.
pub(super) fn scan(root: &Path) -> (Vec<Call>, Vec<String>) {
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    paths.sort();
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p, code_only(&text)))
        })
        .collect();
    let client_fns = client_functions(&files);
    let mut calls = Vec::new();
    let mut unknown = Vec::new();
    for (path, code) in &files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let b = code.as_bytes();
        let mut ends: Vec<usize> = code.match_indices(".send()").map(|(i, _)| i).collect();
        ends.extend(code.match_indices(".presigned(").map(|(i, _)| i));
        for end in ends {
            let chain = chain_before(b, end);
            let line = code[..end].matches('\n').count() + 1;
            let found = operation_of(code, &chain, end, &client_fns, 0);
            let (prefix, op) = match &found {
                Some((p, op)) => (Some(*p), op),
                None => (None, &String::new()),
            };
            match prefix {
                Some(p) if !op.is_empty() => calls.push(Call {
                    operation: format!("{p}:{}", pascal(op)),
                    site: format!("`.{op}()` in {rel}:{line}"),
                }),
                _ => unknown.push(format!(
                    "{rel}:{line}: cannot tell which AWS service this `.send()` calls (chain {:?}): \
                     bind its client as `let client = ctx.<service>();` or type it `aws_sdk_<service>::Client`",
                    chain.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
                )),
            }
        }
    }
    (calls, unknown)
}
