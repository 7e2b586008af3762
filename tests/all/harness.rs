//! Everything tests share: the sandbox, the pilot modules and fixtures, the `qgrade`
//! binary, hostile bytes, a catalog of many products ([`derive_products`]), and the three
//! ways a test meets the platform — a world of keys, catalog and database ([`world`]), the
//! real router ([`router`]), and `qgrade serve` as a process ([`server`]). A test file holds its scenarios and what is its alone.

mod products;
mod router;
mod server;
mod world;

pub use products::*;
pub use router::*;
pub use server::*;
pub use world::*;

use std::{
    io::BufRead,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

use qgrade::{
    grading::Submission,
    model,
    runtime::{GradingModule, Limits, Sandbox},
};

/// Run each named scenario (`async fn(World)`) once on a SQLite file and once on the
/// PostgreSQL server at 127.0.0.1:5432 (never skipped).
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                crate::harness::run(crate::harness::Db::Sqlite, super::$name);
            }
            #[test]
            fn postgres() {
                crate::harness::run(crate::harness::Db::Postgres, super::$name);
            }
        }
    )*};
}
pub(crate) use on_both_databases;

/// Held by the tests that load both cores (and by those that measure latency) so that they
/// never run beside each other: a latency figure is then the platform's, not the
/// neighbouring test's.
pub fn alone() -> std::sync::MutexGuard<'static, ()> {
    static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ALONE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One sandbox for the whole test binary, as the platform has one.
pub fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| new_sandbox(Limits::default()))
}

/// A sandbox under `limits` that compiles with the `qgrade` binary (the test binary is
/// not one) and caches in the tests' own cache.
pub fn new_sandbox(limits: Limits) -> Sandbox {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    Sandbox::new(limits)
        .expect("sandbox")
        .with_compiler(env!("CARGO_BIN_EXE_qgrade"))
        .with_cache(
            &tmp.join("qgrade-cache"),
            &tmp.join("qgrade-cache.key"),
            256 << 20,
        )
        .expect("the tests' compile cache")
}

/// A fresh transparency-log key.
pub fn log_key() -> qgrade::registry::log::LogKey {
    qgrade::registry::log::LogKey::generate("qgrade.test/log")
        .expect("a log key")
        .1
}

/// A test report number no other grading in this test binary uses (one report backs one
/// certificate).
pub fn unique_report() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "R{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// A report date a month before today in China: current for the platform's one-year
/// rule whatever day the tests run.
pub fn recent_report_date() -> String {
    qgrade::clock::china_today()
        .days_after(-30)
        .unwrap()
        .to_string()
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `target/modules/<product>.wasm`.
pub fn module_path(product: &str) -> PathBuf {
    Path::new(qgrade::MODULES_DIR).join(format!("{product}.wasm"))
}

/// `target/fixtures/<name>.wasm`: a test fixture built from `tests/fixtures/<name>`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("QGRADE_FIXTURES_DIR")).join(format!("{name}.wasm"))
}

/// A pilot module, loaded.
pub fn module(product: &str) -> GradingModule {
    let bytes = std::fs::read(module_path(product))
        .unwrap_or_else(|e| panic!("module {product} was not built: {e}"));
    GradingModule::load(sandbox(), &bytes).expect("pilot module loads")
}

/// The sample submission a plugin ships.
pub fn sample(product: &str) -> Submission {
    let text = std::fs::read_to_string(sample_path(product)).unwrap();
    Submission::from_json(&text).unwrap()
}

/// `plugins/<product>/sample.json`.
pub fn sample_path(product: &str) -> PathBuf {
    root().join("plugins").join(product).join("sample.json")
}

/// A date from `YYYY-MM-DD`.
pub fn date(text: &str) -> model::Date {
    model::Date::parse(text).unwrap()
}

/// Run the `qgrade` binary.
pub fn qgrade(args: &[&str]) -> Output {
    // A cache of its own, so tests never touch the user's and see their own hits.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qgrade-cache");
    Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args(args)
        .env("QGRADE_CACHE_DIR", cache)
        .env(
            "QGRADE_CACHE_KEY",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("qgrade-cache.key"),
        )
        .output()
        .expect("run qgrade")
}

