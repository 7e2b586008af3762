//! Down garments 羽绒服装 — the grading module of product code `down-jacket`.
//!
//! Encodes §1 of the pilot standards: GB/T 14272-2021 (product standard, baselines),
//! T/CTES 1080-2025 (top grade) and the 2016 fill-power ladder of the China Feather and
//! Down Industrial Association; mandatory GB 18401 for adults, GB 31701 for children.

use qgrade_sdk::*;

/// The down garments grading table.
pub static MODULE: Module = Module::new(
    "down-jacket",
    Standard::group("T/CTES 1080-2025", "羽绒服装质量分级 Quality grading of down garments"),
)
.prerequisites(&[
    Prerequisite::always("GB/T 14272"),
    Prerequisite::when("wearer", "adult", "GB 18401"),
    Prerequisite::when("wearer", "child", "GB 31701"),
])
.attributes(&[
    Attribute::choice("species", "羽绒种类 down species: goose or duck", &["goose", "duck"]),
    Attribute::choice("wearer", "穿着者 adult or child wear", &["adult", "child"])
        .default_value("adult"),
])
.indicators(&[
    Indicator::percent("down_cluster_pct", "绒子含量", "down cluster content", Direction::Higher)
        .group(Group::Performance)
        .ladder([b(50.0), x(70.0), x(80.0), x(85.0), v(90.0)]),
    Indicator::number("fill_power", "蓬松度", "fill power", "cm", Direction::Higher)
        .group(Group::Performance).ladder_by(
        "species",
        &[
            ("duck", [v(12.0), v(14.0), x(15.0), v(16.0), x(17.0)]),
            ("goose", [v(12.0), v(14.0), v(16.0), x(17.0), v(17.5)]),
        ],
    ),
    Indicator::number("turbidity", "浊度(透明度)", "turbidity (transparency)", "mm", Direction::Higher)
        .group(Group::Safety)
        .ladder([b(500.0), x(600.0), x(700.0), x(800.0), v(1000.0)]),
    Indicator::count("down_leakage", "钻绒值", "down leakage", "根", Direction::Lower)
        .group(Group::Durability)
        .ladder([v(50.0), x(30.0), v(15.0), x(10.0), v(5.0)]),
    Indicator::number("colour_fastness", "色牢度", "colour fastness", "级", Direction::Higher)
        .group(Group::Durability)
        .valid(ValidRange::new(1.0, 5.0).step(0.5))
        .ladder([x(3.0), x(3.5), x(3.5), x(4.0), x(4.0)]),
    Indicator::number("oxygen_index", "耗氧量", "oxygen consumption", "mg/100 g", Direction::Lower)
        .group(Group::Safety)
        .floors(&[Floor::at_most(5.6, Basis::Baseline)]),
    Indicator::percent("fat_content", "残脂率", "residual fat content", Direction::Window)
        .group(Group::Performance)
        .floors(&[Floor::within(0.5, 1.2, Basis::Baseline)]),
    Indicator::percent("fill_weight_dev", "充绒量偏差", "fill weight deviation", Direction::Higher)
        .group(Group::Performance)
        .valid(ValidRange::new(-100.0, 100.0))
        .floors(&[Floor::at_least(-5.0, Basis::Baseline)]),
    Indicator::pass_fail("odour", "异味", "odour", Basis::Baseline)
        .group(Group::Safety),
])
.notes(&[
    "Thresholds marked approximate are the project's approximations where the grading table is not public; a later major version replaces them.",
    "The fat content window 0.5–1.2 % combines the GB/T 14272 baseline with an approximated upper limit.",
    "Colour fastness is the lowest grey-scale rating of the garment's fabrics.",
]);

export!(MODULE);
