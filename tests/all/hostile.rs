//! Hostile and buggy modules are stopped with the exact typed error, and the host keeps
//! serving everyone else. The fixtures are real components built from
//! `tests/fixtures/` by the build (`host/build.rs`), never committed binaries.

use std::{sync::OnceLock, time::Duration};

use qgrade::{
    grading::{self, GradeError, Graded, Submission},
    runtime::{Fault, GradingModule, Limits, LoadError, Sandbox, SandboxError, TrapKind},
};

use crate::harness::{date, fixture_path, module, sample, sandbox};

fn hostile() -> &'static GradingModule {
    static MODULE: OnceLock<GradingModule> = OnceLock::new();
    MODULE.get_or_init(|| load_hostile(sandbox()))
}

fn load_hostile(sandbox: &Sandbox) -> GradingModule {
    let bytes = std::fs::read(fixture_path("hostile")).unwrap();
    GradingModule::load(sandbox, &bytes).unwrap()
}

fn submission(mode: &str) -> Submission {
    Submission::from_json(&format!(
        r#"{{"product": "hostile", "attributes": {{"mode": "{mode}"}}, "measurements": {{"x": 1}}}}"#
    ))
    .unwrap()
}

fn grade_in(sandbox: &Sandbox, module: &GradingModule, mode: &str) -> Result<Graded, GradeError> {
    grading::grade(sandbox, module, &submission(mode), date("2026-06-01"))
}

fn fault(mode: &str) -> SandboxError {
    match grade_in(sandbox(), hostile(), mode) {
        Err(GradeError::Sandbox(e)) => e,
        other => panic!("{mode}: expected a sandbox error, got {other:?}"),
    }
}

fn trap(mode: &str) -> (TrapKind, u64, String) {
    let e = fault(mode);
    assert_eq!(e.module, "hostile 1.0.0", "the error names the module");
    let text = e.to_string();
    match e.fault {
        Fault::Trap { kind, fuel, .. } => (kind, fuel, text),
        other => panic!("{mode}: expected a trap, got {other:?}"),
    }
}

/// After any misbehaviour, the same host grades a pilot submission correctly.
fn host_still_serves() {
    let graded = grading::grade(
        sandbox(),
        &module("power-bank"),
        &sample("power-bank"),
        date("2026-06-01"),
    )
    .unwrap();
    assert_eq!(graded.grade.map(|g| g.as_str()), Some("AAA"));
    let ok = grade_in(sandbox(), hostile(), "ok").unwrap();
    assert_eq!(ok.grade.map(|g| g.as_str()), Some("AAA"));
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let (kind, fuel, text) = trap("loop");
    assert_eq!(kind, TrapKind::OutOfFuel);
    assert_eq!(fuel, Limits::default().fuel);
    assert!(text.contains("fuel budget of 100000000"), "{text}");
    host_still_serves();
}

