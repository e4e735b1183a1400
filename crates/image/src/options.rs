//! How to open a target: bounds, platform choice, registry credentials, scratch space.

use std::fmt;
use std::path::PathBuf;

use crate::{Limits, PlatformSelector};

/// Everything [`crate::open_with`] needs besides the target.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Size and count bounds (hostile images).
    pub limits: Limits,
    /// Which manifests of an image index to open.
    pub platform: PlatformSelector,
    /// Registry credentials and transport.
    pub registry: RegistryOptions,
    /// Where an engine's image export is spooled while it is read (microscanner's own cache
    /// directory); the system temporary directory when `None`. The file is deleted with the image.
    pub scratch_dir: Option<PathBuf>,
}

impl OpenOptions {
    /// Options with these limits and defaults for the rest.
    pub fn with_limits(limits: Limits) -> Self {
        Self { limits, ..Self::default() }
    }
}

/// How to talk to registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Credentials given on the command line; they win over the docker config file.
    pub credentials: Option<Credentials>,
    /// Plain HTTP (and no certificate checks) for registries on this machine or a trusted network.
    pub insecure: bool,
    /// The docker config file to read `auths`, `credsStore` and `credHelpers` from; default
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    pub docker_config: Option<PathBuf>,
}

/// A user name and password (or token) for a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or token; never printed.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}
