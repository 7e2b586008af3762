//! Development or production: what a platform may trust.
//!
//! The README's first command runs a working platform on a fresh machine, which means
//! trusting the development publisher whose secret key is in the repository (`catalog/dev/`)
//! so that the pilot modules can be signed and published. That is right for a laptop and
//! wrong for a national platform, where anyone could then sign a module. A development
//! platform says so everywhere people look (startup banner, every page's footer,
//! `/api/v1/catalog`); a production platform (`--production`) refuses to start while a
//! catalog revision in force trusts a development key, never prints a token, and needs
//! its log key from a file.

use crate::catalog::{PublicKey, Revision};

/// The development publisher's public key (its secret is in `catalog/dev/`).
pub const DEVELOPMENT_KEY: &str = include_str!("../../../catalog/dev/dev-publisher.pub");

/// What a platform may trust.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// A developer's or a tester's platform: trusts the development publisher.
    #[default]
    Development,
    /// A real platform: trusts no development key.
    Production,
}

impl Mode {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Development => "development",
            Mode::Production => "production",
        }
    }

    /// The publishers of `revision` whose key is a development key: marked
    /// `development = true`, or the key whose secret is in the repository.
    pub fn development_publishers(revision: &Revision) -> Vec<String> {
        let known = PublicKey::parse(DEVELOPMENT_KEY.trim()).ok();
        revision
            .publishers
            .iter()
            .filter(|p| p.development || Some(p.key) == known)
            .map(|p| p.id.clone())
            .collect()
    }
}
