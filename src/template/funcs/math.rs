//! Sprig's arithmetic (`numeric.go` and the inline functions of `functions.go`): `add`,
//! `sub`, `mul`, `div`, `mod`, `max`, `min`, the float `*f` family, `floor`/`ceil`/`round`,
//! and the integer sequences `until`, `untilStep` and `seq`. (`toDecimal` is with the
//! conversions.)
//!
//! Integer functions convert every argument with spf13/cast's `ToInt64` (strings parse, nil
//! is 0) and return int64 (so `typeOf (add 1 2)` is `int64`) with Go's wrapping arithmetic; dividing by zero is Go's runtime
//! panic, which Helm reports as an error. The `*f` functions go through shopspring/decimal:
//! each float64 becomes its shortest decimal, the operation is exact (division rounds to 16
//! decimal places), and the result is converted back to the nearest float64 — so
//! `addf 0.1 0.2` is 0.3, not 0.30000000000000004.

use super::convert::{expect_args, expect_min_args, int_arg, to_float64, to_int64};
use super::FuncMap;
use crate::template::value::{FuncError, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("add", add);
    map.insert("add1", add1);
    map.insert("sub", sub);
    map.insert("mul", mul);
    map.insert("div", div);
    map.insert("mod", modulo);
    map.insert("max", max);
    map.insert("biggest", max);
    map.insert("min", min);
    map.insert("addf", addf);
    map.insert("add1f", add1f);
    map.insert("subf", subf);
    map.insert("mulf", mulf);
    map.insert("divf", divf);
    map.insert("maxf", maxf);
    map.insert("minf", minf);
    map.insert("floor", floor);
    map.insert("ceil", ceil);
    map.insert("round", round);
    map.insert("until", until);
    map.insert("untilStep", until_step);
    map.insert("seq", seq);
}

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

fn add(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::int64(
        args.iter()
            .fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
    ))
}

fn add1(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("add1", args, 1)?;
    Ok(Value::int64(to_int64(&args[0]).wrapping_add(1)))
}

fn sub(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("sub", args, 2)?;
    Ok(Value::int64(
        to_int64(&args[0]).wrapping_sub(to_int64(&args[1])),
    ))
}

fn mul(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("mul", args, 1)?;
    Ok(Value::int64(
        args[1..]
            .iter()
            .fold(to_int64(&args[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
    ))
}

/// Go integer division truncates toward zero; `MinInt64 / -1` wraps instead of trapping.
fn div(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("div", args, 2)?;
    let b = to_int64(&args[1]);
    if b == 0 {
        return Err(FuncError::new(DIVIDE_BY_ZERO));
    }
    Ok(Value::int64(to_int64(&args[0]).wrapping_div(b)))
}

/// Go's `%` takes the sign of the dividend, like Rust's.
fn modulo(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mod", args, 2)?;
    let b = to_int64(&args[1]);
    if b == 0 {
        return Err(FuncError::new(DIVIDE_BY_ZERO));
    }
    Ok(Value::int64(to_int64(&args[0]).wrapping_rem(b)))
}

fn max(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("max", args, 1)?;
    Ok(Value::int64(
        args.iter().map(to_int64).fold(i64::MIN, i64::max),
    ))
}

fn min(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("min", args, 1)?;
    Ok(Value::int64(
        args.iter().map(to_int64).fold(i64::MAX, i64::min),
    ))
}

/// Go's `math.Max`: NaN wins, and +0 beats -0.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

/// Go's `math.Min`: NaN wins, and -0 beats +0.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() {
            a
        } else {
            b
        }
    } else if a < b {
        a
    } else {
        b
    }
}

fn maxf(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("maxf", args, 1)?;
    let first = to_float64(&args[0]);
    Ok(Value::Float(
        args[1..].iter().map(to_float64).fold(first, go_max),
    ))
}

fn minf(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("minf", args, 1)?;
    let first = to_float64(&args[0]);
    Ok(Value::Float(
        args[1..].iter().map(to_float64).fold(first, go_min),
    ))
}

