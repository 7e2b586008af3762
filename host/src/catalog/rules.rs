//! The rules a catalog must keep, checked when it loads.

use std::collections::{HashMap, HashSet};

use super::{CatalogError, Level, Revision};
use crate::text::is_code;

/// Longest name or title in a catalog: names are printed on labels and pages.
const MAX_TEXT: usize = 200;

fn text_problem(text: &str) -> Option<String> {
    crate::text::problem(text, crate::text::Shape::Line, MAX_TEXT)
}

/// Check every revision, and each against the ones before it.
pub fn check(revisions: &[Revision]) -> Result<(), CatalogError> {
    // The standard each product had in the latest revision that listed it.
    let mut standards: HashMap<&str, (&str, Level, u32)> = HashMap::new();
    let mut previous: Option<&Revision> = None;
    for revision in revisions {
        let n = revision.number;
        let rule = |entry: &str, message: String| Err(CatalogError::rule(n, entry, message));
        if let Some(problem) = text_problem(&revision.title) {
            return rule("title", format!("the title {problem}"));
        }
        match previous {
            None if n != 1 => {
                return rule("number", format!("the first revision must be 1, not {n}"));
            }
            Some(p) if n != p.number + 1 => {
                return rule(
                    "number",
                    format!("follows revision {}: expected {}", p.number, p.number + 1),
                );
            }
            Some(p) if date_key(revision) <= date_key(p) => {
                return rule(
                    "effective",
                    format!(
                        "{} is not after revision {}'s {}",
                        revision.effective, p.number, p.effective
                    ),
                );
            }
            _ => {}
        }

        let mut publisher_ids = HashSet::new();
        for publisher in &revision.publishers {
            let entry = format!("publisher {}", crate::text::printable(&publisher.id));
            if let Some(problem) = text_problem(&publisher.name) {
                return rule(&entry, format!("its name {problem}"));
            }
            if !is_code(&publisher.id) {
                return rule(
                    &entry,
                    "a publisher id is lowercase letters, digits and dashes".into(),
                );
            }
            if !publisher_ids.insert(publisher.id.as_str()) {
                return rule(&entry, "listed twice".into());
            }
        }

        for (name, profile) in &revision.profiles {
            let entry = format!("profiles.{}", crate::text::printable(name));
            if !is_code(name) {
                return rule(
                    &entry,
                    "a profile name is lowercase letters, digits and dashes".into(),
                );
            }
            if let Some((field, value, ceiling)) = profile.out_of_bounds() {
                return rule(
                    &format!("{entry}.{field}"),
                    format!("{value} is not between 1 and the host's ceiling of {ceiling}"),
                );
            }
        }

        let mut codes = HashSet::new();
        for product in &revision.products {
            let entry = format!("product {}", product.code);
            if !is_code(&product.code) {
                return rule(
                    &entry,
                    "a product code is lowercase letters, digits and dashes".into(),
                );
            }
            if !codes.insert(product.code.as_str()) {
                return rule(&entry, "listed twice (one standard per product)".into());
            }
            if product.name_zh.trim().is_empty() || product.name_en.trim().is_empty() {
                return rule(&entry, "needs both a Chinese and an English name".into());
            }
            for (what, text) in [
                ("name_zh", &product.name_zh),
                ("name_en", &product.name_en),
                ("standard code", &product.standard.code),
                ("standard title", &product.standard.title),
            ] {
                if let Some(problem) = text_problem(text) {
                    return rule(&entry, format!("its {what} {problem}"));
                }
            }
            if product.standard.code.trim().is_empty() {
                return rule(&entry, "the standard has no code".into());
            }
            if let Err(e) = semver::VersionReq::parse(&product.module) {
                return rule(
                    &entry,
                    format!("module requirement {:?}: {e}", product.module),
                );
            }
            if !publisher_ids.contains(product.publisher.as_str()) {
                return rule(
                    &entry,
                    format!(
                        "publisher {} is not listed in this revision",
                        product.publisher
                    ),
                );
            }
            if let Some(profile) = &product.profile
                && !revision.profiles.contains_key(profile)
            {
                return rule(
                    &entry,
                    format!(
                        "profile {} is not defined in this revision ([profiles.{0}])",
                        crate::text::printable(profile)
                    ),
                );
            }
            if let Some((code, level, since)) = standards.get(product.code.as_str())
                && *code != product.standard.code
                && product.standard.level < *level
            {
                return rule(
                    &entry,
                    format!(
                        "replaces the {level} standard {code} (revision {since}) with the {} standard {}: a standard may only be replaced by one of equal or higher level (national > industry > group)",
                        product.standard.level, product.standard.code
                    ),
                );
            }
        }
        for product in &revision.products {
            standards.insert(
                &product.code,
                (&product.standard.code, product.standard.level, n),
            );
        }
        previous = Some(revision);
    }
    Ok(())
}

