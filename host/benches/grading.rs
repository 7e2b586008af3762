//! What an isolated grading costs, as ratios measured in one run:
//!
//! - `F`, the floor: a fresh instance of a trivial component (one no-op export) plus one
//!   call, under the same engine, limits, fuel and deadline as a grading. The trivial
//!   component is `tests/fixtures/noop`, built exactly like a grading module (Rust, the
//!   same target and flags, so a linear memory with its shadow stack). For reference the
//!   bench also prints `F0`, a hand-written component with no memory at all;
//! - `G`, a full isolated grading of each pilot module's sample (fresh instance, lower the
//!   submission, grade, lift the report) — the goal is `G ≤ 2 × F` (medians);
//! - the same module logic compiled natively through the SDK, for reference;
//! - compiling each module, and loading it from the host's cache;
//! - each pilot built from its table (`plugins/<product>/table.toml`, `qgrade module
//!   build`) against its Rust module: G, G/F, fuel and size (goal: the table module within
//!   1.5× of the Rust one);
//! - the effect of each instance-allocation setting ([`Tuning`]) on `F` and `G`.
//!
//! Run with `cargo bench -p qgrade --bench grading`.

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use qgrade::{
    grading::{AttributeValue, MeasuredValue, Submission},
    model,
    runtime::{GradingModule, Limits, Sandbox, StoreState, Tuning},
};
use wasmtime::component::{Component, Linker};

const PILOTS: &[(&str, &qgrade_sdk::Module)] = &[
    ("down-jacket", &down_jacket::MODULE),
    ("power-bank", &power_bank::MODULE),
    ("robot-vacuum", &robot_vacuum::MODULE),
    ("smart-toilet", &smart_toilet::MODULE),
    ("trolley-luggage", &trolley_luggage::MODULE),
];

/// The bare minimum: no memory, no globals.
const BARE: &str = r#"(component
    (core module $m (func (export "noop")))
    (core instance $i (instantiate $m))
    (func (export "noop") (canon lift (core func $i "noop"))))"#;

