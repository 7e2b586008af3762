//! Hostile and buggy modules are stopped with the exact typed error, and the host keeps
//! serving everyone else. The fixtures are real components built from
//! `tests/fixtures/` by the build (`host/build.rs`), never committed binaries. What
//! surrounds a grading (compilation, the compile cache) is in `hostile/compilation.rs`.

mod compilation;

use std::{sync::OnceLock, time::Duration};

use qgrade::{
    grading::{self, GradeError, Graded, Submission},
    model::{Fault, TrapKind},
    runtime::{GradingModule, Limits, LoadError, Sandbox, SandboxError},
};

use crate::harness::{date, fixture_path, module, new_sandbox, sample, sandbox};

fn hostile() -> &'static GradingModule {
    static MODULE: OnceLock<GradingModule> = OnceLock::new();
    MODULE.get_or_init(|| load_hostile(sandbox()))
}

fn load_hostile(sandbox: &Sandbox) -> GradingModule {
    let bytes = std::fs::read(fixture_path("hostile")).unwrap();
    GradingModule::load(sandbox, &bytes).unwrap()
}

/// A submission in `mode`, with x = 45 (AAAA on the fixture's ladder) and a current report.
fn submission(mode: &str) -> Submission {
    submission_with(mode, 45.0)
}

fn submission_with(mode: &str, x: f64) -> Submission {
    Submission::from_json(&format!(
        r#"{{"product": "hostile", "attributes": {{"mode": "{mode}"}}, "measurements": {{"x": {x}}},
            "report": {{"body": "Lab", "number": "R1", "date": "2026-03-01"}}}}"#
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
    assert!(
        text.contains("fuel budget of 100000000 (raise it with --fuel, or with fuel in"),
        "{text}"
    );
    host_still_serves();
}

#[test]
fn the_deadline_stops_what_fuel_would_not() {
    let sandbox = new_sandbox(Limits {
        fuel: u64::MAX / 2,
        deadline: Duration::from_millis(50),
        ..Limits::default()
    });
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
    assert!(
        text.contains(
            "over the cap of 16.00 MiB (raise it with --memory-mib, or with memory_mib in the product's catalog profile)"
        ),
        "{text}"
    );
    host_still_serves();
}

