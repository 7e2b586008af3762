//! Power banks 移动电源 — the grading module of product code `power-bank`.
//!
//! Encodes §2 of the pilot standards: GB/T 35590-2017 gives the baselines; the grading
//! steps follow the industry association's performance grading and T/SZBIA 0002-2025,
//! whose tables are not public, so most steps are approximations. CCC under
//! GB 4943.1-2022 and GB 31241-2022 is a prerequisite.

use qgrade_sdk::*;

/// The power bank grading table.
pub static MODULE: Module = Module::new(
    "power-bank",
    Standard::group(
        "T/SZBIA 0002-2025",
        "移动电源性能测试与分级评价 Performance testing and grading of power banks",
    ),
)
.prerequisites(&[
    Prerequisite::always("GB/T 35590"),
    Prerequisite::always("GB 4943.1"),
    Prerequisite::always("GB 31241"),
])
.attributes(&[Attribute::number(
    "rated_energy_wh",
    "额定能量 declared rated energy, Wh",
    ValidRange::POSITIVE,
)])
.indicators(&[
    Indicator::percent("conversion_eff", "转换效率", "conversion efficiency", Direction::Higher)
        .group(Group::Efficiency)
        .ladder([b(80.0), x(83.0), x(85.0), x(88.0), x(90.0)]),
    Indicator::percent(
        "capacity_ratio_rt",
        "常温有效输出容量/额定容量",
        "rated capacity delivered at room temperature",
        Direction::Higher,
    )
        .group(Group::Performance)
    .valid(CAPACITY_RATIO)
    .floors(&[Floor::at_least(100.0, Basis::Baseline)]),
    Indicator::percent(
        "capacity_ratio_low",
        "低温(−10 °C)容量/额定容量",
        "rated capacity delivered at −10 °C",
        Direction::Higher,
    )
        .group(Group::Performance)
    .valid(CAPACITY_RATIO)
    .ladder([x(60.0), x(70.0), x(75.0), x(80.0), x(85.0)]),
    Indicator::count("cycle_life", "循环寿命", "cycle life", "cycles", Direction::Higher)
        .group(Group::Durability)
        .ladder([b(300.0), x(400.0), x(500.0), x(650.0), x(800.0)]),
    Indicator::number(
        "energy_density",
        "重量能量密度",
        "gravimetric energy density",
        "Wh/kg",
        Direction::Higher,
    )
        .group(Group::Performance)
    .ladder([x(100.0), x(120.0), x(140.0), x(160.0), x(180.0)]),
    Indicator::percent(
        "capacity_retention",
        "荷电保持率",
        "charge retention",
        Direction::Higher,
    )
        .group(Group::Performance)
    .ladder([x(85.0), x(88.0), x(90.0), x(92.0), x(95.0)]),
    Indicator::number("ripple", "输出纹波", "output ripple", "mV", Direction::Lower)
        .group(Group::Safety)
        .floors(&[Floor::at_most(200.0, Basis::Baseline)]),
])
.notes(&[
    "Grade steps marked approximate stand in for the association's and T/SZBIA 0002-2025's tables, which are not public; a later major version replaces them.",
    "Capacity ratios may exceed 100 %: a bank may deliver more than its rating; valid up to 200 %.",
]);

/// A delivered/rated capacity ratio may exceed 100 %.
const CAPACITY_RATIO: ValidRange = ValidRange::new(0.0, 200.0);

export!(MODULE);