fn trivial() -> Vec<u8> {
    let path = format!("{}/noop.wasm", env!("QGRADE_FIXTURES_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn main() {
    let listed: Vec<&str> = PILOTS.iter().map(|p| p.0).collect();
    assert_eq!(
        listed,
        qgrade::pilot_modules(),
        "every pilot module is benchmarked"
    );
    let on = model::Date::parse("2026-06-01").unwrap();

    // No cache: every load below compiles, in the compiler process as the host always does.
    let sandbox = Sandbox::new(Limits::default())
        .unwrap()
        .with_compiler(env!("CARGO_BIN_EXE_qgrade"));
    // F and every G are measured in rounds, each round measuring F and then each pilot's
    // G, so that a machine that slows down or speeds up moves both sides of a ratio; G/F
    // is the median of the per-round ratios.
    const ROUNDS: usize = 7;
    let mut floor_once = floor_call(&sandbox, &trivial());
    let loaded: Vec<_> = PILOTS
        .iter()
        .map(|(product, table)| {
            let bytes = std::fs::read(format!("{}/{product}.wasm", qgrade::MODULES_DIR)).unwrap();
            let module = GradingModule::load(&sandbox, &bytes).unwrap();
            let submission = sample(product);
            let input = submission.to_interface(&module, on).unwrap();
            (*product, *table, bytes, module, submission, input)
        })
        .collect();
    let mut floors = Vec::new();
    let mut gs = vec![Vec::new(); loaded.len()];
    for _ in 0..ROUNDS {
        let f = median(&mut floor_once);
        floors.push(f);
        for (k, (_, _, _, module, _, input)) in loaded.iter().enumerate() {
            let g = median(|| {
                black_box(module.grade(&sandbox, black_box(input)).unwrap());
            });
            gs[k].push((g, ratio(g, f)));
        }
    }
    floors.sort();
    let floor = floors[ROUNDS / 2];
    let bare = median(&mut floor_call(&sandbox, &wat::parse_str(BARE).unwrap()));
    println!(
        "floor F  (fresh instance of the no-op Rust component + call, median of {ROUNDS} rounds): {}",
        us(floor)
    );
    println!(
        "floor F0 (fresh instance of a memoryless no-op component + call): {}\n",
        us(bare)
    );
    println!(
        "{:<16} {:>9} {:>6} {:>6} {:>9} {:>9} {:>9} {:>11} {:>11} {:>8}",
        "module",
        "G",
        "G/F",
        "G/F0",
        "G+json",
        "native",
        "G/native",
        "compile",
        "cache load",
        "fuel"
    );
    let mut worst: f64 = 0.0;
    for ((product, table, bytes, module, submission, input), rounds) in loaded.iter().zip(gs) {
        let mut times: Vec<Duration> = rounds.iter().map(|r| r.0).collect();
        let mut ratios: Vec<f64> = rounds.iter().map(|r| r.1).collect();
        times.sort();
        ratios.sort_by(f64::total_cmp);
        let (g, g_over_f) = (times[ROUNDS / 2], ratios[ROUNDS / 2]);
        let full = median(|| {
            black_box(qgrade::grading::grade(&sandbox, module, submission, on).unwrap());
        });
        let native_input = native(table, submission, on);
        let native = median(|| {
            black_box(qgrade_sdk::grade(table, black_box(&native_input)).unwrap());
        });
        let compile = median_of(5, || {
            black_box(GradingModule::load(&sandbox, bytes).unwrap());
        });
        let cache_dir = tempfile::tempdir().unwrap();
        let cached = Sandbox::new(Limits::default())
            .unwrap()
            .with_compiler(env!("CARGO_BIN_EXE_qgrade"))
            .with_cache(cache_dir.path(), &cache_dir.path().join("key"), 64 << 20)
            .unwrap();
        GradingModule::load(&cached, bytes).unwrap();
        let cache_load = median_of(20, || {
            let m = GradingModule::load(&cached, bytes).unwrap();
            assert!(m.from_cache());
        });
        let fuel = module.grade(&sandbox, input).unwrap().fuel;
        worst = worst.max(g_over_f);
        println!(
            "{:<16} {:>9} {:>6.2} {:>6.2} {:>9} {:>9} {:>9.1} {:>11} {:>11} {:>8}",
            product,
            us(g),
            g_over_f,
            ratio(g, bare),
            us(full),
            us(native),
            ratio(g, native),
            ms(compile),
            ms(cache_load),
            fuel
        );
    }
    println!(
        "\nworst G/F = {worst:.2} (goal ≤ 2.00: {})",
        if worst <= 2.0 { "met" } else { "NOT MET" }
    );

    {
        // What a module that stays on interface 1.0.0 pays for its values' conversion into
        // and out of the host's types: one table built for both versions, in turns.
        let load =
            |path: String| GradingModule::load(&sandbox, &std::fs::read(&path).unwrap()).unwrap();
        let old = load(format!("{}/trolley-luggage.wasm", qgrade::MODULES_DIR));
        let new = load(format!(
            "{}/trolley-luggage-v1-1.wasm",
            env!("QGRADE_FIXTURES_DIR")
        ));
        let input = sample("trolley-luggage").to_interface(&old, on).unwrap();
        let (g_old, g_new) = in_turns(
            || {
                black_box(old.grade(&sandbox, black_box(&input)).unwrap());
            },
            || {
                black_box(new.grade(&sandbox, black_box(&input)).unwrap());
            },
        );
        println!(
            "interface 1.0.0, converted, vs 1.1.0 (trolley-luggage's one table, 5 rounds in turns): G {} vs {} ({:.2}×)",
            us(g_old),
            us(g_new),
            ratio(g_old, g_new)
        );
    }

    {
        // The same standard as a table module (the SDK's engine unpacking the table in
        // every fresh instance) and as a Rust module, in turns.
        println!(
            "\n{:<16} {:>9} {:>9} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9}",
            "table module",
            "G rust",
            "G table",
            "ratio",
            "G/F",
            "fuel rust",
            "fuel tbl",
            "KB rust",
            "KB table"
        );
        let mut worst: f64 = 0.0;
        for (product, _) in PILOTS {
            let rust_bytes =
                std::fs::read(format!("{}/{product}.wasm", qgrade::MODULES_DIR)).unwrap();
            let text = std::fs::read_to_string(format!(
                "{}/../plugins/{product}/table.toml",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            let table_bytes =
                qgrade::table::build(&qgrade::table::Table::parse(&text).unwrap()).unwrap();
            let rust = GradingModule::load(&sandbox, &rust_bytes).unwrap();
            let table = GradingModule::load(&sandbox, &table_bytes).unwrap();
            let input = sample(product).to_interface(&rust, on).unwrap();
            let (g_rust, g_table) = in_turns(
                || {
                    black_box(rust.grade(&sandbox, black_box(&input)).unwrap());
                },
                || {
                    black_box(table.grade(&sandbox, black_box(&input)).unwrap());
                },
            );
            worst = worst.max(ratio(g_table, g_rust));
            println!(
                "{:<16} {:>9} {:>9} {:>6.2}× {:>6.2} {:>9} {:>9} {:>9} {:>9}",
                product,
                us(g_rust),
                us(g_table),
                ratio(g_table, g_rust),
                ratio(g_table, floor),
                rust.grade(&sandbox, &input).unwrap().fuel,
                table.grade(&sandbox, &input).unwrap().fuel,
                rust_bytes.len() / 1000,
                table_bytes.len() / 1000
            );
        }
        println!(
            "worst table/Rust G = {worst:.2} (goal ≤ 1.50: {})",
            if worst <= 1.5 { "met" } else { "NOT MET" }
        );
    }

    {
        let bytes = std::fs::read(format!("{}/down-jacket.wasm", qgrade::MODULES_DIR)).unwrap();
        let module = GradingModule::load(&sandbox, &bytes).unwrap();
        let inst = median(|| module.instantiate_only(&sandbox).unwrap());
        let hostile = format!("{}/hostile.wasm", env!("QGRADE_FIXTURES_DIR"));
        let hostile = GradingModule::load(&sandbox, &std::fs::read(hostile).unwrap()).unwrap();
        let hostile_inst = median(|| hostile.instantiate_only(&sandbox).unwrap());
        println!(
            "\nfresh store + instance, no call: down-jacket {}, hostile fixture (no SDK) {}",
            us(inst),
            us(hostile_inst)
        );
        // The hostile fixture's `ok` mode does almost nothing, but on Rust's default
        // allocator, which grows memory on an instance's first allocation: the cost the
        // SDK's bump allocator removes.
        let ok = Submission::from_json(
            r#"{"product": "hostile", "attributes": {"mode": "ok"}, "measurements": {"x": 45},
                "report": {"body": "Lab", "number": "R1", "date": "2026-03-01"}}"#,
        )
        .unwrap()
        .to_interface(&hostile, on)
        .unwrap();
        let default_alloc = median(|| {
            black_box(hostile.grade(&sandbox, &ok).unwrap());
        });
        println!(
            "a near-empty grading on Rust's default allocator (hostile fixture, mode ok): {}",
            us(default_alloc)
        );
    }

    println!("\neach instance-allocation setting's effect (down-jacket G, and F):");
    let bytes = std::fs::read(format!("{}/down-jacket.wasm", qgrade::MODULES_DIR)).unwrap();
    let submission = sample("down-jacket");
    let default = Tuning::default();
    let variants = [
        ("defaults (pooling, CoW, keep 256 KiB)", default),
        (
            "keep resident 0",
            Tuning {
                keep_resident: 0,
                ..default
            },
        ),
        (
            "keep resident 64 KiB",
            Tuning {
                keep_resident: 64 << 10,
                ..default
            },
        ),
        (
            "keep resident 128 KiB",
            Tuning {
                keep_resident: 128 << 10,
                ..default
            },
        ),
        (
            "keep resident 2 MiB",
            Tuning {
                keep_resident: 2 << 20,
                ..default
            },
        ),
        (
            "no copy-on-write images",
            Tuning {
                copy_on_write: false,
                ..default
            },
        ),
        (
            "on-demand allocator",
            Tuning {
                pooling: false,
                ..default
            },
        ),
    ];
    for (name, tuning) in variants {
        let sandbox = Sandbox::tuned(Limits::default(), tuning)
            .unwrap()
            .with_compiler(env!("CARGO_BIN_EXE_qgrade"));
        let module = GradingModule::load(&sandbox, &bytes).unwrap();
        let input = submission.to_interface(&module, on).unwrap();
        let g = median(|| {
            black_box(module.grade(&sandbox, &input).unwrap());
        });
        let f = median(floor_call(&sandbox, &trivial()));
        println!(
            "  {name:<40} G {:>9}  F {:>9}  G/F {:.2}",
            us(g),
            us(f),
            ratio(g, f)
        );
    }
}

/// One fresh instance of `component` and a call of its no-op export: the floor.
fn floor_call<'a>(sandbox: &'a Sandbox, component: &[u8]) -> impl FnMut() + use<'a> {
    let component = Component::new(sandbox.engine(), component).unwrap();
    let pre = Linker::<StoreState>::new(sandbox.engine())
        .instantiate_pre(&component)
        .unwrap();
    // Resolved once, as the generated bindings resolve a grading's exports once.
    let (_, noop_export) = component.get_export(None, "noop").unwrap();
    move || {
        let mut store = sandbox.new_store(sandbox.limits());
        let instance = pre.instantiate(&mut store).unwrap();
        let noop = instance
            .get_typed_func::<(), ()>(&mut store, &noop_export)
            .unwrap();
        noop.call(&mut store, ()).unwrap();
    }
}

/// The median over samples of the mean time per call, batching calls so that each
/// sample lasts about 2 ms.
fn median(mut f: impl FnMut()) -> Duration {
    for _ in 0..200 {
        f();
    }
    let started = Instant::now();
    let mut calls = 0u32;
    while started.elapsed() < Duration::from_millis(2) {
        f();
        calls += 1;
    }
    let mut samples: Vec<Duration> = (0..61)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..calls {
                f();
            }
            started.elapsed() / calls
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// The medians of `a` and `b` over five rounds measured in turns, so that a machine that
/// changes pace moves both.
fn in_turns(mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut on_a, mut on_b) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        on_a.push(median(&mut a));
        on_b.push(median(&mut b));
    }
    on_a.sort();
    on_b.sort();
    (on_a[2], on_b[2])
}

