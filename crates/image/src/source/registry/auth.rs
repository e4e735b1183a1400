//! Which credentials a registry pull uses, in order: `--username`/`--password-stdin`; the docker
//! config (`auths`, `credsStore`, `credHelpers`, through the `docker_credential` crate, which runs
//! `docker-credential-NAME get`); podman's `auth.json`; else anonymous access. A config file given
//! in [`RegistryOptions::docker_config`] replaces the default locations (`$DOCKER_CONFIG/config.json`
//! or `~/.docker/config.json`, then `$REGISTRY_AUTH_FILE` or `$XDG_RUNTIME_DIR/containers/auth.json`
//! and `~/.config/containers/auth.json`). The password is never logged; errors name where the
//! credentials came from.
//!
//! How requests then carry them ([`Authorization`]) follows the registry's `WWW-Authenticate`
//! challenge ([`Challenge`]): a token from the token service for `Bearer`, the credentials
//! themselves for `Basic`.

use std::path::{Path, PathBuf};

use docker_credential::{CredentialRetrievalError, DockerCredential};
use oci_client::secrets::RegistryAuth;

use crate::RegistryOptions;

/// What requests to the registry carry.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Authorization {
    /// Nothing (anonymous, or the registry asked for nothing).
    None,
    /// The user name and password, as HTTP basic authentication.
    Basic(String, String),
    /// A token from the registry's token service.
    Bearer(String),
}

impl Authorization {
    /// `request` with this authorization.
    pub(super) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Self::None => request,
            Self::Basic(username, password) => request.basic_auth(username, Some(password)),
            Self::Bearer(token) => request.bearer_auth(token),
        }
    }
}

/// What a registry's `WWW-Authenticate` header asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Challenge {
    /// A token from the token service at `realm`.
    Bearer {
        /// The token service's URL.
        realm: String,
        /// The `service` to name in the token request.
        service: Option<String>,
    },
    /// HTTP basic authentication.
    Basic,
    /// Something else, or nothing understood.
    Other,
}

impl Challenge {
    /// The first `Bearer` challenge with a realm in `header`, else `Basic` when one is offered.
    pub(super) fn parse(header: &str) -> Self {
        let challenges = challenges(header);
        let bearer = challenges.iter().find_map(|(scheme, params)| {
            let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| param("realm"))
                .flatten()
                .map(|realm| Self::Bearer { realm, service: param("service").filter(|s| !s.is_empty()) })
        });
        match bearer {
            Some(bearer) => bearer,
            None if challenges.iter().any(|(scheme, _)| scheme.eq_ignore_ascii_case("basic")) => Self::Basic,
            None => Self::Other,
        }
    }
}

/// The challenges of a `WWW-Authenticate` value (RFC 9110 §11.6.1): each scheme with its
/// parameters (names in lower case, quoted values unescaped).
fn challenges(header: &str) -> Vec<(String, Vec<(String, String)>)> {
    let separator = |c: char| c == ',' || c.is_whitespace();
    let mut out = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(separator);
        let end = rest.find(separator).unwrap_or(rest.len());
        let scheme = &rest[..end];
        if scheme.is_empty() {
            return out;
        }
        rest = &rest[end..];
        let mut params = Vec::new();
        loop {
            let trimmed = rest.trim_start_matches(separator);
            let Some((key, after)) = trimmed.split_once('=') else { break };
            if key.is_empty() || key.contains(|c: char| separator(c) || c == '"') {
                break;
            }
            let after = after.trim_start();
            let value = if let Some(quoted) = after.strip_prefix('"') {
                let (mut value, mut escaped, mut end) = (String::new(), false, quoted.len());
                for (i, c) in quoted.char_indices() {
                    match c {
                        _ if escaped => {
                            value.push(c);
                            escaped = false;
                        }
                        '\\' => escaped = true,
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        _ => value.push(c),
                    }
                }
                rest = &quoted[end..];
                value
            } else {
                let end = after.find(separator).unwrap_or(after.len());
                rest = &after[end..];
                after[..end].to_owned()
            };
            params.push((key.to_ascii_lowercase(), value));
        }
        out.push((scheme.to_owned(), params));
    }
}

