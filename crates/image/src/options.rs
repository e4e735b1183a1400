//! How to open a target: bounds, platform choice, registry credentials, scratch space.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Limits, PlatformSelector};

/// Everything [`crate::open_with`] needs besides the target.
#[derive(Debug, Clone)]
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
    /// The overall deadline of a registry pull, from the open on: every request and every byte of
    /// the documents and layers read from the registry must come before it (an image walked later
    /// than that fails); `None` for no deadline. Default [`OpenOptions::DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
    /// How long a registry may send nothing (no answer to a request, no byte of a body) before the
    /// read fails. Default [`OpenOptions::DEFAULT_STALL_TIMEOUT`].
    pub stall_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            platform: PlatformSelector::default(),
            registry: RegistryOptions::default(),
            scratch_dir: None,
            timeout: Some(Self::DEFAULT_TIMEOUT),
            stall_timeout: Self::DEFAULT_STALL_TIMEOUT,
        }
    }
}

impl OpenOptions {
    /// The default overall deadline of a registry pull: 5 minutes.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

    /// The default stall timeout of registry reads: 30 seconds.
    pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);

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