/// The median of `n` single timed calls (for slow operations).
fn median_of(n: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    samples.sort();
    samples[n / 2]
}

fn sample(product: &str) -> Submission {
    let path = format!(
        "{}/../plugins/{product}/sample.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Submission::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The sample as the SDK takes it natively: ids become table indexes.
fn native(table: &qgrade_sdk::Module, s: &Submission, on: model::Date) -> qgrade_sdk::Submission {
    let date = |d: model::Date| qgrade_sdk::Date::new(d.year, d.month, d.day).unwrap();
    qgrade_sdk::Submission {
        date: date(on),
        attributes: s
            .attributes
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    AttributeValue::Text(t) => qgrade_sdk::AttributeValue::Text(t.clone()),
                    AttributeValue::Number(n) => qgrade_sdk::AttributeValue::Number(*n),
                };
                (k.clone(), v)
            })
            .collect(),
        measurements: s
            .measurements
            .iter()
            .map(|(id, v)| {
                let index = table.indicators.iter().position(|i| i.id == id).unwrap() as u32;
                let v = match v {
                    MeasuredValue::Number(n) => qgrade_sdk::Value::Number(*n),
                    MeasuredValue::Boolean(b) => qgrade_sdk::Value::Boolean(*b),
                };
                (index, v)
            })
            .collect(),
        conformity: s
            .conformity
            .iter()
            .map(|c| (c.standard.clone(), c.passed))
            .collect(),
        report_date: s.report.as_ref().map(|r| date(r.date)),
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
