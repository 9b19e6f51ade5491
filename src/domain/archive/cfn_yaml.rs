//! A YAML CloudFormation template read into the JSON value a JSON template gives: short-form
//! intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long forms as CloudFormation
//! reads them, and scalars keep the text written unless JSON and every YAML version agree
//! on what they mean.
//!
//! Scalars: a quoted or block scalar is a string. A plain one is `null` for `~`, `null` and
//! nothing; a boolean for `true`/`false` (any case YAML 1.2 allows); a number when its text
//! is a JSON number (kept digit for digit); otherwise the text as a string. So `yes`, `on`,
//! `0755`, `012345678901`, `0x1F`, `1_000`, `.inf` and `2010-09-09`, which YAML 1.1 reads as
//! booleans, octal or hex numbers and dates, stay the text written; CloudFormation turns a
//! string into the number or boolean a property wants. Aliases (and so merge keys) and the
//! binary, set, omap, pairs and timestamp tags are refused, as CloudFormation refuses them.

use std::borrow::Cow;
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

/// Why a YAML template could not be read; its text is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// Not well-formed YAML.
    #[error("YAML not well-formed at line {line} column {column}: {what}")]
    Syntax {
        line: usize,
        column: usize,
        what: String,
    },
    /// Well-formed YAML that is not a CloudFormation template (a tag CloudFormation does not
    /// know, an alias, a duplicate key, more than one document...).
    #[error("{what} at {path} (line {line})")]
    Unsupported {
        what: String,
        path: String,
        line: usize,
    },
}

