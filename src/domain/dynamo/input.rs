//! Strict parsing of `DynamoDB` JSON and plain JSON into items, with errors that name the attribute path.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use super::number::{self, NumberProblem};
use super::{Attr, ConvError, Item};

/// Deepest container nesting `DynamoDB` stores.
const MAX_DEPTH: usize = 32;

/// Standard base64 that accepts input with or without `=` padding.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The position inside the item currently being parsed.
#[derive(Default)]
struct Path<'a>(Vec<Seg<'a>>);

impl Path<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(n) => {
                    out.push('[');
                    out.push_str(&n.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    fn err(&self, problem: impl Into<String>) -> ConvError {
        ConvError {
            path: Some(self.render()),
            problem: problem.into(),
        }
    }
}

fn top_err(problem: impl Into<String>) -> ConvError {
    ConvError {
        path: None,
        problem: problem.into(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short, single-line, quoted rendering of user text for error messages.
fn quote(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}…")
    }
}

fn number_error(path: &Path, what: &str, text: &str, problem: NumberProblem) -> ConvError {
    let detail = match problem {
        NumberProblem::NotANumber => "is not a number".to_owned(),
        NumberProblem::TooManyDigits(n) => {
            format!("has {n} significant digits (DynamoDB allows at most 38)")
        }
        NumberProblem::OutOfRange => {
            "is outside DynamoDB's number range (1E-130 to 9.99E+125 in magnitude)".to_owned()
        }
    };
    path.err(format!("{what} {} {detail}", quote(text)))
}

fn attributes<'v>(
    v: &'v Value,
    mut convert: impl FnMut(&'v Value, &mut Path<'v>) -> Result<Attr, ConvError>,
) -> Result<Item, ConvError> {
    let Value::Object(obj) = v else {
        return Err(top_err(format!(
            "an item must be a JSON object of attributes, got {}",
            kind(v)
        )));
    };
    let mut item = Item::new();
    let mut path = Path::default();
    for (name, value) in obj {
        if name.is_empty() {
            return Err(top_err("attribute names must not be empty"));
        }
        path.0.push(Seg::Key(name));
        let attr = convert(value, &mut path)?;
        path.0.pop();
        item.insert(name.clone(), attr);
    }
    Ok(item)
}

/// Parses an item written in `DynamoDB` JSON (`{"name": {"S": "text"}, …}`), enforcing `DynamoDB`'s rules.
pub fn item_from_typed_json(v: &Value) -> Result<Item, ConvError> {
    attributes(v, |value, path| typed_attr(value, path, 0))
}

fn typed_attr<'v>(v: &'v Value, path: &mut Path<'v>, depth: usize) -> Result<Attr, ConvError> {
    let Value::Object(obj) = v else {
        return Err(path.err(format!(
            "expected a typed value such as {{\"S\": \"text\"}}, got {}",
            kind(v)
        )));
    };
    let mut entries = obj.iter();
    let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        return Err(path.err(format!(
            "a typed value needs exactly one type key, got {} ({})",
            keys.len(),
            keys.join(", ")
        )));
    };
    let wrong = |expected: &str| {
        path.err(format!(
            "{tag} value must be {expected}, got {}",
            kind(inner)
        ))
    };
    let attr = match (tag.as_str(), inner) {
        ("S", Value::String(s)) => Attr::S(s.clone()),
        ("S", _) => return Err(wrong("a string")),
        ("N", Value::String(s)) => Attr::N(typed_number(s, "N value", path)?),
        ("N", _) => return Err(wrong("a string holding the number")),
        ("B", Value::String(s)) => Attr::B(typed_binary(s, "B value", path)?),
        ("B", _) => return Err(wrong("a base64 string")),
        ("BOOL", Value::Bool(b)) => Attr::Bool(*b),
        ("BOOL", _) => return Err(wrong("true or false")),
        ("NULL", Value::Bool(true)) => Attr::Null,
        ("NULL", _) => return Err(path.err("NULL value must be true")),
        ("L" | "M", _) if depth >= MAX_DEPTH => {
            return Err(path.err(format!(
                "nesting is deeper than DynamoDB's limit of {MAX_DEPTH} levels"
            )));
        }
        ("L", Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.0.push(Seg::Index(i));
                out.push(typed_attr(item, path, depth + 1)?);
                path.0.pop();
            }
            Attr::L(out)
        }
        ("L", _) => return Err(wrong("an array")),
        ("M", Value::Object(map)) => Attr::M(typed_map(map, path, depth)?),
        ("M", _) => return Err(wrong("an object")),
        ("SS" | "NS" | "BS", Value::Array(items)) => typed_set(tag, items, path)?,
        ("SS" | "NS" | "BS", _) => return Err(wrong("a non-empty array")),
        _ => {
            return Err(path.err(format!(
                "unknown type {} (expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS)",
                quote(tag)
            )));
        }
    };
    Ok(attr)
}

