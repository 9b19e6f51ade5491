//! `DynamoDB` number text: syntax, range rules, JSON normalisation and value identity.

/// Most significant digits `DynamoDB` keeps in a number.
const MAX_DIGITS: usize = 38;
/// Smallest decimal exponent of a non-zero `DynamoDB` number (1E-130).
const MIN_EXP: i64 = -130;
/// Largest decimal exponent of a `DynamoDB` number (9.99…E+125).
const MAX_EXP: i64 = 125;
/// Exponents are clamped here while parsing so arithmetic on them cannot overflow.
const EXP_CLAMP: i64 = 1 << 40;

/// The parts of a number written as `[+-]digits[.digits][(e|E)[+-]digits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Parts<'a> {
    pub negative: bool,
    pub int_digits: &'a str,
    pub frac_digits: &'a str,
    pub exp_negative: bool,
    pub exp_digits: Option<&'a str>,
}

/// Why a text is not an acceptable `DynamoDB` number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberProblem {
    NotANumber,
    TooManyDigits(usize),
    OutOfRange,
}

/// A number's value independent of how it was written, used to spot duplicates in number sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum NumberKey {
    Zero,
    NonZero {
        negative: bool,
        digits: String,
        exponent: i64,
    },
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// Parses the number syntax Java's `BigDecimal` (and so `DynamoDB`) accepts, e.g. `.5`, `5.`, `+5`, `1E5`.
pub(super) fn parse(text: &str) -> Option<Parts<'_>> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (int_digits, rest) = split_digits(rest);
    let (frac_digits, rest) = match rest.strip_prefix('.') {
        Some(after) => split_digits(after),
        None => ("", rest),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let (exp_negative, exp_digits) = match rest.strip_prefix(['e', 'E']) {
        None if rest.is_empty() => (false, None),
        None => return None,
        Some(after) => {
            let (exp_negative, after) = match after.as_bytes().first() {
                Some(b'-') => (true, &after[1..]),
                Some(b'+') => (false, &after[1..]),
                _ => (false, after),
            };
            let (digits, tail) = split_digits(after);
            if digits.is_empty() || !tail.is_empty() {
                return None;
            }
            (exp_negative, Some(digits))
        }
    };
    Some(Parts {
        negative,
        int_digits,
        frac_digits,
        exp_negative,
        exp_digits,
    })
}

