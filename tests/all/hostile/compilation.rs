//! What surrounds a grading: a component is read before it is compiled (bombs refused by
//! their shape), compiled in a child process with a time and memory budget, and cached
//! only once accepted, under a key the cache directory cannot forge.

use std::time::Duration;

use qgrade::{
    grading,
    runtime::{CompileError, GradingModule, Limits, LoadError, Sandbox},
};

use super::{host_still_serves, lying_fixture};
use crate::harness::{
    component_around, core_module, date, heavy_component, nesting_bomb, new_sandbox, sample,
};

fn over_limit(bytes: &[u8], limits: Limits) -> (String, Duration) {
    let started = std::time::Instant::now();
    let err = GradingModule::load(&new_sandbox(limits), bytes).unwrap_err();
    let elapsed = started.elapsed();
    (err.to_string(), elapsed)
}

/// The bombs that kept a compiler busy for minutes are refused before compiling, in a
/// linear read of their bytes, naming the limit.
#[test]
fn compile_bombs_are_refused_before_compiling() {
    use wasm_encoder::ValType;
    let nested = nesting_bomb(50_000);
    let locals = component_around(&core_module(1, &[(20_000, ValType::I64)], |f| {
        for i in 0..20_000u32 {
            f.instructions().i64_const(i64::from(i)).local_set(i);
        }
        f.instructions().local_get(0);
        for i in 1..20_000u32 {
            f.instructions().local_get(i).i64_add();
        }
        f.instructions().drop();
    }));
    let functions = component_around(&core_module(6_000, &[], |f| {
        f.instructions().i32_const(0).drop();
    }));
    for (bomb, limit) in [
        (
            &nested,
            "the control nesting of one function is 50000, over the limit of 256 (raise it with --max-nesting, or with max_nesting in the product's catalog profile)",
        ),
        (
            &locals,
            "the number of locals in one function is 20000, over the limit of 1000 (raise it with --max-locals, or with max_locals in the product's catalog profile)",
        ),
        (
            &functions,
            "the number of functions is 6000, over the limit of 5000 (raise it with --max-functions, or with max_functions in the product's catalog profile)",
        ),
    ] {
        let (message, elapsed) = over_limit(bomb, Limits::default());
        assert!(message.contains(limit), "{message}");
        assert!(elapsed < Duration::from_secs(2), "refused in {elapsed:?}");
    }
    host_still_serves();
}

/// Two data bytes 16 MiB apart would make a 16 MiB compiled image (and cache file) out
/// of an 8 KB component: refused before compiling.
#[test]
fn a_far_data_segment_is_refused_before_compiling() {
    use wasm_encoder::{ConstExpr, DataSection, MemorySection, MemoryType};
    let mut core = wasm_encoder::Module::new();
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(0), [1u8]);
    data.active(0, &ConstExpr::i32_const(16 << 20), [2u8]);
    core.section(&memories).section(&data);
    let (message, _) = over_limit(&component_around(&core), Limits::default());
    assert!(
        message.contains(
            "the highest byte initialised by a data segment is 16.00 MiB, over the limit of 4.00 MiB (raise it with --max-data-mib, or with max_data_mib in the product's catalog profile)"
        ),
        "{message}"
    );
}

