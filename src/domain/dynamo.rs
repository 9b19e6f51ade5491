//! Lossless conversion between `DynamoDB` attribute values and JSON (plain and `DynamoDB`-typed), plus table-cell text.

mod input;
mod number;
pub mod query;
pub mod table;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

pub use input::{item_from_plain_json, item_from_typed_json};
pub use number::is_valid_number;

/// A `DynamoDB` attribute value, independent of the AWS SDK; numbers keep their exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    /// String.
    S(String),
    /// Number, as its exact decimal text (`DynamoDB` keeps up to 38 digits, more than f64).
    N(String),
    /// Binary, as raw bytes.
    B(Vec<u8>),
    /// Boolean.
    Bool(bool),
    /// The NULL value.
    Null,
    /// List of values of any types.
    L(Vec<Attr>),
    /// Map of names to values.
    M(BTreeMap<String, Attr>),
    /// String set, in the order `DynamoDB` returned it.
    Ss(Vec<String>),
    /// Number set, each element as exact decimal text.
    Ns(Vec<String>),
    /// Binary set.
    Bs(Vec<Vec<u8>>),
}

/// A `DynamoDB` item: attribute name to value.
pub type Item = BTreeMap<String, Attr>;

/// Why JSON could not be turned into an item; displays as one line naming the attribute path, if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", match .path { Some(p) => format!("attribute {p:?}: {}", .problem), None => .problem.clone() })]
pub struct ConvError {
    /// Where the problem is, like `a.b[2]`; `None` when it concerns the item as a whole.
    pub path: Option<String>,
    /// What is wrong there.
    pub problem: String,
}

/// JSON for an N attribute: an exact JSON number (normalised to valid JSON syntax), or a string if the text is no number.
fn number_json(text: &str) -> Value {
    number::parse(text)
        .and_then(|parts| serde_json::from_str::<serde_json::Number>(&parts.json_text()).ok())
        .map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

fn base64_json(bytes: &[u8]) -> Value {
    Value::String(BASE64.encode(bytes))
}

/// Plain JSON for a value: exact JSON numbers, base64 strings for binary, arrays for sets and lists.
pub fn to_plain_json(a: &Attr) -> Value {
    match a {
        Attr::S(s) => Value::String(s.clone()),
        Attr::N(n) => number_json(n),
        Attr::B(b) => base64_json(b),
        Attr::Bool(b) => Value::Bool(*b),
        Attr::Null => Value::Null,
        Attr::L(items) => Value::Array(items.iter().map(to_plain_json).collect()),
        Attr::M(map) => item_to_plain_json(map),
        Attr::Ss(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
        Attr::Ns(items) => Value::Array(items.iter().map(|n| number_json(n)).collect()),
        Attr::Bs(items) => Value::Array(items.iter().map(|b| base64_json(b)).collect()),
    }
}

/// Plain JSON object for an item (as printed by `items --output json`).
pub fn item_to_plain_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), to_plain_json(v)))
            .collect(),
    )
}

/// `DynamoDB` JSON for a value, e.g. `{"N": "12.5"}` or `{"SS": ["a"]}`.
pub fn to_typed_json(a: &Attr) -> Value {
    let inner = match a {
        Attr::S(s) | Attr::N(s) => Value::String(s.clone()),
        Attr::B(b) => base64_json(b),
        Attr::Bool(b) => Value::Bool(*b),
        Attr::Null => Value::Bool(true),
        Attr::L(items) => Value::Array(items.iter().map(to_typed_json).collect()),
        Attr::M(map) => item_to_typed_json(map),
        Attr::Ss(items) | Attr::Ns(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        Attr::Bs(items) => Value::Array(items.iter().map(|b| base64_json(b)).collect()),
    };
    let mut tagged = Map::with_capacity(1);
    tagged.insert(type_tag(a).to_owned(), inner);
    Value::Object(tagged)
}

/// `DynamoDB` JSON object for an item: attribute name to typed value.
pub fn item_to_typed_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), to_typed_json(v)))
            .collect(),
    )
}

