//! Go's `unicode` package predicates and simple case mappings, for the string functions
//! that must treat characters exactly as Go does.
//!
//! Rust's `char::to_uppercase` applies the *full* Unicode mapping (`ß` → `SS`); Go's
//! `unicode.ToUpper` applies the *simple* one-rune mapping (`ß` stays `ß`). Go's
//! `unicode.IsUpper`/`IsPunct`/`IsPrint` are defined by general category, which Rust's std
//! does not expose, so we read it from `unicode-general-category`.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

/// `unicode.IsLetter`: general category L.
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        Gc::UppercaseLetter
            | Gc::LowercaseLetter
            | Gc::TitlecaseLetter
            | Gc::ModifierLetter
            | Gc::OtherLetter
    )
}

/// `unicode.IsDigit`: category Nd.
pub fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    get_general_category(c) == Gc::DecimalNumber
}

/// `unicode.IsNumber`: category N.
pub fn is_number(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    matches!(
        get_general_category(c),
        Gc::DecimalNumber | Gc::LetterNumber | Gc::OtherNumber
    )
}

/// `unicode.IsUpper`: category Lu (not Rust's wider `Uppercase` property).
pub fn is_upper(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    get_general_category(c) == Gc::UppercaseLetter
}

/// `unicode.IsLower`: category Ll.
pub fn is_lower(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    get_general_category(c) == Gc::LowercaseLetter
}

/// `unicode.IsTitle`: category Lt.
pub fn is_title(c: char) -> bool {
    !c.is_ascii() && get_general_category(c) == Gc::TitlecaseLetter
}

/// `unicode.IsPunct`: category P. In ASCII that excludes `$+<=>^`|~`, which are symbols.
pub fn is_punct(c: char) -> bool {
    matches!(
        get_general_category(c),
        Gc::ConnectorPunctuation
            | Gc::DashPunctuation
            | Gc::OpenPunctuation
            | Gc::ClosePunctuation
            | Gc::InitialPunctuation
            | Gc::FinalPunctuation
            | Gc::OtherPunctuation
    )
}

/// `unicode.IsSpace`: Go's Latin-1 list plus the White_Space property, which is what Rust's
/// `char::is_whitespace` implements.
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
pub fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !matches!(
        get_general_category(c),
        Gc::Control
            | Gc::Format
            | Gc::Surrogate
            | Gc::PrivateUse
            | Gc::Unassigned
            | Gc::SpaceSeparator
            | Gc::LineSeparator
            | Gc::ParagraphSeparator
    )
}

/// Greek letters with ypogegrammeni: their full uppercase mapping is two characters, but Go's
/// simple mapping goes to the titlecase form (`ᾳ` → `ᾼ`).
fn greek_iota_simple_upper(c: char) -> Option<char> {
    let u = c as u32;
    let mapped = match u {
        0x1F80..=0x1FAF if u & 0xF < 8 => u + 8,
        0x1FB3 | 0x1FC3 | 0x1FF3 => u + 9,
        _ => return None,
    };
    char::from_u32(mapped)
}

/// `unicode.ToUpper`: the simple (one-rune) uppercase mapping.
pub fn to_upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => greek_iota_simple_upper(c).unwrap_or(c),
    }
}

/// `unicode.ToLower`: the simple lowercase mapping (`İ` → `i`, where Rust gives `i̇`).
pub fn to_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        (Some(l), Some(_)) if c == '\u{130}' => l,
        _ => c,
    }
}

/// `unicode.ToTitle`: like the simple uppercase mapping except for the Latin digraphs
/// (`ǆ` → `ǅ`) and Georgian Mkhedruli, whose titlecase is itself.
pub fn to_title(c: char) -> char {
    match c as u32 {
        0x1C4..=0x1C6 => '\u{1C5}',
        0x1C7..=0x1C9 => '\u{1C8}',
        0x1CA..=0x1CC => '\u{1CB}',
        0x1F1..=0x1F3 => '\u{1F2}',
        0x10D0..=0x10FA | 0x10FD..=0x10FF => c,
        _ => to_upper(c),
    }
}

/// `strings.ToUpper`.
pub fn upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars().map(to_upper).collect()
}

/// `strings.ToLower`.
pub fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(to_lower).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_case_mappings_match_go() {
        assert_eq!(upper("straße"), "STRAßE");
        assert_eq!(lower("İSTANBUL"), "istanbul");
        assert_eq!(to_upper('ᾳ'), 'ᾼ');
        assert_eq!(to_upper('ﬀ'), 'ﬀ');
        assert_eq!(to_title('ǆ'), 'ǅ');
        assert_eq!(to_upper('ǆ'), 'Ǆ');
        assert_eq!(to_title('ა'), 'ა');
    }

    #[test]
    fn categories_match_go() {
        assert!(is_punct('-') && is_punct('_') && is_punct('.'));
        assert!(!is_punct('$') && !is_punct('+') && !is_punct('^'));
        assert!(is_print(' ') && !is_print('\u{a0}') && !is_print('\u{200b}'));
        assert!(is_print('é') && is_print('€'));
        assert!(is_upper('É') && !is_upper('Ⓐ'));
    }
}