/// Credentials for one registry and where they came from.
pub(super) struct Login {
    /// What requests send.
    pub(super) auth: RegistryAuth,
    /// `as user scanner (from --username)`, `as user scanner (from ~/.docker/config.json)`,
    /// `anonymously`: for logs and errors, never the secret.
    pub(super) who: String,
}

impl Login {
    /// Basic credentials from `source`.
    fn basic(username: String, password: String, source: &str) -> Self {
        let who = format!("as user {username} (from {source})");
        Self { auth: RegistryAuth::Basic(username, password), who }
    }

    /// No credentials.
    fn anonymous() -> Self {
        Self { auth: RegistryAuth::Anonymous, who: "anonymously".to_owned() }
    }
}

/// The credentials to use for `registry` (as the reference names it: `docker.io`, `ghcr.io`,
/// `127.0.0.1:5001`).
pub(super) fn login(registry: &str, options: &RegistryOptions) -> Login {
    if let Some(credentials) = &options.credentials {
        return Login::basic(credentials.username.clone(), credentials.password.clone(), "--username");
    }
    config_files(options).iter().find_map(|file| from_file(file, registry)).unwrap_or_else(Login::anonymous)
}

/// The config files to look in: the one given, else docker's then podman's default locations.
fn config_files(options: &RegistryOptions) -> Vec<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(given) = &options.docker_config {
        return vec![if given.is_dir() { given.join("config.json") } else { given.clone() }];
    }
    let home = env("HOME");
    let mut files = Vec::new();
    match (env("DOCKER_CONFIG"), &home) {
        (Some(dir), _) => files.push(dir.join("config.json")),
        (None, Some(home)) => files.push(home.join(".docker/config.json")),
        (None, None) => {}
    }
    if let Some(file) = env("REGISTRY_AUTH_FILE") {
        files.push(file);
    } else {
        files.extend(env("XDG_RUNTIME_DIR").map(|dir| dir.join("containers/auth.json")));
        files.extend(home.map(|home| home.join(".config/containers/auth.json")));
    }
    files
}

/// The keys a registry's credentials may be stored under. Docker Hub's is historically
/// `https://index.docker.io/v1/` (what `docker login` writes and credential stores are asked
/// for), while podman and newer tools write `docker.io`; `docker_credential` matches the `auths`
/// spellings `index.docker.io` and `registry-1.docker.io` to the `docker.io` key itself.
fn keys(registry: &str) -> Vec<&str> {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => vec!["https://index.docker.io/v1/", "docker.io"],
        other => vec![other],
    }
}

/// Credentials for `registry` in one config file, if it has some. An unreadable or malformed file,
/// or a failing helper, is a warning, not an error: the pull goes on anonymously.
fn from_file(file: &Path, registry: &str) -> Option<Login> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("cannot read {}: {e}; ignoring it", file.display());
            return None;
        }
    };
    let shown = shown_path(file);
    for key in keys(registry) {
        match docker_credential::get_credential_from_reader(bytes.as_slice(), key) {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                let source = match helper_used(&bytes, key) {
                    Some(helper) => format!("docker-credential-{helper}, named in {shown}"),
                    None => shown,
                };
                return Some(Login::basic(username, password, &source));
            }
            Ok(DockerCredential::IdentityToken(_)) => {
                tracing::warn!("{shown}: {key} has an identity token, which is not supported; ignoring it");
            }
            Err(CredentialRetrievalError::NoCredentialConfigured) => {}
            Err(CredentialRetrievalError::ConfigReadError) => {
                tracing::warn!("{shown} is not a valid credentials file; ignoring it");
                return None;
            }
            Err(CredentialRetrievalError::HelperFailure { helper, stderr, .. }) => {
                tracing::debug!("{helper} has no credentials for {key}: {}", stderr.trim());
            }
            Err(e) => tracing::warn!("{shown}: credentials for {key}: {e}"),
        }
    }
    None
}