/// Best-effort value for any JSON: numbers become N with their text unchecked, objects M, arrays L.
pub fn attr_from_plain_json(v: &Value) -> Attr {
    match v {
        Value::Null => Attr::Null,
        Value::Bool(b) => Attr::Bool(*b),
        Value::Number(n) => Attr::N(n.to_string()),
        Value::String(s) => Attr::S(s.clone()),
        Value::Array(items) => Attr::L(items.iter().map(attr_from_plain_json).collect()),
        Value::Object(map) => Attr::M(
            map.iter()
                .map(|(k, v)| (k.clone(), attr_from_plain_json(v)))
                .collect(),
        ),
    }
}

/// `DynamoDB`'s type descriptor for a value: "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS" or "BS".
pub fn type_tag(a: &Attr) -> &'static str {
    match a {
        Attr::S(_) => "S",
        Attr::N(_) => "N",
        Attr::B(_) => "B",
        Attr::Bool(_) => "BOOL",
        Attr::Null => "NULL",
        Attr::L(_) => "L",
        Attr::M(_) => "M",
        Attr::Ss(_) => "SS",
        Attr::Ns(_) => "NS",
        Attr::Bs(_) => "BS",
    }
}

/// One-line text for a table cell: strings unquoted, binary as base64, containers as compact JSON;
/// control characters shown escaped, and cut to `max_chars` characters ending in '…' when longer.
pub fn cell_text(a: &Attr, max_chars: usize) -> String {
    match a {
        Attr::S(s) | Attr::N(s) => clip(s, max_chars),
        Attr::B(b) => clip(&BASE64.encode(b), max_chars),
        Attr::Bool(b) => clip(if *b { "true" } else { "false" }, max_chars),
        Attr::Null => clip("null", max_chars),
        Attr::L(_) | Attr::M(_) | Attr::Ss(_) | Attr::Ns(_) | Attr::Bs(_) => {
            clip(&to_plain_json(a).to_string(), max_chars)
        }
    }
}