fn date_key(r: &Revision) -> (u16, u8, u8) {
    (r.effective.year, r.effective.month, r.effective.day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{catalog::Catalog, model};

    const KEY: &str = "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn revision(number: u32, effective: &str, products: &str) -> String {
        format!(
            "number = {number}\neffective = \"{effective}\"\n\n[[publishers]]\nid = \"ctes\"\nname = \"CTES\"\nkey = \"{KEY}\"\n\n{products}"
        )
    }

    fn product(code: &str, standard: &str, level: &str, module: &str, publisher: &str) -> String {
        format!(
            "[[products]]\ncode = \"{code}\"\nname_zh = \"羽绒服装\"\nname_en = \"Down garments\"\nstandard = {{ code = \"{standard}\", title = \"t\", level = \"{level}\" }}\nmodule = \"{module}\"\npublisher = \"{publisher}\"\nstatus = \"active\"\n"
        )
    }

    fn load(revisions: &[String]) -> Result<Catalog, CatalogError> {
        let parsed = revisions
            .iter()
            .map(|t| {
                Revision::from_toml(t).map_err(|message| CatalogError::Parse {
                    file: "test".into(),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Catalog::new(parsed)
    }

    fn rule_entry(e: CatalogError) -> (u32, String, String) {
        match e {
            CatalogError::Rule {
                revision,
                entry,
                message,
            } => (revision, entry, message),
            other => panic!("expected a rule error, got {other}"),
        }
    }

    #[test]
    fn a_good_catalog_loads_and_resolves_by_date() {
        let dj = product("down-jacket", "T/CTES 1080-2025", "group", "^1.0", "ctes");
        let dj2 = product("down-jacket", "GB/T 14272-2027", "national", "^2.0", "ctes");
        let c = load(&[
            revision(1, "2026-01-01", &dj),
            revision(2, "2027-01-01", &dj2),
        ])
        .unwrap();
        let on = |y, m, d| model::Date {
            year: y,
            month: m,
            day: d,
        };
        assert!(c.in_force(on(2025, 12, 31)).is_none());
        assert_eq!(c.in_force(on(2026, 1, 1)).unwrap().number, 1);
        assert_eq!(c.in_force(on(2026, 12, 31)).unwrap().number, 1);
        assert_eq!(c.in_force(on(2027, 1, 1)).unwrap().number, 2);
    }

    #[test]
    fn each_rule_names_the_offending_entry() {
        let dj = product("down-jacket", "T/CTES 1080-2025", "group", "^1.0", "ctes");
        let (n, entry, message) =
            rule_entry(load(&[revision(1, "2026-01-01", &format!("{dj}{dj}"))]).unwrap_err());
        assert_eq!((n, entry.as_str()), (1, "product down-jacket"));
        assert!(message.contains("twice"), "{message}");

        let bad_req = product("down-jacket", "T/CTES 1080-2025", "group", "^^1", "ctes");
        let (_, entry, message) =
            rule_entry(load(&[revision(1, "2026-01-01", &bad_req)]).unwrap_err());
        assert_eq!(entry, "product down-jacket");
        assert!(message.contains("module requirement"), "{message}");

        let unknown = product("down-jacket", "T/CTES 1080-2025", "group", "^1.0", "nobody");
        let (_, _, message) = rule_entry(load(&[revision(1, "2026-01-01", &unknown)]).unwrap_err());
        assert!(
            message.contains("publisher nobody is not listed"),
            "{message}"
        );

        let national = product("down-jacket", "GB/T 14272-2021", "national", "^1.0", "ctes");
        let group = product("down-jacket", "T/CTES 1080-2025", "group", "^2.0", "ctes");
        let (n, entry, message) = rule_entry(
            load(&[
                revision(1, "2026-01-01", &national),
                revision(2, "2027-01-01", &group),
            ])
            .unwrap_err(),
        );
        assert_eq!((n, entry.as_str()), (2, "product down-jacket"));
        assert!(message.contains("equal or higher level"), "{message}");

        let (n, entry, _) = rule_entry(
            load(&[
                revision(1, "2026-01-01", &dj),
                revision(3, "2027-01-01", &dj),
            ])
            .unwrap_err(),
        );
        assert_eq!((n, entry.as_str()), (3, "number"));
        let (n, entry, _) = rule_entry(
            load(&[
                revision(1, "2026-01-01", &dj),
                revision(2, "2026-01-01", &dj),
            ])
            .unwrap_err(),
        );
        assert_eq!((n, entry.as_str()), (2, "effective"));
    }

    #[test]
    fn profiles_are_named_defined_and_bounded() {
        let dj = product("down-jacket", "T/CTES 1080-2025", "group", "^1.0", "ctes");
        let named = format!("{dj}profile = \"interpreted\"\n");
        let (_, entry, message) =
            rule_entry(load(&[revision(1, "2026-01-01", &named)]).unwrap_err());
        assert_eq!(entry, "product down-jacket");
        assert!(
            message.contains("profile interpreted is not defined"),
            "{message}"
        );

        let defined = format!("{named}\n[profiles.interpreted]\ninstances = 64\n");
        let catalog = load(&[revision(1, "2026-01-01", &defined)]).unwrap();
        let on = model::Date::parse("2026-06-01").unwrap();
        assert_eq!(
            catalog.profile("down-jacket", on).unwrap().instances,
            Some(64)
        );
        assert_eq!(catalog.profile("power-bank", on), None);

        let over = format!("{named}\n[profiles.interpreted]\nmemory_mib = 100000\n");
        let (_, entry, message) =
            rule_entry(load(&[revision(1, "2026-01-01", &over)]).unwrap_err());
        assert_eq!(entry, "profiles.interpreted.memory_mib");
        assert!(message.contains("ceiling of 256"), "{message}");
    }

    #[test]
    fn unknown_fields_and_bad_keys_are_refused() {
        let text = revision(1, "2026-01-01", "colour = \"red\"\n");
        assert!(Revision::from_toml(&text).unwrap_err().contains("colour"));
        let text = revision(1, "2026-01-01", "").replace(KEY, "ed25519:1234");
        assert!(Revision::from_toml(&text).unwrap_err().contains("ed25519"));
    }
}
