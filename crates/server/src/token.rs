//! Tokens: `msk_<base64url(server URL)>_<id><secret>`.
//!
//! The server's public URL is inside the token, so `microscanner <TOKEN>` needs no other flag;
//! `<id>` (16 hex digits, 64 bits) names the stored row and `<secret>` (32 hex digits, 128
//! random bits) is the part only the holder knows. The store keeps the id and the SHA-256 of the
//! secret, never the secret; [`Token::verify`] compares hashes in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The prefix every token starts with (easy to grep for in leaked logs, as `ghp_` is).
pub const PREFIX: &str = "msk_";
/// Hex digits of the public identifier.
const ID_HEX: usize = 16;
/// Hex digits of the secret.
const SECRET_HEX: usize = 32;
/// The longest server URL a token may carry.
const MAX_URL: usize = 2048;

/// A token, parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// The server's public URL, as the server named itself when it issued the token.
    pub server_url: String,
    /// The public identifier (hex), the key of the stored row.
    pub id: String,
    /// The secret (hex).
    secret: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even in a debug log.
        f.debug_struct("Token").field("server_url", &self.server_url).field("id", &self.id).finish_non_exhaustive()
    }
}

/// Why a string is not a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form `msk_<url>_<id><secret>`.
    #[error("not a microscanner token (expected msk_<server>_<secret>, as the registration mail gives it)")]
    Malformed,
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

impl Token {
    /// A new token for the server at `server_url`: 64 random bits of id, 128 of secret.
    pub fn generate(server_url: &str) -> Result<Self, TokenError> {
        let mut bytes = [0u8; (ID_HEX + SECRET_HEX) / 2];
        getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
        let (id, secret) = bytes.split_at(ID_HEX / 2);
        Ok(Self { server_url: server_url.to_owned(), id: hex::encode(id), secret: hex::encode(secret) })
    }

    /// Parses a token as the user pasted it (surrounding white space ignored).
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let rest = text.trim().strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
        // The URL part is base64url, whose alphabet has `_`; the tail has none.
        let (url_b64, tail) = rest.rsplit_once('_').ok_or(TokenError::Malformed)?;
        if tail.len() != ID_HEX + SECRET_HEX || !tail.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(TokenError::Malformed);
        }
        if url_b64.len() > MAX_URL * 4 / 3 + 4 {
            return Err(TokenError::Malformed);
        }
        let url = URL_SAFE_NO_PAD.decode(url_b64).map_err(|_| TokenError::Malformed)?;
        let server_url = String::from_utf8(url).map_err(|_| TokenError::Malformed)?;
        if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
            return Err(TokenError::Malformed);
        }
        let tail = tail.to_ascii_lowercase();
        let (id, secret) = tail.split_at(ID_HEX);
        Ok(Self { server_url, id: id.to_owned(), secret: secret.to_owned() })
    }

    /// The token as the user holds it.
    pub fn reveal(&self) -> String {
        format!("{PREFIX}{}_{}{}", URL_SAFE_NO_PAD.encode(self.server_url.as_bytes()), self.id, self.secret)
    }

    /// SHA-256 of the secret: what the store keeps.
    pub fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret.as_bytes()).into()
    }

    /// Whether this token's secret hashes to `stored`, compared in constant time.
    pub fn verify(&self, stored: &[u8; 32]) -> bool {
        self.secret_hash().ct_eq(stored).into()
    }
}

/// Whether `text` looks like a token rather than a subcommand or a path: the old command line
/// `microscanner <TOKEN>` puts it where a subcommand would go.
pub fn looks_like_token(text: &str) -> bool {
    text.starts_with(PREFIX) && Token::parse(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_url_holding_underscores() {
        let t = Token::generate("https://scan_er.example:8443/a_b").unwrap();
        let text = t.reveal();
        assert!(text.starts_with("msk_"));
        let back = Token::parse(&format!("  {text}\n")).unwrap();
        assert_eq!(back, t);
        assert!(back.verify(&t.secret_hash()));
        assert!(looks_like_token(&text));
    }

    #[test]
    fn tokens_differ_and_wrong_secret_fails() {
        let a = Token::generate("http://127.0.0.1:8080").unwrap();
        let b = Token::generate("http://127.0.0.1:8080").unwrap();
        assert_ne!(a.id, b.id);
        assert!(!a.verify(&b.secret_hash()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "msk_",
            "scan",
            "msk_aHR0cDovL3g_123",
            "msk_aHR0cDovL3g_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            // a URL that is not http(s)
            &format!("msk_{}_{}", URL_SAFE_NO_PAD.encode("file:///etc"), "a".repeat(48)),
        ] {
            assert_eq!(Token::parse(bad), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let t = Token::generate("http://x").unwrap();
        assert!(!format!("{t:?}").contains(&t.secret));
    }
}
