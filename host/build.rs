//! Builds every grading module in `plugins/` for `wasm32-unknown-unknown`, encodes each
//! core module as a component (zero imports: no WASI adapter is involved), and leaves
//! the results at the one documented place, `target/modules/<product-code>.wasm`, with the
//! module's conformance vectors beside it as `<product-code>.vectors.json`.
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

fn main() {
    let host_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = host_dir.parent().unwrap().to_path_buf();
    for watched in [
        "plugins",
        "sdk",
        "wit",
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
    fs::create_dir_all(&modules_dir).expect("create target/modules");

    let plugins = plugin_crates(&root.join("plugins"));
    ensure_wasm_target();
    build_plugins(&root, &target_dir.join("wasm-build"), &plugins);

    let built = target_dir.join("wasm-build").join(TARGET).join("module");
    for name in &plugins {
        let core = built.join(format!("{}.wasm", name.replace('-', "_")));
        let bytes = fs::read(&core).unwrap_or_else(|e| panic!("read {}: {e}", core.display()));
        let component = wit_component::ComponentEncoder::default()
            .module(&bytes)
            .and_then(|encoder| encoder.validate(true).encode())
            .unwrap_or_else(|e| panic!("encode {name} as a component: {e:?}"));
        write_if_changed(&modules_dir.join(format!("{name}.wasm")), &component);
        let vectors = root.join("plugins").join(name).join("vectors.json");
        if let Ok(v) = fs::read(&vectors) {
            write_if_changed(&modules_dir.join(format!("{name}.vectors.json")), &v);
        }
    }
    println!(
        "cargo:rustc-env=QGRADE_MODULES_DIR={}",
        modules_dir.display()
    );
    println!("cargo:rustc-env=QGRADE_PILOT_MODULES={}", plugins.join(","));
}

/// Every directory under `plugins/` with a `Cargo.toml`; its name is the product code.
fn plugin_crates(plugins: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(plugins)
        .expect("read plugins/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The wasm target comes from rustup; add it when the toolchain lacks it.
fn ensure_wasm_target() {
    let sysroot = Command::new(env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc --print sysroot");
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => panic!("the {TARGET} target is missing and `rustup target add {TARGET}` failed"),
    }
}

fn build_plugins(root: &Path, target_dir: &Path, plugins: &[String]) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--profile",
            "module",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(target_dir);
    for p in plugins {
        cmd.args(["-p", p]);
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
    assert!(status.success(), "building the grading modules failed");
}

fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).ok().as_deref() != Some(bytes) {
        fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}
