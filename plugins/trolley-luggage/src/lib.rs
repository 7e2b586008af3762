//! Trolley luggage 旅行拉杆箱 — the grading module of product code `trolley-luggage`.
//!
//! Encodes §5 of the pilot standards: QB/T 2155-2018 is pass/fail only and no public
//! grading standard exists, so every grade step is an approximation; the test methods are
//! QB/T 2919-2018 (handle fatigue), QB/T 2920-2018 (walking), QB/T 2921-2007 (drop),
//! QB/T 2922-2018 (oscillating impact) and QB/T 4116-2023 (drum). The handle's wobble
//! limit depends on its number of sections.
//!
//! This pilot stays on interface `qgrade:grading@1.0.0` (no indicator groups): the host
//! runs it beside the 1.1.0 pilots, and a 1.1.0 build of the same table grades every
//! vector alike (`tests/all/interfaces.rs`).

mod table;

pub use table::MODULE;

qgrade_sdk::export!(MODULE, interface = v1_0_0);
