//! Kubernetes resource quantities (`500m`, `1.5Gi`, `2.5e3`): the syntax the API server
//! accepts for `resource.Quantity` fields, and exact decimal arithmetic for the CEL
//! quantity library (`isGreaterThan`, `compareTo`, `add`, `sub`, `asInteger`, …).
//!
//! A quantity is kept as `mantissa × 10^exponent` with an `i128` mantissa, so `1.5Gi`
//! (`15 × 2^30 × 10^-1`) and `1G` compare exactly, as `resource.Quantity.Cmp` does; floats
//! are only produced by `asApproximateFloat`.

use std::cmp::Ordering;

/// An exact decimal quantity: `mantissa × 10^exponent`, normalised so the mantissa has no
/// trailing zeros (zero is `0 × 10^0`), which makes derived equality exact equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    mantissa: i128,
    exponent: i32,
}

/// Arithmetic that leaves the representable range (more than 38 significant digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("quantity out of range")]
pub struct Overflow;

impl Quantity {
    /// `mantissa × 10^exponent`, normalised.
    pub fn new(mantissa: i128, exponent: i32) -> Quantity {
        let (mut m, mut e) = (mantissa, exponent);
        if m == 0 {
            return Quantity {
                mantissa: 0,
                exponent: 0,
            };
        }
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        Quantity {
            mantissa: m,
            exponent: e,
        }
    }

    pub fn from_i64(v: i64) -> Quantity {
        Quantity::new(i128::from(v), 0)
    }

    /// -1, 0 or 1.
    pub fn sign(&self) -> i64 {
        self.mantissa.signum() as i64
    }

    /// The value as `i64` when it is a whole number in range (`resource.Quantity.AsInt64`).
    pub fn as_i64(&self) -> Option<i64> {
        let v = if self.exponent >= 0 {
            let scale = 10i128.checked_pow(u32::try_from(self.exponent).ok()?)?;
            self.mantissa.checked_mul(scale)?
        } else {
            // Normalised: a negative exponent means a fractional part.
            return None;
        };
        i64::try_from(v).ok()
    }

