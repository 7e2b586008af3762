//! A catalog of many products, made from the pilots' tables: what a national directory of
//! hundreds of products looks like to the platform (one module per product, each its own
//! component and digest). The products test and `cargo bench --bench products` both use it
//! (the benchmark includes this file).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// What [`derive_products`] wrote.
pub struct Products {
    /// A catalog directory: one revision naming every product.
    pub catalog: PathBuf,
    /// `<code>.wasm` and `<code>.vectors.json` per product, as `publish_pilots` reads them.
    pub modules: PathBuf,
    /// Each product's code and its sample submission.
    pub samples: Vec<(String, Value)>,
}

const PILOTS: [&str; 5] = [
    "down-jacket",
    "power-bank",
    "robot-vacuum",
    "smart-toilet",
    "trolley-luggage",
];

/// `n` products under `dir`: product `i` is pilot `i % 5`'s table under the code
/// `<pilot>-<i>`, built with `qgrade::table::build`, with the pilot's vectors and sample
/// renamed to it.
pub fn derive_products(root: &Path, n: usize, dir: &Path) -> Products {
    let catalog = dir.join("catalog");
    let modules = dir.join("modules");
    std::fs::create_dir_all(catalog.join("revisions")).unwrap();
    std::fs::create_dir_all(&modules).unwrap();

    let mut revision: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("catalog/revisions/0001.toml")).unwrap())
            .unwrap();
    let pilots: Vec<toml::Value> = revision["products"].as_array().unwrap().clone();
    let mut products = Vec::new();
    let mut samples = Vec::new();
    for i in 0..n {
        let pilot = PILOTS[i % PILOTS.len()];
        let code = format!("{pilot}-{i}");
        let mut entry = pilots
            .iter()
            .find(|p| p["code"].as_str() == Some(pilot))
            .unwrap()
            .clone();
        entry["code"] = toml::Value::String(code.clone());
        entry["name_en"] =
            toml::Value::String(format!("{} {i}", entry["name_en"].as_str().unwrap()));
        products.push(entry);

        let plugin = root.join("plugins").join(pilot);
        let table = std::fs::read_to_string(plugin.join("table.toml"))
            .unwrap()
            .replace(
                &format!("product = \"{pilot}\""),
                &format!("product = \"{code}\""),
            );
        let component =
            qgrade::table::build(&qgrade::table::Table::parse(&table).unwrap()).unwrap();
        std::fs::write(modules.join(format!("{code}.wasm")), component).unwrap();
        let renamed = |file: &str| {
            let mut json: Value =
                serde_json::from_str(&std::fs::read_to_string(plugin.join(file)).unwrap()).unwrap();
            rename(&mut json, pilot, &code);
            json
        };
        std::fs::write(
            modules.join(format!("{code}.vectors.json")),
            renamed("vectors.json").to_string(),
        )
        .unwrap();
        let sample = renamed("sample.json");
        samples.push((code, sample));
    }
    revision.insert("products".into(), toml::Value::Array(products));
    std::fs::write(
        catalog.join("revisions/0001.toml"),
        toml::to_string(&revision).unwrap(),
    )
    .unwrap();
    Products {
        catalog,
        modules,
        samples,
    }
}

/// Every `"product": pilot` in `json` becomes `"product": code`.
fn rename(json: &mut Value, pilot: &str, code: &str) {
    match json {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "product" && value.as_str() == Some(pilot) {
                    *value = Value::String(code.to_string());
                } else {
                    rename(value, pilot, code);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, pilot, code)),
        _ => {}
    }
}
