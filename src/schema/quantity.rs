//! Kubernetes resource quantities (`500m`, `1Gi`, `2.5e3`): the syntax the API server
//! accepts for `resource.Quantity` fields and the CEL `quantity()` library.

/// A parsed quantity. The value is kept as `f64`, enough to compare and check the sign;
/// the API server's exact decimal arithmetic is not needed offline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub value: f64,
}

/// Parse a quantity in the API server's grammar:
/// `[+-]digits[.digits][suffix]` where suffix is a binary SI suffix (`Ki`…`Ei`), a decimal
/// SI suffix (`n u m "" k M G T P E`) or a decimal exponent (`e3`, `E-2`).
pub fn parse_quantity(s: &str) -> Option<Quantity> {
    let bytes = s.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+') | Some(b'-')) {
        i += 1;
    }
    let digits_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - digits_start;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let number: f64 = s.get(..i)?.parse().ok()?;
    let suffix = s.get(i..)?;
    let multiplier = match suffix {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        _ => {
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let e: i32 = exp.parse().ok()?;
            10f64.powi(e)
        }
    };
    Some(Quantity {
        value: number * multiplier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_api_server_grammar() {
        assert_eq!(parse_quantity("500m").map(|q| q.value), Some(0.5));
        assert_eq!(parse_quantity("1Gi").map(|q| q.value), Some(1073741824.0));
        assert_eq!(parse_quantity("2.5e3").map(|q| q.value), Some(2500.0));
        assert_eq!(parse_quantity("+1").map(|q| q.value), Some(1.0));
        assert_eq!(parse_quantity(".5").map(|q| q.value), Some(0.5));
        assert_eq!(parse_quantity("-3k").map(|q| q.value), Some(-3000.0));
        for bad in ["", "Gi", "1GB", "1 Gi", "one", "1e", "1.2.3", "1gi", "--1"] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }
}