/// A component within every static limit that is still slow to compile is stopped at
/// the compile budget, in the compiler process, and the host carries on.
#[test]
fn compilation_is_stopped_at_its_budget() {
    let _alone = crate::harness::alone();
    let heavy = heavy_component();
    assert!(heavy.len() < 4 << 20, "{} bytes", heavy.len());
    let limits = Limits {
        compile_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let err = GradingModule::load(&new_sandbox(limits), &heavy).unwrap_err();
    assert!(
        matches!(err, LoadError::Compile(CompileError::OverTime(_))),
        "{err}"
    );
    assert!(err.to_string().contains("--compile-timeout-ms"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A pilot module compiles within 24 MiB; this one needs more.
    let limits = Limits {
        compile_memory_bytes: 24 << 20,
        compile_time: Duration::from_secs(60),
        ..Limits::default()
    };
    let err = GradingModule::load(&new_sandbox(limits), &heavy).unwrap_err();
    assert!(
        matches!(err, LoadError::Compile(CompileError::OverMemory(_))),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("24 MiB and was stopped (raise it with --compile-memory-mib"),
        "{err}"
    );
    host_still_serves();
}

/// A sandbox with a cache of its own in `dir`.
fn cached_sandbox(dir: &std::path::Path, max_bytes: u64) -> Sandbox {
    Sandbox::new(Limits::default())
        .unwrap()
        .with_compiler(env!("CARGO_BIN_EXE_qgrade"))
        .with_cache(&dir.join("cache"), &dir.join("cache.key"), max_bytes)
        .unwrap()
}

/// Someone who can write the cache directory copies one module's compiled code over
/// another's entry: the entry's MAC does not match, it is discarded, and the module is
/// compiled afresh — it grades as itself.
#[test]
fn the_compile_cache_cannot_swap_code() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = cached_sandbox(dir.path(), 64 << 20);
    let jacket = std::fs::read(crate::harness::module_path("down-jacket")).unwrap();
    let bank = std::fs::read(crate::harness::module_path("power-bank")).unwrap();
    let a = GradingModule::load(&sandbox, &jacket).unwrap();
    let b = GradingModule::load(&sandbox, &bank).unwrap();
    let cache = sandbox.cache().unwrap();
    std::fs::copy(cache.path(b.digest()), cache.path(a.digest())).unwrap();

    let again = GradingModule::load(&sandbox, &jacket).unwrap();
    assert!(!again.from_cache(), "a forged entry is never loaded");
    assert_eq!(again.metadata().product, "down-jacket");
    let graded =
        grading::grade(&sandbox, &again, &sample("down-jacket"), date("2026-06-01")).unwrap();
    assert_eq!(graded.grade.map(|g| g.as_str()), Some("AAAAA"));
    // And the next load is from the cache again, authentic.
    assert!(GradingModule::load(&sandbox, &jacket).unwrap().from_cache());
}

/// Only accepted modules are cached; the cache keeps under its cap; a directory others
/// can write into is refused.
#[test]
fn the_compile_cache_keeps_accepted_modules_within_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = cached_sandbox(dir.path(), 64 << 20);
    let lying = lying_fixture(b'1');
    assert!(GradingModule::load(&sandbox, &lying).is_err());
    let digest = qgrade::model::ModuleDigest::of(&lying);
    assert!(
        !sandbox.cache().unwrap().path(digest).exists(),
        "a refused module leaves nothing in the cache"
    );

    let small = tempfile::tempdir().unwrap();
    let sandbox = cached_sandbox(small.path(), 600 << 10);
    for product in qgrade::pilot_modules() {
        let bytes = std::fs::read(crate::harness::module_path(product)).unwrap();
        GradingModule::load(&sandbox, &bytes).unwrap();
    }
    let on_disk: u64 = std::fs::read_dir(sandbox.cache().unwrap().path(digest).parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(on_disk <= 600 << 10, "{on_disk} bytes on disk");
    assert!(on_disk > 0);

    use std::os::unix::fs::PermissionsExt;
    let shared = tempfile::tempdir().unwrap();
    std::fs::create_dir(shared.path().join("cache")).unwrap();
    std::fs::set_permissions(
        shared.path().join("cache"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let Err(err) = Sandbox::new(Limits::default()).unwrap().with_cache(
        &shared.path().join("cache"),
        &shared.path().join("cache.key"),
        64 << 20,
    ) else {
        panic!("a cache directory others can write into is refused");
    };
    assert!(
        err.to_string()
            .contains("writable by its group or by others"),
        "{err}"
    );
}
