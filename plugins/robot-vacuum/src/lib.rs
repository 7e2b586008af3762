//! Robot vacuums 扫地机器人 — the grading module of product code `robot-vacuum`.
//!
//! Encodes §3 of the pilot standards: QB/T 4833-2023 (product standard), test methods
//! GB/T 34454-2017 / IEC 62929, T/CAS 378-2019 performance requirements. The grading table
//! is not public: every step but the dust-removal baseline is an approximation. Safety
//! GB 4706.1 and GB 4706.7 and EMC GB 4343.1 are prerequisites.

use qgrade_sdk::*;

/// The robot vacuum grading table.
pub static MODULE: Module = Module::new(
    "robot-vacuum",
    Standard::industry("QB/T 4833-2023", "扫地机器人 Robot vacuum cleaners"),
)
.prerequisites(&[
    Prerequisite::always("QB/T 4833"),
    Prerequisite::always("GB 4706.1"),
    Prerequisite::always("GB 4706.7"),
    Prerequisite::always("GB 4343.1"),
])
.indicators(&[
    Indicator::percent("hard_floor_dust", "硬地板除尘率", "hard-floor dust removal", Direction::Higher)
        .group(Group::Performance)
        .ladder([b(70.0), x(75.0), x(80.0), x(85.0), x(90.0)]),
    Indicator::percent("edge_dust", "边角除尘率", "edge and corner dust removal", Direction::Higher)
        .group(Group::Performance)
        .ladder([x(50.0), x(60.0), x(65.0), x(70.0), x(80.0)]),
    Indicator::percent("coverage", "覆盖率", "coverage", Direction::Higher)
        .group(Group::Performance)
        .ladder([x(80.0), x(85.0), x(90.0), x(93.0), x(95.0)]),
    Indicator::percent("hair_pickup", "毛发清洁率", "hair pick-up", Direction::Higher)
        .group(Group::Performance)
        .ladder([x(80.0), x(85.0), x(90.0), x(93.0), x(95.0)]),
    Indicator::number("noise", "噪声", "noise", "dB(A)", Direction::Lower)
        .group(Group::Usability)
        .ladder([x(72.0), x(70.0), x(67.0), x(65.0), x(62.0)]),
    Indicator::number("climb_height", "越障高度", "obstacle climbing height", "mm", Direction::Higher)
        .group(Group::Performance)
        .ladder([x(10.0), x(12.0), x(15.0), x(18.0), x(20.0)]),
    Indicator::number("runtime", "续航时间", "runtime", "min", Direction::Higher)
        .group(Group::Performance)
        .ladder([x(60.0), x(90.0), x(120.0), x(150.0), x(180.0)]),
    Indicator::percent("dock_success", "回充成功率", "return-to-dock success", Direction::Higher)
        .group(Group::Performance)
        .ladder([x(80.0), x(85.0), x(90.0), x(95.0), x(98.0)]),
])
.notes(&[
    "The grading table of QB/T 4833-2023 / T/CAS 378-2019 is not public: every step marked approximate is the project's approximation; a later major version replaces them.",
]);

export!(MODULE);
