//! The trolley luggage grading table, apart from its export: the 1.1.0 build of the same
//! table (`tests/fixtures/trolley-luggage-v1-1`) includes this file.

use qgrade_sdk::*;

/// The trolley luggage grading table.
pub static MODULE: Module = Module::new(
    "trolley-luggage",
    Standard::industry("QB/T 2155-2018", "旅行箱包 Luggage"),
)
.prerequisites(&[Prerequisite::always("QB/T 2155")])
.attributes(&[Attribute::choice(
    "handle_sections",
    "拉杆节数 number of telescopic handle sections",
    &["2", "3"],
)])
.indicators(&[
    Indicator::count("rod_fatigue", "拉杆往复疲劳", "handle fatigue", "cycles", Direction::Higher)
        .group(Group::Durability)
        .ladder([x(2500.0), x(3000.0), x(4000.0), x(5000.0), x(6000.0)]),
    Indicator::number("walk_km", "走行距离", "walking distance", "km", Direction::Higher)
        .group(Group::Durability)
        .ladder([x(8.0), x(16.0), x(24.0), x(32.0), x(48.0)]),
    Indicator::count("oscillation", "振荡冲击", "oscillating impact", "cycles", Direction::Higher)
        .group(Group::Durability)
        .ladder([b(300.0), x(400.0), x(500.0), x(750.0), x(1000.0)]),
    Indicator::number("rod_wobble", "拉杆摇晃度", "handle wobble", "mm", Direction::Lower)
        .group(Group::Usability).floors(&[
        Floor::at_most(20.0, Basis::Verified).when("handle_sections", "2"),
        Floor::at_most(25.0, Basis::Verified).when("handle_sections", "3"),
    ]),
    Indicator::number("wheel_noise", "走轮噪音", "wheel noise", "dB", Direction::Lower)
        .group(Group::Usability)
        .floors(&[Floor::at_most(75.0, Basis::Verified)]),
    Indicator::pass_fail("drop_pass", "跌落(900 mm)", "drop test (900 mm)", Basis::Approximate)
        .group(Group::Durability),
    Indicator::pass_fail(
        "drum_pass",
        "滚筒冲击(−12 °C, 50 rev)",
        "drum impact (−12 °C, 50 revolutions)",
        Basis::Verified,
    )
        .group(Group::Durability),
])
.notes(&[
    "No public grading standard exists for trolley luggage: every grade step is the project's approximation; a later major version replaces them.",
]);
