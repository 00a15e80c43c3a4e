//! Sprig's random values: `randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`,
//! `randBytes`, `randInt`, `uuidv4` and `shuffle`.
//!
//! Output cannot match Helm's byte for byte; what is kept is the shape: the character sets
//! of Masterminds/goutils' `CryptoRandom*`, lengths, Go's errors for impossible arguments,
//! and a cryptographic source where Sprig uses one.

use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

use super::convert::{expect_args, int_arg, string_arg};
use super::encoding::base64_encode;
use super::FuncMap;
use crate::template::value::{FuncError, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("randAlphaNum", rand_alpha_num);
    map.insert("randAlpha", rand_alpha);
    map.insert("randNumeric", rand_numeric);
    map.insert("randAscii", rand_ascii);
    map.insert("randBytes", rand_bytes);
    map.insert("randInt", rand_int);
    map.insert("uuidv4", uuidv4);
    map.insert("shuffle", shuffle);
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

/// `count` random characters from `charset`. goutils reports a negative count as an error,
/// which Sprig drops: the result is "".
fn random_string(name: &str, args: &[Value], charset: &[u8]) -> Result<Value, FuncError> {
    expect_args(name, args, 1)?;
    let count = int_arg(name, args, 0)?;
    if count <= 0 {
        return Ok(Value::str(""));
    }
    let mut rng = rand::rngs::OsRng;
    let out: String = (0..count)
        .map(|_| char::from(charset[rng.gen_range(0..charset.len())]))
        .collect();
    Ok(Value::string(out))
}

fn rand_alpha_num(args: &[Value]) -> Result<Value, FuncError> {
    let charset: Vec<u8> = LETTERS.iter().chain(DIGITS).copied().collect();
    random_string("randAlphaNum", args, &charset)
}

fn rand_alpha(args: &[Value]) -> Result<Value, FuncError> {
    random_string("randAlpha", args, LETTERS)
}

fn rand_numeric(args: &[Value]) -> Result<Value, FuncError> {
    random_string("randNumeric", args, DIGITS)
}

/// Printable ASCII, space (32) through `~` (126).
fn rand_ascii(args: &[Value]) -> Result<Value, FuncError> {
    let charset: Vec<u8> = (32u8..127).collect();
    random_string("randAscii", args, &charset)
}

/// `randBytes n`: n random bytes, base64-encoded.
fn rand_bytes(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("randBytes", args, 1)?;
    let count = usize::try_from(int_arg("randBytes", args, 0)?)
        .map_err(|_| FuncError::new("runtime error: makeslice: len out of range"))?;
    let mut buf = vec![0u8; count];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    Ok(Value::string(base64_encode(&buf)))
}

/// `randInt min max`: in [min, max); Go's `rand.Intn` panics on an empty range.
fn rand_int(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("randInt", args, 2)?;
    let min = int_arg("randInt", args, 0)?;
    let max = int_arg("randInt", args, 1)?;
    if max <= min {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    Ok(Value::int(rand::thread_rng().gen_range(min..max)))
}

/// A random (version 4, RFC 4122 variant) UUID in its usual lowercase form.
pub fn new_uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn uuidv4(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("uuidv4", args, 0)?;
    Ok(Value::string(new_uuid_v4()))
}

/// `shuffle "text"`: the characters (runes) of the string in random order.
fn shuffle(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("shuffle", args, 1)?;
    let s = string_arg("shuffle", args, 0)?;
    let mut chars: Vec<char> = s.chars().collect();
    chars.shuffle(&mut rand::thread_rng());
    Ok(Value::string(chars.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::value::IntKind;

    fn text(f: fn(&[Value]) -> Result<Value, FuncError>, args: &[Value]) -> String {
        f(args).unwrap().to_string()
    }

    #[test]
    fn random_strings_have_length_and_charset() {
        let s = text(rand_alpha_num, &[Value::int(64)]);
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
        let s = text(rand_alpha, &[Value::int(40)]);
        assert!(s.len() == 40 && s.bytes().all(|c| c.is_ascii_alphabetic()));
        let s = text(rand_numeric, &[Value::int(5)]);
        assert!(s.len() == 5 && s.bytes().all(|c| c.is_ascii_digit()));
        let s = text(rand_ascii, &[Value::int(100)]);
        assert!(s.len() == 100 && s.bytes().all(|c| (32..127).contains(&c)));
        // Helm prints "" for a zero or negative count.
        assert_eq!(text(rand_alpha, &[Value::int(0)]), "");
        assert_eq!(text(rand_alpha, &[Value::int(-1)]), "");
        assert!(rand_alpha(&[Value::Float(3.0)]).is_err());
    }

    #[test]
    fn rand_bytes_is_base64_of_n_bytes() {
        let s = text(rand_bytes, &[Value::int(3)]);
        assert_eq!(s.len(), 4);
        assert_eq!(text(rand_bytes, &[Value::int(0)]), "");
        assert_eq!(
            rand_bytes(&[Value::int(-1)]).unwrap_err().message,
            "runtime error: makeslice: len out of range"
        );
    }

    #[test]
    fn rand_int_range() {
        for _ in 0..50 {
            let v = rand_int(&[Value::int(5), Value::int(7)]).unwrap();
            assert!(matches!(v, Value::Int(5 | 6, IntKind::Int)), "{v:?}");
        }
        assert_eq!(
            rand_int(&[Value::int(5), Value::int(5)])
                .unwrap_err()
                .message,
            "invalid argument to Intn"
        );
    }

    #[test]
    fn uuid_shape() {
        let u = text(uuidv4, &[]);
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(u, text(uuidv4, &[]));
    }

    #[test]
    fn shuffle_keeps_characters() {
        let s = text(shuffle, &[Value::str("héllo wörld")]);
        let mut a: Vec<char> = s.chars().collect();
        let mut b: Vec<char> = "héllo wörld".chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert_eq!(text(shuffle, &[Value::str("")]), "");
    }
}
