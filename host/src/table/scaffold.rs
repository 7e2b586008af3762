//! `qgrade module new PRODUCT`: a table to start from, with a sample and vectors that
//! exercise every threshold of it (on, just inside, just outside).
//!
//! The files are templates kept beside this one (`template/`), so they are read and
//! reviewed as files; a test builds the scaffold and runs its vectors.

use std::{io, path::Path};

const TABLE: &str = include_str!("template/table.toml");
const SAMPLE: &str = include_str!("template/sample.json");
const VECTORS: &str = include_str!("template/vectors.json");

/// The three files for `product`: `table.toml`, `sample.json`, `vectors.json`.
pub fn files(product: &str) -> [(&'static str, String); 3] {
    let fill = |template: &str| template.replace("{product}", product);
    [
        ("table.toml", fill(TABLE)),
        ("sample.json", fill(SAMPLE)),
        ("vectors.json", fill(VECTORS)),
    ]
}

/// Write the scaffold into `dir`; if any of its files is there already, nothing is
/// written.
pub fn write(dir: &Path, product: &str) -> io::Result<()> {
    let files = files(product);
    if let Some(there) = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .find(|p| p.exists())
    {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists; the scaffold overwrites nothing",
                there.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir)?;
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}