fn typed_map<'v>(
    map: &'v Map<String, Value>,
    path: &mut Path<'v>,
    depth: usize,
) -> Result<Item, ConvError> {
    let mut out = Item::new();
    for (key, value) in map {
        path.0.push(Seg::Key(key));
        out.insert(key.clone(), typed_attr(value, path, depth + 1)?);
        path.0.pop();
    }
    Ok(out)
}

fn typed_number(text: &str, what: &str, path: &Path) -> Result<String, ConvError> {
    match number::check(text) {
        Ok(_) => Ok(text.to_owned()),
        Err(problem) => Err(number_error(path, what, text, problem)),
    }
}

fn typed_binary(text: &str, what: &str, path: &Path) -> Result<Vec<u8>, ConvError> {
    BASE64_LENIENT
        .decode(text)
        .map_err(|e| path.err(format!("{what} {} is not valid base64 ({e})", quote(text))))
}

fn typed_set<'v>(tag: &str, items: &'v [Value], path: &mut Path<'v>) -> Result<Attr, ConvError> {
    if items.is_empty() {
        return Err(path.err(format!(
            "{tag} must not be empty (DynamoDB forbids empty sets)"
        )));
    }
    let mut strings = Vec::new();
    let mut binaries = Vec::new();
    let mut seen_strings = BTreeSet::new();
    let mut seen_numbers = BTreeSet::new();
    let mut seen_binaries = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        path.0.push(Seg::Index(i));
        let Value::String(text) = item else {
            let expected = if tag == "BS" {
                "a base64 string"
            } else {
                "a string"
            };
            return Err(path.err(format!(
                "{tag} element must be {expected}, got {}",
                kind(item)
            )));
        };
        let what = format!("{tag} element");
        let fresh = match tag {
            "NS" => match number::check(text) {
                Ok(key) => seen_numbers.insert(key),
                Err(problem) => return Err(number_error(path, &what, text, problem)),
            },
            "BS" => {
                let bytes = typed_binary(text, &what, path)?;
                let fresh = seen_binaries.insert(bytes.clone());
                binaries.push(bytes);
                fresh
            }
            _ => seen_strings.insert(text.as_str()),
        };
        if tag != "BS" {
            strings.push(text.clone());
        }
        if !fresh {
            return Err(path.err(format!(
                "{what} {} repeats an earlier element (set elements must be unique)",
                quote(text)
            )));
        }
        path.0.pop();
    }
    Ok(match tag {
        "NS" => Attr::Ns(strings),
        "BS" => Attr::Bs(binaries),
        _ => Attr::Ss(strings),
    })
}

/// Parses an item written as plain JSON: numbers become N (exact text), strings S, arrays L, objects M.
/// Numbers must fit `DynamoDB`'s rules; sets and binary cannot be expressed this way.
pub fn item_from_plain_json(v: &Value) -> Result<Item, ConvError> {
    attributes(v, |value, path| plain_attr(value, path, 0))
}