    /// The nearest `f64` (`asApproximateFloat`).
    pub fn as_f64(&self) -> f64 {
        // Through the decimal text, so the only rounding is the final conversion.
        format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Both mantissas at the smaller exponent.
    fn aligned(&self, other: &Quantity) -> Result<(i128, i128, i32), Overflow> {
        let e = self.exponent.min(other.exponent);
        let scale = |q: &Quantity| -> Result<i128, Overflow> {
            let diff = u32::try_from(q.exponent - e).map_err(|_| Overflow)?;
            let factor = 10i128.checked_pow(diff).ok_or(Overflow)?;
            q.mantissa.checked_mul(factor).ok_or(Overflow)
        };
        Ok((scale(self)?, scale(other)?, e))
    }

    pub fn checked_add(&self, other: &Quantity) -> Result<Quantity, Overflow> {
        let (a, b, e) = self.aligned(other)?;
        Ok(Quantity::new(a.checked_add(b).ok_or(Overflow)?, e))
    }

    pub fn checked_sub(&self, other: &Quantity) -> Result<Quantity, Overflow> {
        let (a, b, e) = self.aligned(other)?;
        Ok(Quantity::new(a.checked_sub(b).ok_or(Overflow)?, e))
    }

    /// Decimal digits of the mantissa's magnitude.
    fn digits(&self) -> String {
        self.mantissa.unsigned_abs().to_string()
    }
}

impl Ord for Quantity {
    /// Exact comparison, without any arithmetic that could overflow: by sign, then by
    /// order of magnitude, then digit by digit.
    fn cmp(&self, other: &Quantity) -> Ordering {
        let (sa, sb) = (self.mantissa.signum(), other.mantissa.signum());
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let (da, db) = (self.digits(), other.digits());
        let magnitude_a = da.len() as i64 + i64::from(self.exponent);
        let magnitude_b = db.len() as i64 + i64::from(other.exponent);
        let abs = match magnitude_a.cmp(&magnitude_b) {
            Ordering::Equal => {
                let width = da.len().max(db.len());
                format!("{da:0<width$}").cmp(&format!("{db:0<width$}"))
            }
            other => other,
        };
        if sa < 0 {
            abs.reverse()
        } else {
            abs
        }
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Parse a quantity in the API server's grammar:
/// `[+-]digits[.digits][suffix]` where suffix is a binary SI suffix (`Ki`…`Ei`), a decimal
/// SI suffix (`n u m "" k M G T P E`) or a decimal exponent (`e3`, `E-2`).
pub fn parse_quantity(s: &str) -> Option<Quantity> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let negative = bytes.first() == Some(&b'-');
    if matches!(bytes.first(), Some(b'+') | Some(b'-')) {
        i += 1;
    }
    let digits_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = s.get(digits_start..i)?;
    let mut frac_digits = "";
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = s.get(f..i)?;
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let suffix = s.get(i..)?;
    // (power of 1024, power of 10)
    let (binary, decimal): (u32, i32) = match suffix {
        "" => (0, 0),
        "Ki" => (1, 0),
        "Mi" => (2, 0),
        "Gi" => (3, 0),
        "Ti" => (4, 0),
        "Pi" => (5, 0),
        "Ei" => (6, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        _ => {
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (0, exp.parse().ok()?)
        }
    };
    // Leading zeros carry no value; more significant digits than an i128 holds are not
    // quantities the API server would keep either.
    let all_digits = format!("{int_digits}{frac_digits}");
    let trimmed = all_digits.trim_start_matches('0');
    let mut mantissa: i128 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    mantissa = mantissa.checked_mul(1024i128.checked_pow(binary)?)?;
    if negative {
        mantissa = -mantissa;
    }
    let frac_len = i32::try_from(frac_digits.len()).ok()?;
    Some(Quantity::new(mantissa, decimal.checked_sub(frac_len)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        parse_quantity(s).unwrap()
    }

    #[test]
    fn parses_the_api_server_grammar() {
        assert_eq!(q("500m").as_f64(), 0.5);
        assert_eq!(q("1Gi").as_i64(), Some(1073741824));
        assert_eq!(q("2.5e3").as_i64(), Some(2500));
        assert_eq!(q("+1").as_i64(), Some(1));
        assert_eq!(q(".5").as_f64(), 0.5);
        assert_eq!(q("-3k").as_i64(), Some(-3000));
        assert_eq!(q("1.5Gi").as_i64(), Some(1610612736));
        assert_eq!(q("0.000"), Quantity::from_i64(0));
        for bad in [
            "", "Gi", "1GB", "1 Gi", "one", "1e", "1.2.3", "1gi", "--1", ".",
        ] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn compares_exactly() {
        assert!(q("1.5Gi") > q("1G"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("1000m") == q("1"));
        assert!(q("999m") < q("1"));
        assert!(q("-1") < q("-999m"));
        assert!(q("0") > q("-1n"));
        // Beyond f64 precision: 2^63 + 1 and 2^63 differ by one.
        assert!(q("9223372036854775809") > q("9223372036854775808"));
        assert!(q("1e300") > q("1e-300"));
        assert!(q("100000000000000000000001n") > q("100000000000000"));
        assert_eq!(q("1.10").cmp(&q("1.1")), Ordering::Equal);
    }

    #[test]
    fn arithmetic_and_conversions() {
        assert_eq!(q("1.5").checked_add(&q("500m")).unwrap(), q("2"));
        assert_eq!(q("1Mi").checked_sub(&q("1Ki")).unwrap(), q("1047552"));
        assert_eq!(q("0.1").checked_add(&q("0.2")).unwrap(), q("0.3"));
        assert_eq!(q("1.5").as_i64(), None);
        assert_eq!(q("1e19").as_i64(), None);
        assert_eq!(q("2000m").as_i64(), Some(2));
        assert_eq!(q("-5").sign(), -1);
        assert_eq!(q("0n").sign(), 0);
        assert!(q("1e30").checked_add(&q("1e-30")).is_err());
    }
}