fn clip(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            for e in c.escape_default() {
                out.push(e);
                count += 1;
            }
        } else {
            out.push(c);
            count += 1;
        }
        if count > max_chars {
            break;
        }
    }
    if count <= max_chars {
        return out;
    }
    let mut cut: String = out.chars().take(max_chars.saturating_sub(1)).collect();
    if max_chars > 0 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
    use serde_json::json;

    fn n(text: &str) -> Attr {
        Attr::N(text.to_owned())
    }

    fn plain_text(a: &Attr) -> String {
        to_plain_json(a).to_string()
    }

    fn typed_round_trip(item: &Item) -> Item {
        let text = item_to_typed_json(item).to_string();
        let parsed: Value = serde_json::from_str(&text).expect("typed JSON text parses");
        item_from_typed_json(&parsed).expect("own typed JSON is accepted")
    }

    #[rstest]
    #[case(
        "12345678901234567890123456789012345678",
        "12345678901234567890123456789012345678"
    )]
    #[case(
        "-98765432109876543210987654321098765432",
        "-98765432109876543210987654321098765432"
    )]
    #[case(
        "0.12345678901234567890123456789012345678",
        "0.12345678901234567890123456789012345678"
    )]
    #[case("1E+130", "1e+130")]
    #[case("1E-130", "1e-130")]
    #[case("-2.5e-7", "-2.5e-7")]
    #[case("0", "0")]
    #[case("-0", "-0")]
    #[case("1.50", "1.50")]
    #[case(".5", "0.5")]
    #[case("5.", "5")]
    #[case("+5", "5")]
    #[case("-.5E5", "-0.5e+5")]
    #[case("1e5", "1e+5")]
    #[case("007", "7")]
    fn numbers_become_exact_json_numbers(#[case] text: &str, #[case] json_text: &str) {
        let v = to_plain_json(&n(text));
        assert!(v.is_number(), "{v:?}");
        assert_eq!(v.to_string(), json_text);
    }

    #[rstest]
    #[case("abc")]
    #[case("")]
    #[case("NaN")]
    #[case("1 ")]
    #[case("0x1F")]
    fn non_numeric_n_text_becomes_a_string(#[case] text: &str) {
        assert_eq!(to_plain_json(&n(text)), Value::String(text.to_owned()));
    }

    #[test]
    fn every_type_in_plain_and_typed_json() {
        let item = Item::from([
            ("s".into(), Attr::S("héllo".into())),
            ("n".into(), n("-12.50")),
            ("b".into(), Attr::B(vec![0xff, 0x00, 0xfe, 0x80])),
            ("t".into(), Attr::Bool(true)),
            ("f".into(), Attr::Bool(false)),
            ("z".into(), Attr::Null),
            (
                "l".into(),
                Attr::L(vec![n("1"), Attr::S(String::new()), Attr::L(vec![])]),
            ),
            (
                "m".into(),
                Attr::M(Item::from([("k".into(), Attr::M(Item::new()))])),
            ),
            ("ss".into(), Attr::Ss(vec!["x".into(), "y".into()])),
            ("ns".into(), Attr::Ns(vec!["1E+2".into(), "3".into()])),
            ("bs".into(), Attr::Bs(vec![vec![0xff], vec![]])),
        ]);
        assert_eq!(
            item_to_plain_json(&item).to_string(),
            r#"{"b":"/wD+gA==","bs":["/w==",""],"f":false,"l":[1,"",[]],"m":{"k":{}},"n":-12.50,"ns":[1e+2,3],"s":"héllo","ss":["x","y"],"t":true,"z":null}"#
        );
        let typed = item_to_typed_json(&item);
        assert_eq!(
            typed,
            json!({
                "b": {"B": "/wD+gA=="}, "bs": {"BS": ["/w==", ""]}, "f": {"BOOL": false},
                "l": {"L": [{"N": "1"}, {"S": ""}, {"L": []}]}, "m": {"M": {"k": {"M": {}}}},
                "n": {"N": "-12.50"}, "ns": {"NS": ["1E+2", "3"]}, "s": {"S": "héllo"},
                "ss": {"SS": ["x", "y"]}, "t": {"BOOL": true}, "z": {"NULL": true},
            })
        );
        assert_eq!(typed_round_trip(&item), item);
    }

    #[test]
    fn strings_with_unicode_and_control_chars_survive_exactly() {
        let text = "a\u{0}b\n\t\r\u{1b}[0m\u{7f}\u{2028}\"\\😀é\u{301}";
        let item = Item::from([("ключ\n".to_owned(), Attr::S(text.into()))]);
        assert_eq!(typed_round_trip(&item), item);
        let plain: Value =
            serde_json::from_str(&item_to_plain_json(&item).to_string()).expect("parses");
        assert_eq!(item_from_plain_json(&plain).expect("valid"), item);
    }

    #[rstest]
    #[case(Attr::S("x".into()), "S")]
    #[case(n("1"), "N")]
    #[case(Attr::B(vec![]), "B")]
    #[case(Attr::Bool(false), "BOOL")]
    #[case(Attr::Null, "NULL")]
    #[case(Attr::L(vec![]), "L")]
    #[case(Attr::M(Item::new()), "M")]
    #[case(Attr::Ss(vec![]), "SS")]
    #[case(Attr::Ns(vec![]), "NS")]
    #[case(Attr::Bs(vec![]), "BS")]
    fn type_tags(#[case] a: Attr, #[case] tag: &str) {
        assert_eq!(type_tag(&a), tag);
        assert!(to_typed_json(&a).get(tag).is_some());
    }

    #[rstest]
    #[case(Attr::S("hello".into()), 10, "hello")]
    #[case(Attr::S("hello".into()), 5, "hello")]
    #[case(Attr::S("hello".into()), 4, "hel…")]
    #[case(Attr::S("hello".into()), 1, "…")]
    #[case(Attr::S("hello".into()), 0, "")]
    #[case(Attr::S(String::new()), 3, "")]
    #[case(Attr::S("日本語テキスト".into()), 4, "日本語…")]
    #[case(Attr::S("a\nb\tc".into()), 20, r"a\nb\tc")]
    #[case(Attr::S("a\nb".into()), 2, "a…")]
    #[case(Attr::S("\u{1b}[31m".into()), 20, r"\u{1b}[31m")]
    #[case(n("-1.50E+3"), 20, "-1.50E+3")]
    #[case(Attr::B(vec![0xff, 0x00]), 20, "/wA=")]
    #[case(Attr::Bool(true), 20, "true")]
    #[case(Attr::Null, 20, "null")]
    #[case(Attr::Null, 3, "nu…")]
    #[case(Attr::L(vec![n("1"), Attr::S("x\ny".into()), Attr::Null]), 40, r#"[1,"x\ny",null]"#)]
    #[case(Attr::M(Item::from([("b".into(), Attr::Bool(true)), ("a".into(), Attr::L(vec![]))])), 40, r#"{"a":[],"b":true}"#)]
    #[case(Attr::M(Item::from([("k".into(), Attr::S("value".into()))])), 8, r#"{"k":"v…"#)]
    #[case(Attr::Ss(vec!["a".into(), "b".into()]), 20, r#"["a","b"]"#)]
    #[case(Attr::Ns(vec!["1".into(), ".5".into()]), 20, "[1,0.5]")]
    #[case(Attr::Bs(vec![vec![1]]), 20, r#"["AQ=="]"#)]
    fn cell_texts(#[case] a: Attr, #[case] max: usize, #[case] expected: &str) {
        let text = cell_text(&a, max);
        assert_eq!(text, expected);
        assert!(text.chars().count() <= max);
    }

    fn number_text() -> impl Strategy<Value = String> {
        let exp = (
            prop_oneof![Just("e"), Just("E")],
            prop_oneof![Just(""), Just("+"), Just("-")],
            "[0-9]{1,3}",
        )
            .prop_map(|(e, sign, digits)| format!("{e}{sign}{digits}"));
        (
            prop_oneof![Just(""), Just("-"), Just("+")],
            "[0-9]{0,22}",
            proptest::option::of("[0-9]{0,22}"),
            proptest::option::of(exp),
        )
            .prop_map(|(sign, int, frac, exp)| {
                let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
                format!("{sign}{int}{frac}{}", exp.unwrap_or_default())
            })
            .prop_filter("must parse", |t| number::parse(t).is_some())
    }

    fn valid_number() -> impl Strategy<Value = String> {
        number_text().prop_filter("DynamoDB range", |t| is_valid_number(t))
    }

    fn canonical_number() -> impl Strategy<Value = String> {
        valid_number().prop_filter_map("parses", |t| number::parse(&t).map(|p| p.json_text()))
    }

    fn unique_numbers() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(valid_number(), 1..5).prop_map(|texts| {
            let mut seen = std::collections::BTreeSet::new();
            texts
                .into_iter()
                .filter(|t| number::check(t).is_ok_and(|key| seen.insert(key)))
                .collect()
        })
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..12)
    }

    fn typed_attr() -> impl Strategy<Value = Attr> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Attr::S),
            valid_number().prop_map(Attr::N),
            bytes().prop_map(Attr::B),
            any::<bool>().prop_map(Attr::Bool),
            Just(Attr::Null),
            proptest::collection::btree_set(any::<String>(), 1..5)
                .prop_map(|s| Attr::Ss(s.into_iter().collect())),
            unique_numbers().prop_map(Attr::Ns),
            proptest::collection::btree_set(bytes(), 1..5)
                .prop_map(|s| Attr::Bs(s.into_iter().collect())),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Attr::L),
                proptest::collection::btree_map(any::<String>(), inner, 0..5).prop_map(Attr::M),
            ]
        })
    }

    fn plain_attr() -> impl Strategy<Value = Attr> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Attr::S),
            canonical_number().prop_map(Attr::N),
            any::<bool>().prop_map(Attr::Bool),
            Just(Attr::Null),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Attr::L),
                proptest::collection::btree_map(any::<String>(), inner, 0..5).prop_map(Attr::M),
            ]
        })
    }

    fn any_attr() -> impl Strategy<Value = Attr> {
        let text = prop_oneof![any::<String>(), number_text()];
        let leaf = prop_oneof![
            any::<String>().prop_map(Attr::S),
            text.clone().prop_map(Attr::N),
            bytes().prop_map(Attr::B),
            Just(Attr::Null),
            proptest::collection::vec(text, 0..4).prop_map(Attr::Ns),
            proptest::collection::vec(bytes(), 0..4).prop_map(Attr::Bs),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Attr::L),
                proptest::collection::btree_map(any::<String>(), inner, 0..4).prop_map(Attr::M),
            ]
        })
    }

    fn item_of(attr: impl Strategy<Value = Attr>) -> impl Strategy<Value = Item> {
        proptest::collection::btree_map(".+", attr, 0..5)
    }

    /// Mantissa digits without leading zeros, and the exponent, as written.
    fn digits_and_exponent(text: &str) -> (String, i64) {
        let parts = number::parse(text).expect("number text");
        let digits = [parts.int_digits, parts.frac_digits].concat();
        let exp: i64 = parts
            .exp_digits
            .map_or(0, |d| d.parse().unwrap_or(i64::MAX));
        let exp = if parts.exp_negative { -exp } else { exp };
        (
            digits.trim_start_matches('0').to_owned(),
            exp - parts.frac_digits.len() as i64,
        )
    }

    proptest! {
        #[test]
        fn typed_json_round_trip_is_exact(item in item_of(typed_attr())) {
            let typed = item_to_typed_json(&item);
            let text = typed.to_string();
            let reparsed: Value = serde_json::from_str(&text).expect("parses");
            let back = item_from_typed_json(&reparsed).expect("own output is accepted");
            prop_assert_eq!(&back, &item);
            prop_assert_eq!(item_to_typed_json(&back).to_string(), text);
        }

        #[test]
        fn plain_json_round_trip_without_sets_or_binary(item in item_of(plain_attr())) {
            let text = item_to_plain_json(&item).to_string();
            let reparsed: Value = serde_json::from_str(&text).expect("parses");
            prop_assert_eq!(&item_from_plain_json(&reparsed).expect("valid"), &item);
            prop_assert_eq!(attr_from_plain_json(&reparsed), Attr::M(item));
        }

        #[test]
        fn plain_json_is_always_valid_json(a in any_attr(), max in 0usize..30) {
            let text = to_plain_json(&a).to_string();
            prop_assert!(serde_json::from_str::<Value>(&text).is_ok());
            let cell = cell_text(&a, max);
            prop_assert!(cell.chars().count() <= max);
            prop_assert!(!cell.chars().any(char::is_control));
        }

        #[test]
        fn plain_number_text_keeps_the_original_digits(text in number_text()) {
            let json_text = plain_text(&Attr::N(text.clone()));
            let reparsed: Value = serde_json::from_str(&json_text).expect("parses");
            prop_assert!(reparsed.is_number());
            prop_assert_eq!(reparsed.to_string(), json_text.clone());
            prop_assert_eq!(digits_and_exponent(&json_text), digits_and_exponent(&text));
            prop_assert_eq!(number::parse(&json_text).map(|p| p.key()), number::parse(&text).map(|p| p.key()));
        }
    }
}
