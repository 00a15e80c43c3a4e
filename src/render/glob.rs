//! Glob matching as `.Files.Glob` does it.
//!
//! Helm compiles patterns with gobwas/glob and `/` as the separator: `*` matches any run of
//! characters except `/`, `**` matches any run including `/`, `?` one non-separator
//! character, `[abc]`/`[a-z]`/`[!a]` character classes and `{a,b}` alternatives (which may
//! nest). An invalid pattern matches nothing (Helm returns an empty file set).

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    Any,   // ?
    Star,  // *
    Super, // **
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alt(Vec<Vec<Token>>),
}

/// A compiled glob pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// Compile `pattern`; `None` if it is malformed (unclosed class or brace).
    pub fn new(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let tokens = parse_seq(&chars, &mut pos, false)?;
        if pos != chars.len() {
            return None;
        }
        Some(Glob { tokens })
    }

    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        match_tokens(&self.tokens, &chars)
    }
}

/// Parse tokens until the end, or (inside braces) until `,` or `}`.
fn parse_seq(chars: &[char], pos: &mut usize, in_alt: bool) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    while let Some(&c) = chars.get(*pos) {
        match c {
            ',' | '}' if in_alt => return Some(tokens),
            '\\' => {
                let escaped = *chars.get(*pos + 1)?;
                tokens.push(Token::Literal(escaped));
                *pos += 2;
            }
            '?' => {
                tokens.push(Token::Any);
                *pos += 1;
            }
            '*' => {
                if chars.get(*pos + 1) == Some(&'*') {
                    tokens.push(Token::Super);
                    *pos += 2;
                } else {
                    tokens.push(Token::Star);
                    *pos += 1;
                }
            }
            '[' => {
                *pos += 1;
                let negated = matches!(chars.get(*pos), Some('!') | Some('^'));
                if negated {
                    *pos += 1;
                }
                let mut ranges = Vec::new();
                loop {
                    let lo = *chars.get(*pos)?;
                    if lo == ']' {
                        *pos += 1;
                        break;
                    }
                    if chars.get(*pos + 1) == Some(&'-') && chars.get(*pos + 2) != Some(&']') {
                        let hi = *chars.get(*pos + 2)?;
                        ranges.push((lo, hi));
                        *pos += 3;
                    } else {
                        ranges.push((lo, lo));
                        *pos += 1;
                    }
                }
                tokens.push(Token::Class { negated, ranges });
            }
            '{' => {
                *pos += 1;
                let mut alternatives = Vec::new();
                loop {
                    alternatives.push(parse_seq(chars, pos, true)?);
                    match chars.get(*pos)? {
                        ',' => *pos += 1,
                        '}' => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                tokens.push(Token::Alt(alternatives));
            }
            other => {
                tokens.push(Token::Literal(other));
                *pos += 1;
            }
        }
    }
    if in_alt {
        // Ran out of input inside `{…}`.
        return None;
    }
    Some(tokens)
}

fn match_tokens(tokens: &[Token], text: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match first {
        Token::Literal(c) => text.first() == Some(c) && match_tokens(rest, &text[1..]),
        Token::Any => {
            matches!(text.first(), Some(c) if *c != '/') && match_tokens(rest, &text[1..])
        }
        Token::Class { negated, ranges } => match text.first() {
            Some(c) if *c != '/' => {
                let inside = ranges.iter().any(|(lo, hi)| lo <= c && c <= hi);
                inside != *negated && match_tokens(rest, &text[1..])
            }
            _ => false,
        },
        Token::Star => {
            for split in 0..=text.len() {
                if match_tokens(rest, &text[split..]) {
                    return true;
                }
                if text.get(split) == Some(&'/') {
                    return false;
                }
            }
            false
        }
        Token::Super => (0..=text.len()).any(|split| match_tokens(rest, &text[split..])),
        Token::Alt(alternatives) => alternatives.iter().any(|alt| {
            let mut combined = alt.clone();
            combined.extend_from_slice(rest);
            match_tokens(&combined, text)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Glob::new(pattern)
            .map(|g| g.is_match(text))
            .unwrap_or(false)
    }

    #[test]
    fn star_stops_at_separator() {
        assert!(m("files/*.yaml", "files/a.yaml"));
        assert!(!m("files/*.yaml", "files/sub/a.yaml"));
        assert!(!m("*.yaml", "files/a.yaml"));
    }

    #[test]
    fn super_star_crosses_separators() {
        assert!(m("files/**.yaml", "files/sub/a.yaml"));
        assert!(m("**", "a/b/c"));
        assert!(m("conf/**/*.json", "conf/x/y/z.json"));
    }

    #[test]
    fn classes_alternatives_and_any() {
        assert!(m("file?.txt", "file1.txt"));
        assert!(!m("file?.txt", "file/.txt"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("dash/{a,b}.json", "dash/b.json"));
        assert!(m("{x/*,y}", "x/q"));
        assert!(!m("dash/{a,b}.json", "dash/c.json"));
    }

    #[test]
    fn malformed_patterns_match_nothing() {
        assert!(Glob::new("[abc").is_none());
        assert!(Glob::new("{a,b").is_none());
    }
}