/// The short-form tags CloudFormation knows, with the key of their long form.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("ImportValue", "Fn::ImportValue"),
    ("GetAZs", "Fn::GetAZs"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("Equals", "Fn::Equals"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Not", "Fn::Not"),
    ("Transform", "Fn::Transform"),
    // The language extensions transform.
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
    // Rule functions (the Rules section).
    ("Contains", "Fn::Contains"),
    ("EachMemberEquals", "Fn::EachMemberEquals"),
    ("EachMemberIn", "Fn::EachMemberIn"),
    ("RefAll", "Fn::RefAll"),
    ("ValueOf", "Fn::ValueOf"),
    ("ValueOfAll", "Fn::ValueOfAll"),
];

/// Nesting deeper than this is refused (serde_json's own limit for JSON templates).
const MAX_DEPTH: usize = 128;

const CORE: &str = "tag:yaml.org,2002:";

/// What a tag asks of the node it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    /// No tag: resolved from its text (scalars) or as is (collections).
    Untagged,
    /// A core schema tag (`!!str`, `!!int`, `!!map`...): the suffix.
    Core(&'static str),
    /// A short-form intrinsic: the long form's key.
    Intrinsic(&'static str),
}

/// A collection being built.
enum Node {
    Seq(Vec<Value>),
    /// The map and the key whose value comes next (`None`: a key comes next).
    Map(Map<String, Value>, Option<String>),
}

struct Frame {
    node: Node,
    meaning: Meaning,
}

/// Reads a YAML template into JSON; the top must be a mapping.
pub fn to_json(body: &str) -> Result<Value, YamlError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    for event in Parser::new_from_str(body) {
        let (event, span) = event.map_err(|e| YamlError::Syntax {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            what: one_line(e.info()),
        })?;
        let line = span.start.line();
        let unsupported = |what: String, stack: &[Frame]| YamlError::Unsupported {
            what: one_line(&what),
            path: path_of(stack),
            line,
        };
        let value = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(unsupported(
                        "a second YAML document (a template is one document)".into(),
                        &stack,
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(unsupported(
                    "a YAML alias (CloudFormation does not support aliases)".into(),
                    &stack,
                ));
            }
            Event::SequenceStart(_, ref tag) | Event::MappingStart(_, ref tag) => {
                if matches!(
                    stack.last(),
                    Some(Frame {
                        node: Node::Map(_, None),
                        ..
                    })
                ) {
                    return Err(unsupported(
                        "a mapping key that is not a scalar".into(),
                        &stack,
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(unsupported(
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                        &stack,
                    ));
                }
                let meaning = meaning(tag.as_deref()).map_err(|w| unsupported(w, &stack))?;
                let seq = matches!(event, Event::SequenceStart(..));
                match meaning {
                    Meaning::Core("seq") if !seq => {}
                    Meaning::Core("map") if seq => {}
                    Meaning::Core("seq" | "map") | Meaning::Untagged | Meaning::Intrinsic(_) => {
                        stack.push(Frame {
                            node: if seq {
                                Node::Seq(Vec::new())
                            } else {
                                Node::Map(Map::new(), None)
                            },
                            meaning,
                        });
                        continue;
                    }
                    Meaning::Core(_) => {}
                }
                return Err(unsupported(
                    format!(
                        "tag {} on a {}",
                        tag_text(tag.as_deref()),
                        if seq { "sequence" } else { "mapping" }
                    ),
                    &stack,
                ));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else {
                    continue;
                };
                let value = match frame.node {
                    Node::Seq(items) => Value::Array(items),
                    Node::Map(map, _) => Value::Object(map),
                };
                match frame.meaning {
                    Meaning::Intrinsic(key) => long_form(key, value),
                    _ => value,
                }
            }
            Event::Scalar(text, style, _, tag) => {
                if let Some(Frame {
                    node: Node::Map(map, None),
                    ..
                }) = stack.last()
                {
                    if tag.is_some() {
                        let what = format!("tag {} on a mapping key", tag_text(tag.as_deref()));
                        return Err(unsupported(what, &stack));
                    }
                    if map.contains_key(text.as_ref()) {
                        let what = format!("duplicate key {text:?}");
                        return Err(unsupported(what, &stack));
                    }
                    if let Some(Frame {
                        node: Node::Map(_, pending),
                        ..
                    }) = stack.last_mut()
                    {
                        *pending = Some(text.into_owned());
                    }
                    continue;
                }
                let meaning = meaning(tag.as_deref()).map_err(|w| unsupported(w, &stack))?;
                scalar(text, style, meaning).map_err(|w| unsupported(w, &stack))?
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
        };
        match stack.last_mut() {
            Some(Frame {
                node: Node::Seq(items),
                ..
            }) => items.push(value),
            Some(Frame {
                node: Node::Map(map, pending),
                ..
            }) => {
                if let Some(key) = pending.take() {
                    map.insert(key, value);
                }
            }
            None => root = Some(value),
        }
    }
    match root {
        Some(v @ Value::Object(_)) => Ok(v),
        _ => Err(YamlError::Unsupported {
            what: "no mapping at the top (a template is a mapping of sections)".into(),
            path: "the template".into(),
            line: 1,
        }),
    }
}

/// The long form of a short-form intrinsic around `value`.
fn long_form(key: &str, value: Value) -> Value {
    let value = match (key, value) {
        ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![resource.into(), attribute.into()]),
            None => Value::Array(vec![Value::String(s)]),
        },
        (_, v) => v,
    };
    let mut m = Map::new();
    m.insert(key.to_string(), value);
    Value::Object(m)
}

fn meaning(tag: Option<&Tag>) -> Result<Meaning, String> {
    let Some(tag) = tag else {
        return Ok(Meaning::Untagged);
    };
    if tag.handle == "!" {
        if let Some((_, key)) = SHORT_FORMS.iter().find(|(s, _)| *s == tag.suffix) {
            return Ok(Meaning::Intrinsic(key));
        }
    } else if tag.handle == CORE {
        const KNOWN: &[&str] = &["str", "int", "float", "bool", "null", "map", "seq"];
        if let Some(k) = KNOWN.iter().find(|k| **k == tag.suffix) {
            return Ok(Meaning::Core(k));
        }
        return Err(format!(
            "tag {} (CloudFormation does not support it)",
            tag_text(Some(tag))
        ));
    }
    Err(format!("unknown tag {}", tag_text(Some(tag))))
}

/// A tag as written (`!Ref`, `!!binary`, `!<tag:example.com:x>`).
fn tag_text(tag: Option<&Tag>) -> String {
    match tag {
        None => String::new(),
        Some(t) if t.handle == CORE => format!("!!{}", t.suffix),
        Some(t) if t.handle == "!" || t.handle.is_empty() => format!("!{}", t.suffix),
        Some(t) => format!("!<{}{}>", t.handle, t.suffix),
    }
}

fn scalar(text: Cow<'_, str>, style: ScalarStyle, meaning: Meaning) -> Result<Value, String> {
    let plain = style == ScalarStyle::Plain;
    Ok(match meaning {
        Meaning::Intrinsic(key) => long_form(key, Value::String(text.into_owned())),
        Meaning::Untagged if plain => resolve_plain(text),
        Meaning::Untagged | Meaning::Core("str") => Value::String(text.into_owned()),
        Meaning::Core("null") => Value::Null,
        Meaning::Core("bool") => match bool_of(&text) {
            Some(b) => Value::Bool(b),
            None => return Err(format!("{text:?} is not a boolean (tag !!bool)")),
        },
        Meaning::Core("int" | "float") => match number_of(&text) {
            Some(n) => Value::Number(n),
            None => {
                return Err(format!(
                    "{text:?} is not a JSON number (a !!int or !!float tag)"
                ));
            }
        },
        Meaning::Core(other) => return Err(format!("tag !!{other} on a scalar")),
    })
}

/// A plain scalar's meaning: null, a boolean, a JSON number, else its text.
fn resolve_plain(text: Cow<'_, str>) -> Value {
    if matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = bool_of(&text) {
        return Value::Bool(b);
    }
    if let Some(n) = number_of(&text) {
        return Value::Number(n);
    }
    Value::String(text.into_owned())
}

fn bool_of(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// The text as a JSON number, digit for digit, when it is one (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`).
fn number_of(text: &str) -> Option<Number> {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    let int_start = i;
    if !digits(&mut i) || (b[int_start] == b'0' && i - int_start > 1) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    serde_json::from_str::<Number>(text).ok()
}

/// Where the node being read sits: `Resources.Fn.Properties.Code[0]`.
fn path_of(stack: &[Frame]) -> String {
    let mut out = String::new();
    for f in stack {
        match &f.node {
            Node::Seq(items) => {
                let _ = write!(out, "[{}]", items.len());
            }
            Node::Map(_, Some(key)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Node::Map(_, None) => {}
        }
    }
    if out.is_empty() {
        "the top".into()
    } else {
        one_line(&out)
    }
}

/// The text with control characters and line breaks escaped.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
