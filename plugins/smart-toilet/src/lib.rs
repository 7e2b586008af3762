//! Smart toilets 智能坐便器 — the grading module of product code `smart-toilet`.
//!
//! Encodes §4 of the pilot standards: GB/T 34549-2024 (in force 2024-11-01), the seat
//! grading items of GB/T 23131-2019, T/CZGX 001-2022 (合格/优等/领先 as A/AAA/AAAAA) and
//! T/CZGX 002-2025, water efficiency GB 38448-2019. Safety GB 4706.1 and GB 4706.53 are
//! prerequisites. The energy floor depends on the heating type and applies before the
//! ladder.

use qgrade_sdk::*;

/// The smart toilet grading table.
pub static MODULE: Module = Module::new(
    "smart-toilet",
    Standard::national("GB/T 34549-2024", "卫生洁具 智能坐便器 Sanitary ware — Smart toilets"),
)
.prerequisites(&[
    Prerequisite::always("GB/T 34549"),
    Prerequisite::always("GB 4706.1"),
    Prerequisite::always("GB 4706.53"),
])
.attributes(&[Attribute::choice(
    "heating",
    "加热方式 water heating: storage 贮热式 or instant 即热式",
    &["storage", "instant"],
)])
.indicators(&[
    Indicator::number("flush_water_avg", "冲洗平均用水量", "average flush volume", "L", Direction::Lower)
        .group(Group::Efficiency)
        .ladder([v(5.6), x(5.3), v(5.0), x(4.5), v(4.0)]),
    Indicator::percent("clean_rate", "清洗率", "cleaning rate", Direction::Higher)
        .group(Group::Performance)
        .ladder([b(95.0), x(96.0), x(97.0), x(98.0), x(99.0)]),
    Indicator::number("energy_cycle", "单位周期能耗", "energy per cycle", "kWh", Direction::Lower)
        .group(Group::Efficiency)
        .ladder([x(0.075), x(0.065), x(0.055), x(0.045), x(0.035)])
        .floors(&[
            Floor::at_most(0.10, Basis::Baseline).when("heating", "storage"),
            Floor::at_most(0.12, Basis::Baseline).when("heating", "instant"),
        ]),
    Indicator::number("flush_noise", "冲洗噪声", "flush noise", "dB(A)", Direction::Lower)
        .group(Group::Usability)
        .ladder([x(60.0), x(58.0), x(55.0), x(52.0), x(50.0)]),
    Indicator::number("nozzle_time", "喷嘴伸出/收回时间", "nozzle extend/retract time", "s", Direction::Lower)
        .group(Group::Usability)
        .floors(&[Floor::at_most(10.0, Basis::Baseline)]),
    Indicator::count("durability", "耐久性", "durability", "cycles", Direction::Higher)
        .group(Group::Durability)
        .floors(&[Floor::at_least(25_000.0, Basis::Verified)]),
    Indicator::pass_fail("nozzle_selfclean", "喷头自洁", "nozzle self-cleaning", Basis::Baseline)
        .group(Group::Safety),
])
.notes(&[
    "T/CZGX 002-2025's text is not public: steps marked approximate are the project's approximations; a later major version replaces them.",
    "The energy floor (≤ 0.10 kWh storage, ≤ 0.12 kWh instant heating) applies before the ladder: a seat over it is not graded.",
]);

export!(MODULE);