/// Deep recursion in wasm frames exhausts the native stack the sandbox allows.
#[test]
fn deep_recursion_overflows_the_stack() {
    let (kind, _, text) = trap("recurse-native");
    assert_eq!(kind, TrapKind::StackOverflow);
    assert!(
        text.contains("overflowed its stack of 512 KiB (raise it with --stack-kib)"),
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
    let _alone = crate::harness::alone();
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

// What surrounds the sandbox: compiling, the compile cache, and what a module says about
// itself. The hostile components are built here, as an attacker would build them.

/// `bytes` with `extra` more core instances, each of a module with one memory of `pages`
/// 64 KiB pages: extra instances the component creates whenever it is instantiated.
fn with_extra_instances(bytes: &[u8], extra: u32, pages: u64) -> Vec<u8> {
    use wasm_encoder::{ComponentSection, InstanceSection, MemorySection, MemoryType, ModuleArg};
    let mut memory = wasm_encoder::Module::new();
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: pages,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    memory.section(&memories);
    let mut out = bytes.to_vec();
    wasm_encoder::ModuleSection(&memory).append_to_component(&mut out);
    let mut instances = InstanceSection::new();
    for _ in 0..extra {
        // The fixture has one core module (index 0); the memory module is index 1.
        instances.instantiate(1, Vec::<(&str, ModuleArg)>::new());
    }
    instances.append_to_component(&mut out);
    out
}

/// The memory cap is on the grading: extra core instances cannot multiply it, and the
/// reported peak is the sum over every memory.
#[test]
fn the_memory_cap_covers_every_instance_of_a_grading() {
    let fixture = std::fs::read(fixture_path("hostile")).unwrap();
    // Five extra 4 MiB memories: each within the cap, 20 MiB together.
    let hog = with_extra_instances(&fixture, 5, 64);
    match GradingModule::load(sandbox(), &hog) {
        Err(LoadError::Metadata(SandboxError {
            fault: Fault::Trap { kind, message, .. },
            ..
        })) => {
            assert_eq!(kind, TrapKind::MemoryCap);
            assert!(message.contains("--memory-mib"), "{message}");
        }
        other => panic!("expected the memory cap, got {other:?}"),
    }
    // Two extra 1 MiB memories fit, and count in the peak.
    let plain = grade_in(sandbox(), hostile(), "ok").unwrap().peak_memory;
    let two = GradingModule::load(sandbox(), &with_extra_instances(&fixture, 2, 16)).unwrap();
    let graded = grade_in(sandbox(), &two, "ok").unwrap();
    assert_eq!(graded.peak_memory, plain + (2 << 20));
    // More instances than a grading may have: refused before compiling.
    let many = with_extra_instances(&fixture, 16, 0);
    let err = GradingModule::load(sandbox(), &many).unwrap_err();
    assert!(
        err.to_string()
            .contains("the number of core instances is 17, over the limit of 16"),
        "{err}"
    );
    host_still_serves();
}

/// A report that breaks the general rules is refused, naming the rule.
#[test]
fn a_lying_report_is_refused_naming_the_rule() {
    let lies = [
        // x = 2 misses its floor; the module awards AAAA anyway.
        (
            "lying-grade",
            2.0,
            "grade AAAA, but indicator x failed its floor",
        ),
        (
            "stale-lie",
            45.0,
            "not graded for a stale report of 0000-13-255",
        ),
        (
            "escape",
            45.0,
            "the not-graded reason contains the control character U+001B",
        ),
        (
            "undeclared-grade",
            45.0,
            "grade AAAAA, which the module does not declare",
        ),
    ];
    for (mode, x, rule) in lies {
        let submission = submission_with(mode, x);
        match grading::grade(sandbox(), hostile(), &submission, date("2026-06-01")) {
            Err(GradeError::Sandbox(SandboxError {
                fault: Fault::InvalidOutput(message),
                ..
            })) => assert!(message.contains(rule), "{mode}: {message}"),
            other => panic!("{mode}: expected invalid_output, got {other:?}"),
        }
    }
    host_still_serves();
}

/// The fixture's bytes with its metadata lie `lie` switched on (see the fixture).
fn lying_fixture(lie: u8) -> Vec<u8> {
    let mut bytes = std::fs::read(fixture_path("hostile")).unwrap();
    let marker = b"QGRADE-LIE-MODE0";
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("the fixture carries its lie marker");
    bytes[at + marker.len() - 1] = lie;
    bytes
}

/// Metadata that breaks the contract is refused at load, naming the rule.
#[test]
fn lying_metadata_is_refused_naming_the_rule() {
    let lies = [
        (b'1', "indicator x: a threshold is NaN, not a finite number"),
        (b'2', "indicator x: a valid range 100–0 is empty"),
        (b'3', "indicator x: a valid range has a step of 0"),
        (
            b'4',
            "attribute colour is \"red\", but the module declares no such attribute",
        ),
        (b'5', "indicator x: its ladder is not monotone"),
        (b'6', "name_en contains the control character U+001B"),
    ];
    for (lie, rule) in lies {
        match GradingModule::load(sandbox(), &lying_fixture(lie)) {
            Err(LoadError::InvalidMetadata(message)) => {
                assert!(message.contains(rule), "{}: {message}", lie as char)
            }
            other => panic!("{}: expected invalid metadata, got {other:?}", lie as char),
        }
    }
    assert!(GradingModule::load(sandbox(), &lying_fixture(b'0')).is_ok());
}

/// Text from a module never reaches a terminal raw: the CLI prints no escape sequence,
/// whatever the module returns.
#[test]
fn module_text_reaches_the_terminal_escaped() {
    let (_dir, path) = crate::harness::temp_file(
        "escape.json",
        br#"{"product": "hostile", "attributes": {"mode": "escape"}, "measurements": {"x": 45},
            "report": {"body": "Lab", "number": "R1", "date": "2026-03-01"}}"#,
    );
    let fixture = fixture_path("hostile");
    let out = crate::harness::qgrade(&[
        "run",
        fixture.to_str().unwrap(),
        path.to_str().unwrap(),
        "--on",
        "2026-06-01",
    ]);
    assert_eq!(out.status.code(), Some(3));
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !stream.contains(&0x1b),
            "{}",
            String::from_utf8_lossy(stream)
        );
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid result"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
