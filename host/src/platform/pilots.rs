//! The pilot modules, published on a fresh platform so that a newcomer can grade at once:
//! each built module in `target/modules/` is packaged with its vectors and signed with
//! the development publisher's key (`catalog/dev/`, never a production key).

use std::path::Path;

use super::{Platform, PlatformError};
use crate::{
    artifact::{Artifact, SecretKey},
    registry::Published,
};

/// Package, sign and publish every `<product>.wasm` in `modules_dir` whose product the
/// catalog assigns to the key's publisher. Already-published bytes change nothing.
pub async fn publish_pilots(
    platform: &Platform,
    modules_dir: &Path,
    key_file: &Path,
) -> Result<Vec<Published>, PlatformError> {
    let key_text = std::fs::read_to_string(key_file)
        .map_err(|e| PlatformError::Internal(format!("{}: {e}", key_file.display())))?;
    let key = SecretKey::parse(&key_text)
        .map_err(|e| PlatformError::Internal(format!("{}: {e}", key_file.display())))?;
    let mut published = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(modules_dir)
        .map_err(|e| PlatformError::Internal(format!("{}: {e}", modules_dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    entries.sort();
    for module in entries {
        let vectors = module.with_extension("vectors.json");
        let (Ok(component), Ok(vectors)) = (std::fs::read(&module), std::fs::read(&vectors)) else {
            continue;
        };
        let artifact = Artifact::package(&component, &vectors, &key)
            .map_err(|e| PlatformError::Internal(format!("{}: {e}", module.display())))?;
        published.push(
            platform
                .registry()
                .publish(platform.sandbox(), artifact, "qgrade-dev")
                .await?,
        );
    }
    Ok(published)
}
