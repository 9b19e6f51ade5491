use std::path::Path;

use rstest::rstest;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/tmp/c.toml"))
}

#[test]
fn defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.discovery.tags[0].key, DEFAULT_DISCOVERY_TAG);
    assert_eq!(c.abandon.after, Duration::from_secs(30 * 86_400));
    assert_eq!(c.logs.buffer, 10_000);
}

#[test]
fn example_config_parses() {
    let text = include_str!("../../config.example.toml");
    let c = parse(text).unwrap();
    assert!(!c.discovery.tags.is_empty());
}

#[test]
fn full_values() {
    let c = parse(
            "[discovery]\ntags = [\"team=proto\", \"stage\"]\n[abandon]\nafter = \"45d\"\n[ui]\ntheme = \"high-contrast\"\n",
        )
        .unwrap();
    assert_eq!(c.discovery.tags.len(), 2);
    assert_eq!(c.discovery.tags[1].value, None);
    assert_eq!(c.abandon.after, Duration::from_secs(45 * 86_400));
    assert_eq!(c.ui.theme, Theme::HighContrast);
}

#[rstest]
#[case::unknown_key("[discovery]\ntags = []\ncolour = 1\n", 3, "colour", "unknown field")]
#[case::unknown_section("\n\n[nope]\nx = 1\n", 3, "nope", "unknown field")]
#[case::bad_type("[logs]\nbuffer = \"many\"\n", 2, "buffer", "invalid type")]
#[case::bad_duration("[abandon]\nafter = \"soon\"\n", 2, "after", "not a duration")]
#[case::bad_tag("[discovery]\ntags = [\"=x\"]\n", 2, "tags", "empty key")]
#[case::bad_theme("[ui]\ntheme = \"neon\"\n", 2, "theme", "unknown variant")]
#[case::bad_clipboard(
    "[ui]\nclipboard = \"carrier-pigeon\"\n",
    2,
    "clipboard",
    "unknown variant"
)]
#[case::syntax("[ui\n", 1, "ui", "")]
#[case::cost_key(
    "[cost]\ncurrency = \"EUR\"\n[cost.prices]\n\"lambda.reqs\" = 1.0\n",
    4,
    "cost.prices.\"lambda.reqs\"",
    "unknown price"
)]
#[case::cost_value(
    "[cost.prices]\n\"eu-west-1/s3.standard\" = -2.0\n",
    2,
    "cost.prices.\"eu-west-1/s3.standard\"",
    "finite number"
)]
#[case::cost_days("[cost]\ndays = 0\n", 2, "cost.days", "between 1 and 455")]
#[case::cost_source("[cost]\nsource = \"bill\"\n", 2, "source", "unknown variant")]
fn errors_name_file_line_key(
    #[case] text: &str,
    #[case] line: usize,
    #[case] key: &str,
    #[case] msg: &str,
) {
    let err = parse(text).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("/tmp/c.toml"), "{shown}");
    assert!(shown.contains(&format!("line {line}")), "{shown}");
    assert!(shown.contains(&format!("`{key}`")), "{shown}");
    assert!(shown.contains(msg), "{shown}");
    assert!(!shown.contains('\n'), "one line: {shown}");
}

#[rstest]
#[case("90s", 90)]
#[case("15m", 900)]
#[case("2h", 7200)]
#[case("30d", 2_592_000)]
#[case("1w", 604_800)]
#[case("12", 12)]
fn durations(#[case] s: &str, #[case] secs: u64) {
    assert_eq!(parse_duration(s).unwrap(), Duration::from_secs(secs));
}

#[rstest]
#[case("")]
#[case("m")]
#[case("5y")]
#[case("-5m")]
#[case("99999999999999999999d")]
fn bad_durations(#[case] s: &str) {
    assert!(parse_duration(s).is_err());
}

#[rstest]
#[case::unknown_command(
    "[keys.global]\n\"x\" = \"explode\"\n",
    2,
    "keys.global.\"x\"",
    "unknown command"
)]
#[case::unknown_key(
    "\n[keys.stacks]\n\"j\" = \"down\"\n\"hyper-k\" = \"up\"\n",
    4,
    "keys.stacks.\"hyper-k\"",
    "unknown key"
)]
#[case::unknown_scope(
    "[keys.nowhere]\n\"q\" = \"quit\"\n",
    1,
    "keys.nowhere",
    "unknown key-map scope"
)]
#[case::conflict(
    "[keys.stacks]\n\"G\" = \"bottom\"\n\"shift-g\" = \"top\"\n",
    3,
    "keys.stacks.\"shift-g\"",
    "conflicting bindings"
)]
fn keymap_errors_name_file_line_key(
    #[case] text: &str,
    #[case] line: usize,
    #[case] key: &str,
    #[case] msg: &str,
) {
    let shown = parse(text).unwrap_err().to_string();
    assert!(shown.contains(&format!("line {line}")), "{shown}");
    assert!(shown.contains(&format!("`{key}`")), "{shown}");
    assert!(shown.contains(msg), "{shown}");
}

#[test]
fn keymap_overrides_are_accepted() {
    let c = parse("[keys.global]\n\"ctrl-q\" = \"quit\"\n\"q\" = \"none\"\n").unwrap();
    assert!(c.keys.contains_key("global"));
}

#[test]
fn saved_queries() {
    let c = parse(
            "[queries]\nsince = \"2h\"\n[[queries.saved]]\nname = \"slow\"\ntext = \"fields @duration\"\nstacks = \"orders-*\"\n",
        )
        .unwrap();
    assert_eq!(c.queries.since, Duration::from_secs(7200));
    assert_eq!(c.queries.saved[0].name, "slow");
    assert_eq!(c.queries.saved[0].stacks.as_deref(), Some("orders-*"));
    let err = parse("[[queries.saved]]\nname = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `text`"), "{err}");
}

#[test]
fn missing_explicit_file_is_an_error() {
    let err = Config::load(Some(Path::new("/nonexistent/protoctl.toml"))).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/protoctl.toml"));
}
