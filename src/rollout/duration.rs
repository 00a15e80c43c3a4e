//! Durations in plan files and flags: Go-style (`30s`, `5m`, `1h30m`, `250ms`, `1d`) or
//! ISO 8601 (`PT5M`, `P1D`, `PT1H30M`, `P1W`). Years and months are refused: their length
//! depends on the calendar, and a rollout timer must mean the same thing every day.

use std::time::Duration;

/// Parse a duration; the error says what was expected.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration: write e.g. `30s`, `5m`, `1h30m` or `PT5M`".to_string());
    }
    let parsed = if t.starts_with(['P', 'p']) {
        parse_iso(t)
    } else {
        parse_go(t)
    };
    parsed.ok_or_else(|| {
        format!("invalid duration `{t}`: write e.g. `30s`, `5m`, `1h30m` (units ms, s, m, h, d) or ISO 8601 `PT5M`, `P1D`")
    })
}

/// Render a duration the short way (`1h30m`, `45s`, `250ms`) for messages and `plan`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    if !ms.is_multiple_of(1000) && ms < 60_000 {
        return format!("{ms}ms");
    }
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("m", 60)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if secs > 0 {
        out.push_str(&format!("{secs}s"));
    }
    out
}

fn parse_go(t: &str) -> Option<Duration> {
    let bytes = t.as_bytes();
    let mut i = 0;
    let mut total = Duration::ZERO;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number: f64 = t.get(start..i)?.parse().ok()?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let seconds = match t.get(unit_start..i)? {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3_600.0,
            "d" => 86_400.0,
            _ => return None,
        };
        total = total.checked_add(Duration::try_from_secs_f64(number * seconds).ok()?)?;
    }
    Some(total)
}

fn parse_iso(t: &str) -> Option<Duration> {
    let upper = t.to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, tm)) => {
            if tm.is_empty() {
                return None;
            }
            (d, tm)
        }
        None => (rest, ""),
    };
    if date.is_empty() && time.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    total += iso_part(date, &[('W', 604_800.0), ('D', 86_400.0)])?;
    total += iso_part(time, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    Duration::try_from_secs_f64(total).ok()
}

/// Sum the `<number><designator>` parts of one side of an ISO 8601 duration; designators
/// must come in the given order, each at most once.
fn iso_part(text: &str, units: &[(char, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut next_unit = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || c == '.' || c == ',' {
            number.push(if c == ',' { '.' } else { c });
            continue;
        }
        let pos = units.iter().position(|(u, _)| *u == c)?;
        if pos < next_unit || number.is_empty() {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        total += value * units.get(pos)?.1;
        next_unit = pos + 1;
        number.clear();
    }
    if number.is_empty() {
        Some(total)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn iso_8601() {
        assert_eq!(parse_duration("PT5M"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("P1D"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("PT1H30M"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("P1DT2H"), Ok(Duration::from_secs(93_600)));
        assert_eq!(parse_duration("PT0.5S"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("P1W"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("pt10m"), Ok(Duration::from_secs(600)));
    }

    #[test]
    fn refused() {
        for bad in [
            "", "5", "5x", "m5", "P", "PT", "P1M", "P1Y", "PT5M5H", "P1DT", "5m-", "1h 30m",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("duration"), "{bad:?} should be refused: {err}");
        }
    }

    #[test]
    fn format_round_trips() {
        for (d, s) in [
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(30), "30s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_secs(86_400), "1d"),
            (Duration::ZERO, "0s"),
        ] {
            assert_eq!(format_duration(d), s);
            assert_eq!(parse_duration(s), Ok(d));
        }
    }
}