/// A decimal `coefficient × 10^exponent`, the part of shopspring/decimal the `*f` functions
/// use. The coefficient is an i128: float64 inputs have at most 17 significant digits, so
/// this holds every realistic chart computation exactly; on overflow we fall back to plain
/// float64 arithmetic.
#[derive(Clone, Copy, Debug)]
struct Decimal {
    coefficient: i128,
    exponent: i32,
}

/// shopspring's `DivisionPrecision`: quotients keep 16 digits after the decimal point.
const DIVISION_PRECISION: i32 = 16;

impl Decimal {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `x`.
    fn from_f64(x: f64) -> Result<Decimal, FuncError> {
        if !x.is_finite() {
            return Err(FuncError::new(format!(
                "Cannot create a Decimal from {}",
                crate::template::value::format_float_g(x)
            )));
        }
        if x == 0.0 {
            return Ok(Decimal {
                coefficient: 0,
                exponent: 0,
            });
        }
        let (digits, point) = crate::template::value::shortest_digits(x);
        let mut coefficient: i128 = digits.parse().unwrap_or(0);
        if x < 0.0 {
            coefficient = -coefficient;
        }
        Ok(Decimal {
            coefficient,
            exponent: point - digits.len() as i32,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.coefficient, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Both coefficients scaled to the smaller exponent.
    fn aligned(self, other: Decimal) -> Option<(i128, i128, i32)> {
        let exponent = self.exponent.min(other.exponent);
        let a = scale(self.coefficient, self.exponent - exponent)?;
        let b = scale(other.coefficient, other.exponent - exponent)?;
        Some((a, b, exponent))
    }

    fn add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, exponent) = self.aligned(other)?;
        Some(Decimal {
            coefficient: a.checked_add(b)?,
            exponent,
        })
    }

    fn sub(self, other: Decimal) -> Option<Decimal> {
        let (a, b, exponent) = self.aligned(other)?;
        Some(Decimal {
            coefficient: a.checked_sub(b)?,
            exponent,
        })
    }

    fn mul(self, other: Decimal) -> Option<Decimal> {
        Some(Decimal {
            coefficient: self.coefficient.checked_mul(other.coefficient)?,
            exponent: self.exponent.checked_add(other.exponent)?,
        })
    }

    /// `Div` = `DivRound(d2, 16)`: truncate at 16 places, then round half away from zero.
    /// The caller has checked that `other` is not zero.
    fn div(self, other: Decimal) -> Option<Decimal> {
        // self / other = (a / b) × 10^(ea - eb); we want q with exponent -16, so
        // q = a × 10^(ea - eb + 16) / b.
        let shift = self.exponent - other.exponent + DIVISION_PRECISION;
        let (num, den) = if shift >= 0 {
            (scale(self.coefficient, shift)?, other.coefficient)
        } else {
            (self.coefficient, scale(other.coefficient, -shift)?)
        };
        let mut q = num.checked_div(den)?;
        let r = num.checked_rem(den)?;
        if r.unsigned_abs().checked_mul(2)? >= den.unsigned_abs() {
            q += if (num < 0) != (den < 0) { -1 } else { 1 };
        }
        Some(Decimal {
            coefficient: q,
            exponent: -DIVISION_PRECISION,
        })
    }
}

fn scale(c: i128, places: i32) -> Option<i128> {
    let factor = 10i128.checked_pow(u32::try_from(places).ok()?)?;
    c.checked_mul(factor)
}

#[derive(Clone, Copy)]
enum DecimalOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Sprig's `execDecimalOp`: fold `rest` into `first` with `op` in decimal arithmetic.
fn decimal_fold(first: &Value, rest: &[Value], op: DecimalOp) -> Result<Value, FuncError> {
    let mut acc = Decimal::from_f64(to_float64(first))?;
    let mut fallback: Option<f64> = None;
    for v in rest {
        let x = to_float64(v);
        let d = Decimal::from_f64(x)?;
        if matches!(op, DecimalOp::Div) && d.coefficient == 0 {
            return Err(FuncError::new("decimal division by 0"));
        }
        if let Some(f) = fallback {
            fallback = Some(apply_f64(f, x, op));
            continue;
        }
        let next = match op {
            DecimalOp::Add => acc.add(d),
            DecimalOp::Sub => acc.sub(d),
            DecimalOp::Mul => acc.mul(d),
            DecimalOp::Div => acc.div(d),
        };
        match next {
            Some(n) => acc = n,
            None => fallback = Some(apply_f64(acc.to_f64(), x, op)),
        }
    }
    Ok(Value::Float(fallback.unwrap_or_else(|| acc.to_f64())))
}

fn apply_f64(a: f64, b: f64, op: DecimalOp) -> f64 {
    match op {
        DecimalOp::Add => a + b,
        DecimalOp::Sub => a - b,
        DecimalOp::Mul => a * b,
        DecimalOp::Div => a / b,
    }
}

fn addf(args: &[Value]) -> Result<Value, FuncError> {
    decimal_fold(&Value::Float(0.0), args, DecimalOp::Add)
}

fn add1f(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("add1f", args, 1)?;
    decimal_fold(&args[0], &[Value::int(1)], DecimalOp::Add)
}

fn subf(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("subf", args, 1)?;
    decimal_fold(&args[0], &args[1..], DecimalOp::Sub)
}

fn mulf(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("mulf", args, 1)?;
    decimal_fold(&args[0], &args[1..], DecimalOp::Mul)
}

fn divf(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("divf", args, 1)?;
    decimal_fold(&args[0], &args[1..], DecimalOp::Div)
}

fn floor(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("floor", args, 1)?;
    Ok(Value::Float(to_float64(&args[0]).floor()))
}

fn ceil(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("ceil", args, 1)?;
    Ok(Value::Float(to_float64(&args[0]).ceil()))
}

/// `round value places [roundOn]`: scale by 10^places, then round up when the fraction
/// (Go's `math.Modf`, signed) is at least `roundOn` (default .5). So `round -2.5 0` is -3:
/// the fraction -0.5 is below .5 and the value is floored.
fn round(args: &[Value]) -> Result<Value, FuncError> {
    if args.len() < 2 {
        return Err(FuncError::new(format!(
            "wrong number of args for round: want at least 2 got {}",
            args.len()
        )));
    }
    let val = to_float64(&args[0]);
    let places = int_arg("round", args, 1)?;
    let round_on = match args.get(2) {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i, _)) => *i as f64,
        Some(other) => {
            return Err(FuncError::new(format!(
                "wrong type for value; expected float64; got {}",
                other.type_name()
            )))
        }
        None => 0.5,
    };
    let pow = go_pow10(places as f64);
    let digit = pow * val;
    let frac = digit - digit.trunc();
    let rounded = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(rounded / pow))
}

