//! Builds every grading module in `plugins/` for `wasm32-unknown-unknown`, encodes each
//! core module as a component (zero imports: no WASI adapter is involved), and leaves
//! the results at the one documented place, `target/modules/<product-code>.wasm`, with the
//! module's conformance vectors beside it as `<product-code>.vectors.json`.
//!
//! The same nested builds produce the test fixtures in `tests/fixtures/` (hostile modules)
//! at `target/fixtures/<name>.wasm`: they are small, and building them here means the test
//! binary needs no build step of its own and no binary is ever committed. A fixture whose
//! name starts with `wasi-` is built for `wasm32-wasip2` with std, so that it imports WASI.
//!
//! The table-module engine (`sdk/table-module`) is built the same way, once, and left at
//! `target/engine/table-module.wasm`: the binary includes it, and `qgrade module build`
//! writes a standards body's table into a copy.
//!
//! This is how a fresh clone gets its modules with nothing installed by hand: `cargo
//! build`, `cargo run` and `cargo test` all go through here. The nested cargo uses its own
//! target directory, so it never waits on the outer build's lock.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

const TARGET: &str = "wasm32-unknown-unknown";
const WASI_TARGET: &str = "wasm32-wasip2";

/// A crate to build to wasm: its directory and package name.
struct Crate {
    dir: PathBuf,
    name: String,
}

impl Crate {
    /// The directory name: a plugin's product code.
    fn code(&self) -> String {
        self.dir.file_name().unwrap().to_string_lossy().into_owned()
    }

    fn artifact(&self, wasm_build: &Path, target: &str) -> PathBuf {
        let lib = self.name.replace('-', "_");
        wasm_build
            .join(target)
            .join("module")
            .join(format!("{lib}.wasm"))
    }
}

fn main() {
    let host_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = host_dir.parent().unwrap().to_path_buf();
    for watched in [
        "plugins",
        "sdk",
        "wit",
        "tests/fixtures",
        ".cargo/config.toml",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { root.join(d) })
        .unwrap_or_else(|| root.join("target"));
    let modules_dir = target_dir.join("modules");
    let fixtures_dir = target_dir.join("fixtures");
    let engine_dir = target_dir.join("engine");
    for dir in [&modules_dir, &fixtures_dir, &engine_dir] {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    }
    let wasm_build = target_dir.join("wasm-build");

    let plugins = crates_in(&root.join("plugins"));
    let engine = Crate {
        dir: root.join("sdk/table-module"),
        name: "qgrade-table-module".into(),
    };
    let (wasi_fixtures, fixtures): (Vec<Crate>, Vec<Crate>) =
        crates_in(&root.join("tests/fixtures"))
            .into_iter()
            .partition(|c| c.code().starts_with("wasi-"));

    ensure_target(TARGET);
    build(
        &root,
        &wasm_build,
        TARGET,
        plugins.iter().chain(&fixtures).chain([&engine]),
    );
    if !wasi_fixtures.is_empty() {
        ensure_target(WASI_TARGET);
        build(&root, &wasm_build, WASI_TARGET, wasi_fixtures.iter());
    }

    for plugin in &plugins {
        let code = plugin.code();
        let component = encode(&plugin.artifact(&wasm_build, TARGET));
        write_if_changed(&modules_dir.join(format!("{code}.wasm")), &component);
        if let Ok(v) = fs::read(plugin.dir.join("vectors.json")) {
            write_if_changed(&modules_dir.join(format!("{code}.vectors.json")), &v);
        }
    }
    for fixture in &fixtures {
        let component = encode(&fixture.artifact(&wasm_build, TARGET));
        write_if_changed(
            &fixtures_dir.join(format!("{}.wasm", fixture.code())),
            &component,
        );
    }
    for fixture in &wasi_fixtures {
        // wasm32-wasip2 emits a component already.
        let path = fixture.artifact(&wasm_build, WASI_TARGET);
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        write_if_changed(
            &fixtures_dir.join(format!("{}.wasm", fixture.code())),
            &bytes,
        );
    }

    let engine_path = engine_dir.join("table-module.wasm");
    write_if_changed(&engine_path, &encode(&engine.artifact(&wasm_build, TARGET)));

    let codes: Vec<String> = plugins.iter().map(Crate::code).collect();
    println!(
        "cargo:rustc-env=QGRADE_MODULES_DIR={}",
        modules_dir.display()
    );
    println!(
        "cargo:rustc-env=QGRADE_FIXTURES_DIR={}",
        fixtures_dir.display()
    );
    println!("cargo:rustc-env=QGRADE_PILOT_MODULES={}", codes.join(","));
    println!(
        "cargo:rustc-env=QGRADE_TABLE_ENGINE={}",
        engine_path.display()
    );
}

/// Every directory under `dir` with a `Cargo.toml`, sorted. A plugin's directory name is
/// its product code.
fn crates_in(dir: &Path) -> Vec<Crate> {
    let mut crates: Vec<Crate> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").exists())
        .map(|dir| Crate {
            name: package_name(&dir),
            dir,
        })
        .collect();
    crates.sort_by(|a, b| a.dir.cmp(&b.dir));
    crates
}

/// The crate's package name, from its `Cargo.toml`.
fn package_name(dir: &Path) -> String {
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("read Cargo.toml");
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no package name in {}", dir.display()))
        .to_string()
}

/// A core module, encoded as a component.
fn encode(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| encoder.validate(true).encode())
        .unwrap_or_else(|e| panic!("encode {} as a component: {e:?}", path.display()))
}

/// The wasm targets come from rustup; add one when the toolchain lacks it.
fn ensure_target(target: &str) {
    let sysroot = Command::new(env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc --print sysroot");
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(target).exists() {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", target])
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => panic!("the {target} target is missing and `rustup target add {target}` failed"),
    }
}

fn build<'a>(
    root: &Path,
    wasm_build: &Path,
    target: &str,
    crates: impl Iterator<Item = &'a Crate>,
) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--profile",
            "module",
            "--target",
            target,
            "--target-dir",
        ])
        .arg(wasm_build);
    for c in crates {
        cmd.args(["-p", &c.name]);
    }
    // The outer build's settings (clippy's wrapper, coverage flags, jobserver, the host
    // target dir) must not leak into the guest build; .cargo/config.toml applies instead.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_") && !matches!(key.as_ref(), "CARGO_HOME" | "CARGO_NET_OFFLINE")
            || matches!(
                key.as_ref(),
                "RUSTFLAGS" | "RUSTC_WRAPPER" | "RUSTC_WORKSPACE_WRAPPER" | "MAKEFLAGS" | "MFLAGS"
            )
        {
            cmd.env_remove(key.as_ref());
        }
    }
    let status = cmd.status().expect("run cargo for the wasm modules");
    assert!(
        status.success(),
        "building the wasm modules for {target} failed"
    );
}

fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).ok().as_deref() != Some(bytes) {
        fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}
