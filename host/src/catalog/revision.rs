//! One catalog revision, as its TOML file says it.
//!
//! ```toml
//! number = 1
//! effective = "2026-01-01"
//! title = "试点产品目录 Pilot product directory"
//!
//! [[publishers]]
//! id = "ctes"
//! name = "中国纺织经济研究会 China Textile Economy Society"
//! key = "ed25519:9f0c…"          # hex of the 32-byte public key
//!
//! [[products]]
//! code = "down-jacket"
//! name_zh = "羽绒服装"
//! name_en = "Down garments"
//! standard = { code = "T/CTES 1080-2025", title = "…", level = "group" }
//! module = "^1.0"                # semver requirement on the module version
//! publisher = "ctes"
//! status = "active"              # or "withdrawn"
//! profile = "interpreted"        # optional: limits of its own (`profile.rs`)
//!
//! [profiles.interpreted]         # optional: named limit profiles
//! instances = 64
//! ```

use std::{collections::BTreeMap, fmt};

use serde::{Deserialize, Serialize};

use super::Profile;
use crate::{model, runtime::Limits};

/// Where a standard sits: national > industry > group.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A group standard (T/…), the lowest.
    Group,
    /// An industry standard (QB/T, …).
    Industry,
    /// A national standard (GB, GB/T), the highest.
    National,
}

impl Level {
    /// The level as the interface names it.
    pub fn from_interface(level: model::StandardLevel) -> Level {
        match level {
            model::StandardLevel::National => Level::National,
            model::StandardLevel::Industry => Level::Industry,
            model::StandardLevel::Group => Level::Group,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::National => "national",
            Level::Industry => "industry",
            Level::Group => "group",
        })
    }
}

/// The standard in force for a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardRef {
    /// Code with year, e.g. `T/CTES 1080-2025`.
    pub code: String,
    /// Title.
    pub title: String,
    /// National, industry or group.
    pub level: Level,
}

/// Whether a product is in the directory's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    /// Gradings are accepted.
    Active,
    /// No longer graded; existing certificates stand.
    Withdrawn,
}

/// One catalogued product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Product code, e.g. `down-jacket`.
    pub code: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// The standard in force.
    pub standard: StandardRef,
    /// The module versions this revision accepts (a semver requirement).
    pub module: String,
    /// The publisher allowed to publish its module.
    pub publisher: String,
    /// Active or withdrawn.
    pub status: ProductStatus,
    /// The limit profile its modules run under, by name; none keeps the host's limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl Product {
    /// The module version requirement, parsed (checked when the catalog loads).
    pub fn requirement(&self) -> semver::VersionReq {
        semver::VersionReq::parse(&self.module).expect("checked when the catalog loaded")
    }
}

/// An ed25519 public key, written `ed25519:<64 hex digits>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl schemars::JsonSchema for PublicKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PublicKey".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An ed25519 public key: `ed25519:` and 64 hex digits.",
            "type": "string",
            "pattern": "^ed25519:[0-9a-fA-F]{64}$",
        })
    }
}

impl PublicKey {
    /// Parse `ed25519:<hex>`.
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let hex = text
            .strip_prefix("ed25519:")
            .ok_or_else(|| format!("{text:?} is not of the form ed25519:<64 hex digits>"))?;
        let bytes: [u8; 32] = hex::decode(hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("{text:?} is not of the form ed25519:<64 hex digits>"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| format!("{text:?} is not a valid ed25519 public key"))?;
        Ok(PublicKey(bytes))
    }

    /// A short id for people: the first 16 hex digits of the key's SHA-256.
    pub fn key_id(&self) -> String {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(self.0)[..8])
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PublicKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A standards body allowed to publish modules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Publisher {
    /// Stable id, e.g. `ctes`.
    pub id: String,
    /// Name.
    pub name: String,
    /// The key its artifacts are signed with.
    pub key: PublicKey,
    /// A development key whose secret is in the repository: never for production.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub development: bool,
}

/// One revision of the product directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revision {
    /// Its number: 1, 2, 3, … in order.
    pub number: u32,
    /// The date it takes effect.
    pub effective: model::Date,
    /// A title for people.
    #[serde(default)]
    pub title: String,
    /// The publishers.
    pub publishers: Vec<Publisher>,
    /// The products.
    pub products: Vec<Product>,
    /// Limit profiles products may name, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, Profile>,
}

impl Revision {
    /// Parse a revision file.
    pub fn from_toml(text: &str) -> Result<Revision, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The revision as JSON (how the database keeps it).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a revision serialises")
    }

    /// A product by code.
    pub fn product(&self, code: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.code == code)
    }

    /// The limit profile `product` names here, if it is listed and names one.
    pub fn profile_of(&self, product: &str) -> Option<&Profile> {
        let name = self.product(product)?.profile.as_ref()?;
        self.profiles.get(name)
    }

    /// The limits `product`'s modules run under in this revision: `base` (the host's)
    /// with the product's profile applied.
    pub fn limits(&self, product: &str, base: &Limits) -> Limits {
        self.profile_of(product)
            .map_or_else(|| base.clone(), |p| p.apply(base))
    }

    /// A publisher by id.
    pub fn publisher(&self, id: &str) -> Option<&Publisher> {
        self.publishers.iter().find(|p| p.id == id)
    }
}
