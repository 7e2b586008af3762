//! `qgrade module build`: a table packed into the table-module engine.
//!
//! The engine (`sdk/table-module`) is compiled once by the project's build and included
//! here. Its component has one reserved region, found by its marker; building writes the
//! packed table's length and bytes into it and zeroes the rest. Nothing else in the
//! component changes, so building is deterministic — the same table gives the same bytes,
//! on any machine with the same `qgrade` — and needs no compiler.

use qgrade_sdk::packed::{self, CAPACITY, MARKER};

use super::{Table, TableError, check};

/// The table-module engine, as the build encoded it.
pub const ENGINE: &[u8] = include_bytes!(env!("QGRADE_TABLE_ENGINE"));

/// The grading component for `table`; refused with every lint it fails.
pub fn build(table: &Table) -> Result<Vec<u8>, TableError> {
    let findings = check(table);
    if !findings.is_empty() {
        return Err(TableError::Mistakes(findings));
    }
    let version = table.version.to_string();
    let packed = packed::pack(&table.module, &version)
        .expect("a table file cannot state a custom rule, the one thing that does not pack");
    if packed.len() > CAPACITY {
        return Err(TableError::TooLarge {
            size: packed.len(),
            capacity: CAPACITY,
        });
    }
    let mut component = ENGINE.to_vec();
    let region = region(&component);
    component[region..region + 4].copy_from_slice(&(packed.len() as u32).to_le_bytes());
    let table_bytes = &mut component[region + 4..region + 4 + CAPACITY];
    table_bytes.fill(0);
    table_bytes[..packed.len()].copy_from_slice(&packed);
    Ok(component)
}

/// Where the length of the table goes: just after the one marker.
fn region(engine: &[u8]) -> usize {
    let mut at = engine
        .windows(MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == MARKER)
        .map(|(i, _)| i + MARKER.len());
    let (Some(first), None) = (at.next(), at.next()) else {
        panic!("the table-module engine has its marker exactly once (host/build.rs builds it)");
    };
    assert!(
        first + 4 + CAPACITY <= engine.len(),
        "the engine's region runs past its end"
    );
    first
}