#[test]
fn the_deadline_stops_what_fuel_would_not() {
    let sandbox = Sandbox::new(Limits {
        fuel: u64::MAX / 2,
        deadline: Duration::from_millis(50),
        ..Limits::default()
    })
    .unwrap();
    let module = load_hostile(&sandbox);
    let started = std::time::Instant::now();
    match grade_in(&sandbox, &module, "loop") {
        Err(GradeError::Sandbox(SandboxError {
            fault: Fault::Trap { kind, .. },
            ..
        })) => assert_eq!(kind, TrapKind::Deadline),
        other => panic!("expected a deadline trap, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    host_still_serves();
}

#[test]
fn unbounded_allocation_hits_the_memory_cap() {
    let (kind, _, text) = trap("grow");
    assert_eq!(kind, TrapKind::MemoryCap);
    assert!(text.contains("over the cap of 16777216 bytes"), "{text}");
    host_still_serves();
}

/// Deep recursion in wasm frames exhausts the native stack the sandbox allows.
#[test]
fn deep_recursion_overflows_the_stack() {
    let (kind, _, text) = trap("recurse-native");
    assert_eq!(kind, TrapKind::StackOverflow);
    assert!(
        text.contains("overflowed its stack of 524288 bytes"),
        "{text}"
    );
    host_still_serves();
}

/// Recursion through Rust's shadow stack (the 64 KiB at the bottom of linear memory) runs
/// off the start of memory: a bounds trap, which the message explains.
#[test]
fn deep_recursion_on_the_shadow_stack_traps_out_of_bounds() {
    let (kind, _, text) = trap("recurse");
    assert_eq!(kind, TrapKind::MemoryOutOfBounds);
    assert!(text.contains("shadow stack"), "{text}");
    host_still_serves();
}

#[test]
fn a_panic_traps_as_unreachable() {
    assert_eq!(trap("panic").0, TrapKind::Unreachable);
    assert_eq!(trap("unreachable").0, TrapKind::Unreachable);
    host_still_serves();
}

/// Rust checks divisors itself, so a division by zero in a Rust module is a panic, which
/// reaches the host as `unreachable`.
#[test]
fn a_division_by_zero_traps() {
    assert_eq!(trap("divide").0, TrapKind::Unreachable);
    host_still_serves();
}

#[test]
fn a_huge_output_is_refused_by_size() {
    match fault("huge-output").fault {
        Fault::OutputTooLarge { bytes, limit } => {
            assert!(bytes > 8 << 20, "{bytes}");
            assert_eq!(limit, Limits::default().report_bytes);
        }
        other => panic!("expected OutputTooLarge, got {other:?}"),
    }
    host_still_serves();
}

#[test]
fn an_outcome_for_an_undeclared_indicator_is_refused() {
    match fault("undeclared-outcome").fault {
        Fault::InvalidOutput(message) => assert!(message.contains('7'), "{message}"),
        other => panic!("expected InvalidOutput, got {other:?}"),
    }
    host_still_serves();
}

/// The grade is an enum in the interface, so a string that is no grade cannot cross the
/// boundary; a grade the module never declared it awards is refused.
#[test]
fn a_grade_the_module_never_declared_is_refused() {
    match fault("undeclared-grade").fault {
        Fault::InvalidOutput(message) => assert!(message.contains("AAAAA"), "{message}"),
        other => panic!("expected InvalidOutput, got {other:?}"),
    }
    host_still_serves();
}

/// The fixture answers AAAA on an instance's first call and A on any later one: every
/// grading must see a fresh instance.
#[test]
fn no_state_survives_from_one_grading_to_the_next() {
    for _ in 0..5 {
        let graded = grade_in(sandbox(), hostile(), "counter").unwrap();
        assert_eq!(graded.grade.map(|g| g.as_str()), Some("AAAA"));
    }
}

#[test]
fn a_module_built_with_wasi_is_refused_naming_its_imports() {
    let bytes = std::fs::read(fixture_path("wasi-env")).unwrap();
    match GradingModule::load(sandbox(), &bytes) {
        Err(LoadError::ForbiddenImports(imports)) => {
            assert!(
                imports
                    .iter()
                    .any(|i| i.starts_with("wasi:cli/environment@")),
                "{imports:?}"
            );
        }
        other => panic!("expected ForbiddenImports, got {other:?}"),
    }
    host_still_serves();
}

/// Thousands of good gradings on every core, interleaved with hostile ones on the same
/// engine: every good grading gets its right grade.
#[test]
fn good_gradings_survive_hostile_neighbours_on_all_cores() {
    const PER_THREAD: usize = 1_500;
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let pilots: Vec<(GradingModule, Submission, &str)> = [
        ("down-jacket", "AAAAA"),
        ("power-bank", "AAA"),
        ("robot-vacuum", "AAA"),
        ("smart-toilet", "AAA"),
        ("trolley-luggage", "AAAA"),
    ]
    .into_iter()
    .map(|(product, grade)| (module(product), sample(product), grade))
    .collect();
    let hostile_modes = ["loop", "grow", "panic", "recurse", "huge-output", "counter"];
    let good = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (pilots, good) = (&pilots, &good);
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    if i % 50 == 7 {
                        let mode = hostile_modes[(i / 50 + t) % hostile_modes.len()];
                        let result = grade_in(sandbox(), hostile(), mode);
                        if mode == "counter" {
                            assert_eq!(result.unwrap().grade.map(|g| g.as_str()), Some("AAAA"));
                        } else {
                            assert!(matches!(result, Err(GradeError::Sandbox(_))), "{mode}");
                        }
                        continue;
                    }
                    let (module, submission, grade) = &pilots[(i + t) % pilots.len()];
                    let graded = grading::grade(sandbox(), module, submission, date("2026-06-01"))
                        .unwrap_or_else(|e| panic!("{}: {e}", module.name()));
                    assert_eq!(
                        graded.grade.map(|g| g.as_str()),
                        Some(*grade),
                        "{}",
                        module.name()
                    );
                    good.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    assert!(good.into_inner() >= 2_900);
}