/// Go's `math.Pow(10, y)` for integral `y`: repeated squaring on the mantissa, then one
/// division for negative powers. This is not always the correctly rounded power that libm's
/// `pow` returns, and `round` results depend on the difference.
fn go_pow10(y: f64) -> f64 {
    if y == 0.0 {
        return 1.0;
    }
    let yi = y.abs();
    if yi >= 9.223_372_036_854_776e18 {
        return if y > 0.0 { f64::INFINITY } else { 0.0 };
    }
    // frexp(10) = 0.625 × 2^4
    let (mut x1, mut xe) = (0.625f64, 4i64);
    let (mut a1, mut ae) = (1.0f64, 0i64);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            // Catastrophic overflow: Go gives up and lets Ldexp saturate.
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// `frac × 2^exp` without intermediate overflow (Go's `math.Ldexp`).
fn ldexp(frac: f64, exp: i64) -> f64 {
    let mut x = frac;
    let mut e = exp.clamp(-2200, 2200);
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

/// Sprig's `untilStep`: counts from start toward stop (exclusive) by step; a step pointing
/// the wrong way (or zero) gives an empty list.
fn until_step_values(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut out = Vec::new();
    if stop < start {
        if step >= 0 {
            return out;
        }
        let mut i = start;
        while i > stop {
            out.push(i);
            match i.checked_add(step) {
                Some(n) => i = n,
                None => break,
            }
        }
        return out;
    }
    if step <= 0 {
        return out;
    }
    let mut i = start;
    while i < stop {
        out.push(i);
        match i.checked_add(step) {
            Some(n) => i = n,
            None => break,
        }
    }
    out
}

fn int_list(xs: Vec<i64>) -> Value {
    Value::list(xs.into_iter().map(Value::int).collect())
}

fn until(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("until", args, 1)?;
    let count = int_arg("until", args, 0)?;
    let step = if count < 0 { -1 } else { 1 };
    Ok(int_list(until_step_values(0, count, step)))
}

fn until_step(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("untilStep", args, 3)?;
    let start = int_arg("untilStep", args, 0)?;
    let stop = int_arg("untilStep", args, 1)?;
    let step = int_arg("untilStep", args, 2)?;
    Ok(int_list(until_step_values(start, stop, step)))
}

/// `seq`, modelled on GNU seq but returning a space-separated string:
/// `seq 5`, `seq first last`, `seq first step last`.
fn seq(args: &[Value]) -> Result<Value, FuncError> {
    let params = (0..args.len())
        .map(|i| int_arg("seq", args, i))
        .collect::<Result<Vec<_>, _>>()?;
    let values = match params.as_slice() {
        [end] => {
            let start = 1;
            let inc = if *end < start { -1 } else { 1 };
            until_step_values(start, end.wrapping_add(inc), inc)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_values(*start, end.wrapping_add(step), step)
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_step_values(*start, end.wrapping_add(inc), *step)
        }
        _ => Vec::new(),
    };
    let text: Vec<String> = values.iter().map(i64::to_string).collect();
    Ok(Value::string(text.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: fn(&[Value]) -> Result<Value, FuncError>, args: &[Value]) -> String {
        match f(args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn i(x: i64) -> Value {
        Value::int(x)
    }

    fn f(x: f64) -> Value {
        Value::Float(x)
    }

    // All expectations below were printed by helm v4.1.4 for the same template calls.
    #[test]
    fn integer_arithmetic() {
        assert_eq!(call(div, &[i(7), i(2)]), "3");
        assert_eq!(call(div, &[i(-7), i(2)]), "-3");
        assert_eq!(call(modulo, &[i(-7), i(2)]), "-1");
        assert_eq!(call(div, &[f(7.9), i(2)]), "3");
        assert_eq!(call(div, &[Value::str("8"), Value::str("2")]), "4");
        assert_eq!(
            call(
                add,
                &[i(1), f(2.7), Value::str("3"), Value::Nil, Value::Bool(true)]
            ),
            "7"
        );
        assert_eq!(call(mul, &[i(2), i(3), i(4)]), "24");
        assert_eq!(call(add, &[]), "0");
        assert_eq!(call(sub, &[i(1), i(2)]), "-1");
        assert_eq!(call(max, &[i(1), i(5), i(3)]), "5");
        assert_eq!(call(min, &[i(4), Value::str("2"), i(9)]), "2");
        assert_eq!(call(max, &[i(3)]), "3");
        assert_eq!(call(add1, &[f(1.5)]), "2");
        assert_eq!(call(div, &[i(i64::MIN), i(-1)]), i64::MIN.to_string());
    }

    #[test]
    fn integer_division_by_zero_is_an_error() {
        assert_eq!(call(div, &[i(7), i(0)]), format!("ERR {DIVIDE_BY_ZERO}"));
        assert_eq!(call(modulo, &[i(7), i(0)]), format!("ERR {DIVIDE_BY_ZERO}"));
    }

    #[test]
    fn float_arithmetic_is_decimal() {
        assert_eq!(call(addf, &[f(1.1), f(2.2)]), "3.3");
        assert_eq!(call(add1f, &[f(1.5)]), "2.5");
        assert_eq!(call(subf, &[i(1), f(0.9)]), "0.1");
        assert_eq!(call(mulf, &[f(1.1), i(3)]), "3.3");
        assert_eq!(call(divf, &[i(1), i(3)]), "0.3333333333333333");
        assert_eq!(call(divf, &[i(10), i(4)]), "2.5");
        assert_eq!(call(divf, &[i(2), i(3)]), "0.6666666666666667");
        assert_eq!(call(divf, &[i(-2), i(3)]), "-0.6666666666666667");
        assert_eq!(call(mulf, &[f(0.1), f(0.2)]), "0.02");
        assert_eq!(call(addf, &[f(0.1), f(0.2)]), "0.3");
        assert_eq!(call(divf, &[f(1e20), i(3)]), "3.333333333333333e+19");
        assert_eq!(call(mulf, &[f(1e200), f(1e200)]), "+Inf");
        assert_eq!(call(maxf, &[i(1), f(2.5)]), "2.5");
        assert_eq!(call(minf, &[i(1), f(2.5)]), "1");
        assert_eq!(call(addf, &[]), "0");
        assert_eq!(call(divf, &[i(1), i(0)]), "ERR decimal division by 0");
    }

    #[test]
    fn floor_ceil_round() {
        assert_eq!(call(floor, &[f(1.5)]), "1");
        assert_eq!(call(ceil, &[f(1.2)]), "2");
        assert_eq!(call(floor, &[Value::str("3.7")]), "3");
        assert_eq!(call(round, &[f(1.2345), i(2)]), "1.23");
        assert_eq!(call(round, &[f(2.5), i(0)]), "3");
        assert_eq!(call(round, &[f(-2.5), i(0)]), "-3");
        assert_eq!(call(round, &[f(1.255), i(2)]), "1.25");
        assert_eq!(call(round, &[f(1234.5678), i(-2)]), "1200");
        assert_eq!(call(round, &[f(5.12345), i(3), f(0.2)]), "5.124");
        assert_eq!(call(round, &[f(1e20), i(0)]), "1e+20");
        assert_eq!(
            call(round, &[f(1.5), f(3.0)]),
            "ERR wrong type for value; expected int; got float64"
        );
        assert!(matches!(floor(&[i(1)]), Ok(Value::Float(_))));
    }

    #[test]
    fn go_pow_matches_exact_small_powers() {
        assert_eq!(go_pow10(2.0), 100.0);
        assert_eq!(go_pow10(-2.0), 0.01);
        assert_eq!(go_pow10(0.0), 1.0);
        assert_eq!(go_pow10(22.0), 1e22);
    }

    #[test]
    fn until_and_until_step() {
        assert_eq!(call(until, &[i(3)]), "[0 1 2]");
        assert_eq!(call(until, &[i(-3)]), "[0 -1 -2]");
        assert_eq!(call(until, &[i(0)]), "[]");
        assert_eq!(call(until_step, &[i(0), i(10), i(3)]), "[0 3 6 9]");
        assert_eq!(call(until_step, &[i(10), i(0), i(-3)]), "[10 7 4 1]");
        assert_eq!(call(until_step, &[i(0), i(10), i(0)]), "[]");
        assert_eq!(
            call(until, &[f(3.0)]),
            "ERR wrong type for value; expected int; got float64"
        );
    }

    #[test]
    fn seq_like_sprig() {
        let cases: &[(&[i64], &str)] = &[
            (&[5], "1 2 3 4 5"),
            (&[-3], "1 0 -1 -2 -3"),
            (&[2, 5], "2 3 4 5"),
            (&[5, 2], "5 4 3 2"),
            (&[0, 2, 10], "0 2 4 6 8 10"),
            (&[10, -3, 1], "10 7 4 1"),
            (&[10, 3, 1], ""),
            (&[1, -1, 5], ""),
            (&[0], "1 0"),
            (&[1], "1"),
            (&[], ""),
            (&[1, 2, 3, 4], ""),
        ];
        for (params, want) in cases {
            let args: Vec<Value> = params.iter().map(|p| i(*p)).collect();
            assert_eq!(call(seq, &args), *want, "seq {params:?}");
        }
    }
}
