//! The grading component every table module is: the SDK's engine, exporting whatever
//! table was packed into it.
//!
//! The project's build compiles this crate once to `wasm32-unknown-unknown` and encodes it
//! as a component with a reserved, filled region for the table (`TABLE`). `qgrade module
//! build` finds that region by its marker in the component's bytes and writes the packed
//! table (`qgrade_sdk::packed`) into it, length first: the component's structure, code and
//! size never change, only the data, so the same table always gives the same bytes and a
//! standards body needs nothing but the `qgrade` binary.
//!
//! Each grading runs in a fresh instance, which unpacks the table once (a few hundred
//! bytes of reading; its strings borrow the region) and grades under the general rules.

// Built natively (as a workspace member), the export expands to nothing and the table is
// never read.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::sync::OnceLock;

use qgrade_sdk::{
    Module,
    packed::{self, CAPACITY, MARKER},
};

/// The reserved region: the marker, the packed table's length, the packed table.
#[repr(C)]
struct Region {
    marker: [u8; 16],
    len: [u8; 4],
    bytes: [u8; CAPACITY],
}

/// Filled with a non-zero byte, so the whole region is a data segment (a zero region
/// could be left out of the module as `.bss`, and there would be nothing to write into).
#[used]
static TABLE: Region = Region {
    marker: MARKER,
    len: [0; 4],
    bytes: [0xA5; CAPACITY],
};

/// The unpacked table and its version.
fn table() -> &'static (Module, &'static str) {
    static UNPACKED: OnceLock<(Module, &'static str)> = OnceLock::new();
    UNPACKED.get_or_init(|| {
        // The compiler knows `TABLE`'s contents as built and would fold them into the
        // code; the region must be read as it is in memory, where the table was written.
        let region: &'static Region = std::hint::black_box(&TABLE);
        let len = (u32::from_le_bytes(region.len) as usize).min(CAPACITY);
        match packed::unpack(&region.bytes[..len]) {
            Ok(unpacked) => unpacked,
            // Only an engine nobody packed a table into: a trap, without the formatting
            // machinery a panic message would bring into every table module.
            Err(_) => std::process::abort(),
        }
    })
}

qgrade_sdk::export!(@module &table().0, table().1, v1_1_0);
