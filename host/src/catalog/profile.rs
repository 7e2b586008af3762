//! A limit profile: the limits one product's modules run under where they differ from the
//! host's, named by the catalog.
//!
//! ```toml
//! [profiles.interpreted]        # a module that carries a language's interpreter
//! module_mib = 24
//! instances = 128
//! max_nesting = 1024
//! compile_timeout_ms = 120000    # … (catalog/README.md has the whole profile)
//!
//! [[products]]
//! code = "trolley-luggage"
//! profile = "interpreted"
//! ```
//!
//! Each field is the host's flag of the same name (`--compile-timeout-ms` is
//! `compile_timeout_ms`) and replaces it for that product alone, so a module in Python or
//! JavaScript is admitted without loosening the limits of every other module. A field may
//! not exceed its [`Ceiling`] (the instance pool is sized for the ceilings when the
//! engine starts). A product's modules run under the profile named in the revision in
//! force on the day of the grading; a module is published under the profile of the newest
//! revision that lists its product.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::runtime::{Ceiling, Limits};

/// Per-product limits; a field left out keeps the host's limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Fuel per grading (`--fuel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Wall-clock deadline per grading, in milliseconds (`--deadline-ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Linear memory per grading, in MiB (`--memory-mib`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<usize>,
    /// Elements of one table (`--table-elements`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_elements: Option<usize>,
    /// Core instances, tables and memories per grading (`--instances`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<usize>,
    /// The component's size, in MiB (`--module-mib`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_mib: Option<usize>,
    /// Functions with a body (`--max-functions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_functions: Option<usize>,
    /// One function's body, in KiB (`--max-function-kib`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_function_kib: Option<usize>,
    /// Locals of one function (`--max-locals`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_locals: Option<usize>,
    /// Control nesting of one function (`--max-nesting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nesting: Option<usize>,
    /// The highest byte a data segment initialises, in MiB (`--max-data-mib`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_data_mib: Option<usize>,
    /// One compilation's time, in milliseconds (`--compile-timeout-ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_timeout_ms: Option<u64>,
    /// One compilation's memory, in MiB (`--compile-memory-mib`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_memory_mib: Option<usize>,
}

impl Profile {
    /// `base` with every field this profile sets replaced.
    pub fn apply(&self, base: &Limits) -> Limits {
        let mut limits = base.clone();
        let structure = &mut limits.structure;
        let set = |target: &mut usize, value: Option<usize>, shift: u32| {
            if let Some(v) = value {
                *target = v << shift;
            }
        };
        set(&mut limits.memory_bytes, self.memory_mib, 20);
        set(&mut limits.table_elements, self.table_elements, 0);
        set(&mut limits.instances, self.instances, 0);
        set(
            &mut limits.compile_memory_bytes,
            self.compile_memory_mib,
            20,
        );
        set(&mut structure.component_bytes, self.module_mib, 20);
        set(&mut structure.functions, self.max_functions, 0);
        set(&mut structure.function_bytes, self.max_function_kib, 10);
        set(&mut structure.locals, self.max_locals, 0);
        set(&mut structure.nesting, self.max_nesting, 0);
        set(&mut structure.data_bytes, self.max_data_mib, 20);
        if let Some(fuel) = self.fuel {
            limits.fuel = fuel;
        }
        if let Some(ms) = self.deadline_ms {
            limits.deadline = Duration::from_millis(ms);
        }
        if let Some(ms) = self.compile_timeout_ms {
            limits.compile_time = Duration::from_millis(ms);
        }
        limits
    }

    /// The first field that is zero or above its ceiling: (field, value, ceiling).
    pub fn out_of_bounds(&self) -> Option<(&'static str, u64, u64)> {
        let n = |v: Option<usize>| v.map(|v| v as u64);
        [
            ("fuel", self.fuel, Ceiling::FUEL),
            ("deadline_ms", self.deadline_ms, Ceiling::DEADLINE_MS),
            ("memory_mib", n(self.memory_mib), Ceiling::MEMORY_MIB as u64),
            (
                "table_elements",
                n(self.table_elements),
                Ceiling::TABLE_ELEMENTS as u64,
            ),
            ("instances", n(self.instances), Ceiling::INSTANCES as u64),
            ("module_mib", n(self.module_mib), Ceiling::MODULE_MIB as u64),
            (
                "max_functions",
                n(self.max_functions),
                Ceiling::FUNCTIONS as u64,
            ),
            (
                "max_function_kib",
                n(self.max_function_kib),
                Ceiling::FUNCTION_KIB as u64,
            ),
            ("max_locals", n(self.max_locals), Ceiling::LOCALS as u64),
            ("max_nesting", n(self.max_nesting), Ceiling::NESTING as u64),
            (
                "max_data_mib",
                n(self.max_data_mib),
                Ceiling::DATA_MIB as u64,
            ),
            (
                "compile_timeout_ms",
                self.compile_timeout_ms,
                Ceiling::COMPILE_TIMEOUT_MS,
            ),
            (
                "compile_memory_mib",
                n(self.compile_memory_mib),
                Ceiling::COMPILE_MEMORY_MIB as u64,
            ),
        ]
        .into_iter()
        .find_map(|(field, value, ceiling)| {
            value
                .filter(|v| *v == 0 || *v > ceiling)
                .map(|v| (field, v, ceiling))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_replaces_only_what_it_names() {
        let base = Limits::default();
        let profile: Profile =
            toml::from_str("instances = 64\nmodule_mib = 24\ncompile_timeout_ms = 60000").unwrap();
        let limits = profile.apply(&base);
        assert_eq!(limits.instances, 64);
        assert_eq!(limits.structure.component_bytes, 24 << 20);
        assert_eq!(limits.compile_time, Duration::from_secs(60));
        assert_eq!(limits.fuel, base.fuel);
        assert_eq!(limits.memory_bytes, base.memory_bytes);
        assert_eq!(Profile::default().apply(&base), base);
        assert_eq!(profile.out_of_bounds(), None);
    }

    #[test]
    fn a_field_past_its_ceiling_or_zero_is_named() {
        let profile: Profile = toml::from_str("memory_mib = 4096").unwrap();
        assert_eq!(
            profile.out_of_bounds(),
            Some(("memory_mib", 4096, Ceiling::MEMORY_MIB as u64))
        );
        let profile: Profile = toml::from_str("fuel = 0").unwrap();
        assert_eq!(profile.out_of_bounds().map(|o| o.0), Some("fuel"));
        let unknown = toml::from_str::<Profile>("stack_kib = 1024").unwrap_err();
        assert!(unknown.to_string().contains("stack_kib"), "{unknown}");
    }
}