impl Parts<'_> {
    fn exponent(&self) -> i64 {
        let magnitude = self.exp_digits.unwrap_or("").bytes().fold(0i64, |acc, b| {
            (acc * 10 + i64::from(b - b'0')).min(EXP_CLAMP)
        });
        if self.exp_negative {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The value as significant digits (no leading or trailing zeros) and the exponent of the first one.
    pub fn key(&self) -> NumberKey {
        let all: String = [self.int_digits, self.frac_digits].concat();
        let trimmed_lead = all.trim_start_matches('0');
        let significant = trimmed_lead.trim_end_matches('0');
        if significant.is_empty() {
            return NumberKey::Zero;
        }
        let int_len = self.int_digits.len() as i64;
        let leading_zeros = (all.len() - trimmed_lead.len()) as i64;
        NumberKey::NonZero {
            negative: self.negative,
            digits: significant.to_owned(),
            exponent: self.exponent() + int_len - leading_zeros - 1,
        }
    }

    /// The same value as JSON number text in `serde_json`'s normal form: `-?(0|[1-9]d*)(.d+)?(e[+-]d+)?`.
    pub fn json_text(&self) -> String {
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        let int = self.int_digits.trim_start_matches('0');
        out.push_str(if int.is_empty() { "0" } else { int });
        if !self.frac_digits.is_empty() {
            out.push('.');
            out.push_str(self.frac_digits);
        }
        if let Some(exp) = self.exp_digits {
            out.push('e');
            out.push(if self.exp_negative { '-' } else { '+' });
            out.push_str(exp);
        }
        out
    }
}

/// Checks `text` against `DynamoDB`'s number rules.
pub(super) fn check(text: &str) -> Result<NumberKey, NumberProblem> {
    let parts = parse(text).ok_or(NumberProblem::NotANumber)?;
    let key = parts.key();
    if let NumberKey::NonZero {
        digits, exponent, ..
    } = &key
    {
        if digits.len() > MAX_DIGITS {
            return Err(NumberProblem::TooManyDigits(digits.len()));
        }
        if !(MIN_EXP..=MAX_EXP).contains(exponent) {
            return Err(NumberProblem::OutOfRange);
        }
    }
    Ok(key)
}

/// Whether `text` is a number `DynamoDB` accepts: zero, or up to 38 significant digits with magnitude 1E-130 to 9.99…E+125.
pub fn is_valid_number(text: &str) -> bool {
    check(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("0", true)]
    #[case("-0", true)]
    #[case("0.000", true)]
    #[case("0E+999999999999999999999", true)]
    #[case("12.5", true)]
    #[case("-12.5", true)]
    #[case("+5", true)]
    #[case(".5", true)]
    #[case("5.", true)]
    #[case("007", true)]
    #[case("1e5", true)]
    #[case("1E-130", true)]
    #[case("0.0001E-126", true)]
    #[case("9.9999999999999999999999999999999999999E+125", true)]
    #[case("-9.9999999999999999999999999999999999999E+125", true)]
    #[case("12345678901234567890123456789012345678", true)]
    #[case("1234567890123456789012345678901234567800000", true)]
    #[case("0.00012345678901234567890123456789012345678", true)]
    #[case("123456789012345678901234567890123456789", false)]
    #[case("1.23456789012345678901234567890123456789", false)]
    #[case("1E+126", false)]
    #[case("10E+125", false)]
    #[case("9.9E-131", false)]
    #[case("0.01E-129", false)]
    #[case("0.1E-129", true)]
    #[case("1e99999999999999999999999", false)]
    #[case("1e-99999999999999999999999", false)]
    #[case("", false)]
    #[case("-", false)]
    #[case(".", false)]
    #[case("e5", false)]
    #[case("1e", false)]
    #[case("1e+", false)]
    #[case("1.2.3", false)]
    #[case("x1", false)]
    #[case(" 1", false)]
    #[case("1 ", false)]
    #[case("NaN", false)]
    #[case("Infinity", false)]
    #[case("0x10", false)]
    #[case("--1", false)]
    #[case("١٢", false)]
    fn validity(#[case] text: &str, #[case] valid: bool) {
        assert_eq!(is_valid_number(text), valid, "{text}");
    }

    #[rstest]
    #[case(
        "123456789012345678901234567890123456789",
        NumberProblem::TooManyDigits(39)
    )]
    #[case("1E+126", NumberProblem::OutOfRange)]
    #[case("abc", NumberProblem::NotANumber)]
    fn problems(#[case] text: &str, #[case] problem: NumberProblem) {
        assert_eq!(check(text), Err(problem));
    }

    #[rstest]
    #[case(".5", "0.5")]
    #[case("5.", "5")]
    #[case("+5", "5")]
    #[case("-007.50", "-7.50")]
    #[case("1e5", "1e+5")]
    #[case("1E+130", "1e+130")]
    #[case("2.5E-07", "2.5e-07")]
    #[case("-0", "-0")]
    #[case("000", "0")]
    #[case(
        "12345678901234567890123456789012345678",
        "12345678901234567890123456789012345678"
    )]
    fn json_text(#[case] text: &str, #[case] expected: &str) {
        let parts = parse(text).expect("parses");
        assert_eq!(parts.json_text(), expected);
        assert_eq!(parse(expected).expect("reparses").key(), parts.key());
    }

    #[rstest]
    #[case("1", "1.000")]
    #[case("1", "0.1e1")]
    #[case("-250", "-2.5E+2")]
    #[case("0", "-0.0e7")]
    #[case("0.001", "1e-3")]
    fn same_value(#[case] a: &str, #[case] b: &str) {
        assert_eq!(check(a), check(b));
    }

    #[rstest]
    #[case("1", "-1")]
    #[case("1", "10")]
    #[case("1.5", "15")]
    #[case("12", "21")]
    fn different_value(#[case] a: &str, #[case] b: &str) {
        assert_ne!(check(a), check(b));
    }
}