/// The credential helper that supplied `key`'s credentials, if one did: a `credHelpers` entry,
/// or the `credsStore` when `auths` alone has nothing for the key.
fn helper_used(config: &[u8], key: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_slice(config).ok()?;
    let named = |v: Option<&serde_json::Value>| v.and_then(|h| h.as_str()).filter(|h| !h.is_empty()).map(str::to_owned);
    if let Some(helper) = named(value.get("credHelpers").and_then(|h| h.get(key))) {
        return Some(helper);
    }
    let store = named(value.get("credsStore"))?;
    let object = value.as_object_mut()?;
    object.remove("credsStore");
    object.remove("credHelpers");
    let plain = serde_json::to_vec(&value).ok()?;
    let in_file = docker_credential::get_credential_from_reader(plain.as_slice(), key).is_ok();
    (!in_file).then_some(store)
}

/// A path for messages, with the home directory as `~`.
fn shown_path(file: &Path) -> String {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .and_then(|home| file.strip_prefix(home).ok().map(|rest| format!("~/{}", rest.display())))
        .unwrap_or_else(|| file.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;

    fn write(dir: &Path, json: &str) -> PathBuf {
        let path = dir.join("config.json");
        std::fs::write(&path, json).unwrap();
        path
    }

    fn options(config: PathBuf) -> RegistryOptions {
        RegistryOptions { docker_config: Some(config), ..RegistryOptions::default() }
    }

    #[test]
    fn explicit_credentials_win() {
        let credentials = Some(Credentials { username: "u".into(), password: "p".into() });
        let login = login("ghcr.io", &RegistryOptions { credentials, ..RegistryOptions::default() });
        assert_eq!(login.who, "as user u (from --username)");
        assert!(matches!(login.auth, RegistryAuth::Basic(u, p) if u == "u" && p == "p"));
    }

    #[test]
    fn docker_hub_under_either_key() {
        let dir = tempfile::tempdir().unwrap();
        // base64("hub:pw")
        let legacy = write(dir.path(), r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnB3"}}}"#);
        let login = login("docker.io", &options(legacy.clone()));
        assert!(matches!(login.auth, RegistryAuth::Basic(u, _) if u == "hub"), "{}", login.who);
        assert!(login.who.contains(&legacy.display().to_string()), "{}", login.who);
        for key in ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1"] {
            let other = write(dir.path(), &format!(r#"{{"auths":{{"{key}":{{"auth":"aHViOnB3"}}}}}}"#));
            assert!(matches!(super::login("docker.io", &options(other)).auth, RegistryAuth::Basic(..)), "{key}");
        }
    }

    #[test]
    fn nothing_configured_is_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let other = write(dir.path(), r#"{"auths":{"ghcr.io":{"auth":"aHViOnB3"}}}"#);
        assert_eq!(login("quay.io", &options(other)).who, "anonymously");
        let broken = write(dir.path(), "{not json");
        assert_eq!(login("quay.io", &options(broken)).who, "anonymously");
        assert_eq!(login("quay.io", &options(dir.path().join("missing.json"))).who, "anonymously");
    }

    #[test]
    fn challenges_are_parsed() {
        let hub = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#;
        assert_eq!(
            Challenge::parse(hub),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
        assert_eq!(Challenge::parse(r#"Basic realm="Registry Realm""#), Challenge::Basic);
        assert_eq!(
            Challenge::parse(r#"Basic realm="a, b", Bearer realm="http://x/t\"q""#),
            Challenge::Bearer { realm: r#"http://x/t"q"#.into(), service: None }
        );
        assert_eq!(
            Challenge::parse("Bearer realm=http://x/t"),
            Challenge::Bearer { realm: "http://x/t".into(), service: None }
        );
        for other in ["", "Negotiate", "Bearer", "Bearer service=x", "Bearer realm=\"unterminated", "==="] {
            assert!(matches!(Challenge::parse(other), Challenge::Other | Challenge::Bearer { .. }), "{other}");
        }
        assert_eq!(Challenge::parse("Bearer service=x"), Challenge::Other);
    }

    #[test]
    fn names_the_helper() {
        let config = br#"{"auths":{"a.io":{}},"credsStore":"desktop","credHelpers":{"b.io":"ecr"}}"#;
        assert_eq!(helper_used(config, "b.io").as_deref(), Some("ecr"));
        assert_eq!(helper_used(config, "a.io").as_deref(), Some("desktop"));
        let in_file = br#"{"auths":{"a.io":{"auth":"aHViOnB3"}},"credsStore":"desktop"}"#;
        assert_eq!(helper_used(in_file, "a.io"), None);
    }
}