fn plain_attr<'v>(v: &'v Value, path: &mut Path<'v>, depth: usize) -> Result<Attr, ConvError> {
    Ok(match v {
        Value::Null => Attr::Null,
        Value::Bool(b) => Attr::Bool(*b),
        Value::String(s) => Attr::S(s.clone()),
        Value::Number(n) => {
            let text = n.to_string();
            if let Err(problem) = number::check(&text) {
                return Err(number_error(path, "number", &text, problem));
            }
            Attr::N(text)
        }
        Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => {
            return Err(path.err(format!(
                "nesting is deeper than DynamoDB's limit of {MAX_DEPTH} levels"
            )));
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.0.push(Seg::Index(i));
                out.push(plain_attr(item, path, depth + 1)?);
                path.0.pop();
            }
            Attr::L(out)
        }
        Value::Object(map) => {
            let mut out = Item::new();
            for (key, value) in map {
                path.0.push(Seg::Key(key));
                out.insert(key.clone(), plain_attr(value, path, depth + 1)?);
                path.0.pop();
            }
            Attr::M(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn typed_err(v: &Value) -> String {
        item_from_typed_json(v)
            .expect_err("must be rejected")
            .to_string()
    }

    fn nested_lists(levels: usize) -> Value {
        let mut v = json!({"S": "leaf"});
        for _ in 0..levels {
            v = json!({ "L": [v] });
        }
        json!({ "deep": v })
    }

    #[rstest]
    #[case(json!([]), "an item must be a JSON object of attributes, got an array")]
    #[case(json!({"": {"S": "x"}}), "attribute names must not be empty")]
    #[case(json!({"a": "x"}), r#"attribute "a": expected a typed value such as {"S": "text"}, got a string"#)]
    #[case(json!({"a": {}}), r#"attribute "a": a typed value needs exactly one type key, got 0 ()"#)]
    #[case(json!({"a": {"S": "x", "N": "1"}}), r#"attribute "a": a typed value needs exactly one type key, got 2 (S, N)"#)]
    #[case(json!({"a": {"STR": "x"}}), r#"attribute "a": unknown type "STR" (expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS)"#)]
    #[case(json!({"a": {"s": "x"}}), r#"attribute "a": unknown type "s" (expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS)"#)]
    #[case(json!({"a": {"S": 1}}), r#"attribute "a": S value must be a string, got a number"#)]
    #[case(json!({"a": {"N": 5}}), r#"attribute "a": N value must be a string holding the number, got a number"#)]
    #[case(json!({"a": {"M": {"b": {"L": [{"N": "1"}, {"N": "2"}, {"N": "x1"}]}}}}), r#"attribute "a.b[2]": N value "x1" is not a number"#)]
    #[case(json!({"a": {"N": "1234567890123456789012345678901234567891"}}), r#"attribute "a": N value "1234567890123456789012345678901234567891" has 40 significant digits (DynamoDB allows at most 38)"#)]
    #[case(json!({"a": {"N": "1E+126"}}), r#"attribute "a": N value "1E+126" is outside DynamoDB's number range (1E-130 to 9.99E+125 in magnitude)"#)]
    #[case(json!({"a": {"N": "a\nb"}}), r#"attribute "a": N value "a\nb" is not a number"#)]
    #[case(json!({"a": {"B": "!!"}}), r#"attribute "a": B value "!!" is not valid base64 (Invalid symbol 33, offset 0.)"#)]
    #[case(json!({"a": {"B": null}}), r#"attribute "a": B value must be a base64 string, got null"#)]
    #[case(json!({"a": {"BOOL": "true"}}), r#"attribute "a": BOOL value must be true or false, got a string"#)]
    #[case(json!({"a": {"NULL": false}}), r#"attribute "a": NULL value must be true"#)]
    #[case(json!({"a": {"NULL": null}}), r#"attribute "a": NULL value must be true"#)]
    #[case(json!({"a": {"L": {}}}), r#"attribute "a": L value must be an array, got an object"#)]
    #[case(json!({"a": {"M": []}}), r#"attribute "a": M value must be an object, got an array"#)]
    #[case(json!({"a": {"SS": []}}), r#"attribute "a": SS must not be empty (DynamoDB forbids empty sets)"#)]
    #[case(json!({"a": {"NS": []}}), r#"attribute "a": NS must not be empty (DynamoDB forbids empty sets)"#)]
    #[case(json!({"a": {"BS": []}}), r#"attribute "a": BS must not be empty (DynamoDB forbids empty sets)"#)]
    #[case(json!({"a": {"SS": "x"}}), r#"attribute "a": SS value must be a non-empty array, got a string"#)]
    #[case(json!({"a": {"SS": ["x", 1]}}), r#"attribute "a[1]": SS element must be a string, got a number"#)]
    #[case(json!({"a": {"SS": ["x", "y", "x"]}}), r#"attribute "a[2]": SS element "x" repeats an earlier element (set elements must be unique)"#)]
    #[case(json!({"a": {"NS": ["1", "1.0"]}}), r#"attribute "a[1]": NS element "1.0" repeats an earlier element (set elements must be unique)"#)]
    #[case(json!({"a": {"NS": ["1", "one"]}}), r#"attribute "a[1]": NS element "one" is not a number"#)]
    #[case(json!({"a": {"BS": ["AA==", "AA"]}}), r#"attribute "a[1]": BS element "AA" repeats an earlier element (set elements must be unique)"#)]
    #[case(json!({"a": {"BS": ["AA==", "%"]}}), r#"attribute "a[1]": BS element "%" is not valid base64 (Invalid symbol 37, offset 0.)"#)]
    #[case(json!({"a": {"M": {"": {"M": {"x.y": {"S": 0}}}}}}), r#"attribute "a..x.y": S value must be a string, got a number"#)]
    #[case(json!({"a": {"S": "x".repeat(100)}, "b": {"N": "y".repeat(100)}}), format!(r#"attribute "b": N value "{}"… is not a number"#, "y".repeat(40)))]
    #[case(nested_lists(33), format!(r#"attribute "deep{}": nesting is deeper than DynamoDB's limit of 32 levels"#, "[0]".repeat(32)))]
    fn typed_errors(#[case] input: Value, #[case] expected: impl AsRef<str>) {
        let message = typed_err(&input);
        assert_eq!(message, expected.as_ref());
        assert!(!message.contains('\n'));
    }

    #[test]
    fn error_fields_split_path_and_problem() {
        let err = item_from_typed_json(&json!({"a": {"L": [{"BOOL": 1}]}})).expect_err("bad");
        assert_eq!(err.path.as_deref(), Some("a[0]"));
        assert_eq!(
            err.problem,
            "BOOL value must be true or false, got a number"
        );
    }

    #[test]
    fn nesting_at_the_limit_is_accepted() {
        let item = item_from_typed_json(&nested_lists(32)).expect("32 levels are allowed");
        let mut attr = &item["deep"];
        let mut levels = 0;
        while let Attr::L(items) = attr {
            levels += 1;
            attr = &items[0];
        }
        assert_eq!(levels, 32);
        assert_eq!(attr, &Attr::S("leaf".into()));
    }

    #[test]
    fn binary_padding_is_optional_on_input() {
        let item = item_from_typed_json(&json!({"b": {"B": "/w"}, "c": {"B": "/w=="}}))
            .expect("both paddings decode");
        assert_eq!(item["b"], Attr::B(vec![0xff]));
        assert_eq!(item["c"], Attr::B(vec![0xff]));
    }

    #[test]
    fn set_elements_keep_their_order_and_text() {
        let item = item_from_typed_json(&json!({
            "ss": {"SS": ["b", "a", ""]},
            "ns": {"NS": ["10", "-1.50", "1E+2"]},
            "bs": {"BS": ["AQ==", ""]},
        }))
        .expect("valid sets");
        assert_eq!(
            item["ss"],
            Attr::Ss(vec!["b".into(), "a".into(), String::new()])
        );
        assert_eq!(
            item["ns"],
            Attr::Ns(vec!["10".into(), "-1.50".into(), "1E+2".into()])
        );
        assert_eq!(item["bs"], Attr::Bs(vec![vec![1], vec![]]));
    }

    #[test]
    fn numeric_duplicates_across_notations_are_detected() {
        let message = typed_err(&json!({"n": {"NS": ["100", "7", "1E+2"]}}));
        assert!(
            message.starts_with(r#"attribute "n[2]": NS element "1E+2" repeats"#),
            "{message}"
        );
    }

    fn plain_err(v: &Value) -> String {
        item_from_plain_json(v)
            .expect_err("must be rejected")
            .to_string()
    }

    #[rstest]
    #[case(
        r#""text""#,
        "an item must be a JSON object of attributes, got a string"
    )]
    #[case("null", "an item must be a JSON object of attributes, got null")]
    #[case(r#"{"": 1}"#, "attribute names must not be empty")]
    #[case(r#"{"a": {"b": [1, 2e200]}}"#, r#"attribute "a.b[1]": number "2e+200" is outside DynamoDB's number range (1E-130 to 9.99E+125 in magnitude)"#)]
    #[case(r#"{"a": 1234567890123456789012345678901234567891}"#, r#"attribute "a": number "1234567890123456789012345678901234567891" has 40 significant digits (DynamoDB allows at most 38)"#)]
    fn plain_errors(#[case] input: &str, #[case] expected: &str) {
        let v: Value = serde_json::from_str(input).expect("test JSON parses");
        assert_eq!(plain_err(&v), expected);
    }

    #[test]
    fn plain_nesting_limit() {
        let mut ok = json!(1);
        for _ in 0..32 {
            ok = json!([ok]);
        }
        assert!(item_from_plain_json(&json!({ "x": ok.clone() })).is_ok());
        let message = plain_err(&json!({ "x": [ok] }));
        assert!(
            message.ends_with("nesting is deeper than DynamoDB's limit of 32 levels"),
            "{message}"
        );
    }

    #[test]
    fn plain_values_map_to_attrs() {
        let v: Value = serde_json::from_str(
            r#"{"s": "", "n": -0.000120, "big": 12345678901234567890123456789012345678, "t": true, "z": null, "l": [{"k": 1e5}]}"#,
        )
        .expect("test JSON parses");
        let item = item_from_plain_json(&v).expect("valid");
        assert_eq!(item["s"], Attr::S(String::new()));
        assert_eq!(item["n"], Attr::N("-0.000120".into()));
        assert_eq!(
            item["big"],
            Attr::N("12345678901234567890123456789012345678".into())
        );
        assert_eq!(item["t"], Attr::Bool(true));
        assert_eq!(item["z"], Attr::Null);
        let inner = Item::from([("k".to_owned(), Attr::N("1e+5".into()))]);
        assert_eq!(item["l"], Attr::L(vec![Attr::M(inner)]));
    }
}
