//! A small glob matcher for ignore-file patterns: `*`, `**`, `?`. Linear in memory and
//! quadratic in time at worst (no backtracking blow-up on hostile patterns).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// One literal character.
    Lit(char),
    /// `?`: any one character (not `/` in path mode).
    One,
    /// `*`: any run of characters (not `/` in path mode).
    Star,
    /// `**`: any run of characters, `/` included.
    DoubleStar,
    /// `**/`: nothing, or any run of characters ending with `/` (so `a/**/b` matches `a/b`).
    DirStar,
}

fn tokens(pattern: &str, question: bool) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                if chars.get(i) == Some(&'/') {
                    out.push(Token::DirStar);
                    i += 1;
                } else {
                    out.push(Token::DoubleStar);
                }
                continue;
            }
            '*' => out.push(Token::Star),
            '?' if question => out.push(Token::One),
            c => out.push(Token::Lit(c)),
        }
        i += 1;
    }
    out
}

/// True when `pattern` contains a wildcard.
pub(crate) fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Matches the whole of `text` against `pattern`. In `path` mode `*` and `?` stay within one
/// `/`-separated segment and `**` crosses segments; otherwise `*` and `**` are the same.
pub(crate) fn matches(pattern: &str, text: &str, path: bool) -> bool {
    matches_tokens(&tokens(pattern, true), text, path)
}

/// Like [`matches`] without path mode, with `*` the only wildcard (`?` is literal): for purls,
/// where `?` starts the qualifiers.
pub(crate) fn matches_star_only(pattern: &str, text: &str) -> bool {
    matches_tokens(&tokens(pattern, false), text, false)
}

fn matches_tokens(tokens: &[Token], text: &str, path: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    // prev[j]: tokens[..i] match text[..j].
    let mut prev = vec![false; text.len() + 1];
    prev[0] = true;
    for &token in tokens {
        let mut cur = vec![false; text.len() + 1];
        let mut any_prev = prev[0];
        cur[0] = matches!(token, Token::Star | Token::DoubleStar | Token::DirStar) && prev[0];
        for j in 1..=text.len() {
            let c = text[j - 1];
            let crosses = !path || c != '/';
            cur[j] = match token {
                Token::Lit(l) => prev[j - 1] && l == c,
                Token::One => prev[j - 1] && crosses,
                Token::Star => prev[j] || (cur[j - 1] && crosses),
                Token::DoubleStar => prev[j] || cur[j - 1],
                Token::DirStar => prev[j] || (c == '/' && any_prev),
            };
            any_prev |= prev[j];
        }
        prev = cur;
    }
    prev[text.len()]
}

#[cfg(test)]
mod tests {
    use super::{matches, matches_star_only};

    #[test]
    fn plain_globs() {
        assert!(matches("pkg:deb/debian/libssl*", "pkg:deb/debian/libssl1.1@1?arch=amd64", false));
        assert!(matches("*", "", false));
        assert!(matches("lib?sl", "libssl", false));
        assert!(!matches("lib?sl", "libsl", false));
        assert!(!matches("abc", "abcd", false));
        assert!(matches("a*b*c", "a/x/b/y/c", false));
        assert!(matches_star_only("pkg:deb/*?arch=amd64", "pkg:deb/debian/bash@5?arch=amd64"));
        assert!(!matches_star_only("pkg:deb/*?arch=amd64", "pkg:deb/debian/bash@5&arch=amd64"));
    }

    #[test]
    fn path_globs() {
        assert!(matches("opt/venv/**", "opt/venv/lib/x/METADATA", true));
        assert!(matches("opt/*/lib", "opt/venv/lib", true));
        assert!(!matches("opt/*/lib", "opt/venv/x/lib", true));
        assert!(matches("opt/**/lib", "opt/venv/x/lib", true));
        assert!(matches("opt/**/lib", "opt/lib", true));
        assert!(matches("**/METADATA", "METADATA", true));
        assert!(matches("**/METADATA", "a/b/METADATA", true));
        assert!(!matches("*.jar", "app/x.jar", true));
        assert!(matches("**/*.jar", "app/x.jar", true));
        let hostile = "*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!matches(hostile, &"a".repeat(200), true));
    }
}