/// The JSON a command printed on stdout.
pub fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Write bytes to a fresh temporary file.
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// A component around `core`, exporting an (empty) instance under the grader's name so
/// that it passes the export gate and meets the limits.
pub fn component_around(core: &wasm_encoder::Module) -> Vec<u8> {
    use wasm_encoder::{
        Component, ComponentExportKind, ComponentExportSection, ComponentInstanceSection,
        InstanceSection, ModuleArg, ModuleSection,
    };
    let mut c = Component::new();
    c.section(&ModuleSection(core));
    let mut core_instances = InstanceSection::new();
    core_instances.instantiate(0, Vec::<(&str, ModuleArg)>::new());
    c.section(&core_instances);
    let mut instances = ComponentInstanceSection::new();
    instances.export_items(Vec::<(&str, ComponentExportKind, u32)>::new());
    c.section(&instances);
    let mut exports = ComponentExportSection::new();
    exports.export(
        "qgrade:grading/grader@1.0.0",
        ComponentExportKind::Instance,
        0,
        None,
    );
    c.section(&exports);
    c.finish()
}

/// A core module of `count` functions `() -> ()`, each with `locals` and `body`.
pub fn core_module(
    count: usize,
    locals: &[(u32, wasm_encoder::ValType)],
    body: impl Fn(&mut wasm_encoder::Function),
) -> wasm_encoder::Module {
    use wasm_encoder::{CodeSection, Function, FunctionSection, Module, TypeSection};
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    for _ in 0..count {
        functions.function(0);
        let mut f = Function::new(locals.iter().copied());
        body(&mut f);
        f.instructions().end();
        code.function(&f);
    }
    let mut module = Module::new();
    module.section(&types).section(&functions).section(&code);
    module
}

/// A component of one function nested `depth` blocks deep: what kept a compiler busy for
/// minutes (refused before compiling).
pub fn nesting_bomb(depth: usize) -> Vec<u8> {
    component_around(&core_module(1, &[], |f| {
        for _ in 0..depth {
            f.instructions().block(wasm_encoder::BlockType::Empty);
        }
        for _ in 0..depth {
            f.instructions().end();
        }
    }))
}

/// A component within every static limit (half the size limit) that takes seconds of
/// compiling — about 3 s on an idle 2-core machine — and more than 24 MiB: what only the
/// compile budget stops. Its bytes are divisions, which cost the compiler the most per
/// byte (each is a trap check on zero and on overflow, a few blocks for two bytes):
/// tests give it a budget of at most 500 ms, so a machine twice as fast still leaves a
/// wide margin (a component of cheap arithmetic compiled in a second here, and under
/// 500 ms on a faster machine).
pub fn heavy_component() -> Vec<u8> {
    use wasm_encoder::ValType;
    component_around(&core_module(1_800, &[(100, ValType::I64)], |f| {
        for i in 0..170u32 {
            f.instructions()
                .local_get(i % 100)
                .local_get((i * 7 + 3) % 100)
                .i64_div_s()
                .local_set((i * 31 + 11) % 100);
        }
    }))
}

/// One HTTP/1.1 message read off a raw connection, for tests that speak HTTP by hand.
pub struct RawMessage {
    /// The request or status line.
    pub start: String,
    /// The header lines, names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl RawMessage {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Read one message: its head up to the blank line (or the end of the stream), then the
/// body its `Content-Length` gives, which is dropped so that the next message starts clean.
pub fn read_message(reader: &mut impl BufRead) -> RawMessage {
    let mut start = String::new();
    reader.read_line(&mut start).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    reader.read_exact(&mut vec![0; length]).unwrap();
    RawMessage { start, headers }
}

/// Everything a grading decided (grade, reason, every indicator's outcome, or the error)
/// without what differs between two builds of one standard: the cost, the module's digest
/// and the indicators' groups (interface 1.0.0 has none). An invalid submission is
/// `"invalid: …"`, a module fault `"fault: …"`.
pub fn decision(
    result: Result<qgrade::grading::Graded, qgrade::grading::GradeError>,
) -> serde_json::Value {
    use qgrade::grading::GradeError;
    match result {
        Ok(graded) => {
            let mut json = qgrade::wire::to_value(&qgrade::wire::GradedBody::from(&graded));
            let object = json.as_object_mut().unwrap();
            for cost in [
                "fuel",
                "peak_memory_bytes",
                "input_bytes",
                "output_bytes",
                "time_us",
            ] {
                object.remove(cost);
            }
            object["module"].as_object_mut().unwrap().remove("sha256");
            for outcome in object["indicators"].as_object_mut().unwrap().values_mut() {
                outcome.as_object_mut().unwrap().remove("group");
            }
            json
        }
        Err(GradeError::Invalid(e)) => serde_json::Value::String(format!("invalid: {e}")),
        Err(GradeError::Sandbox(e)) => serde_json::Value::String(format!("fault: {e}")),
    }
}
