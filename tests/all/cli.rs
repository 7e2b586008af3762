//! The `qgrade` binary as labs use it: `run`, `test`, `inspect`.

use crate::harness::{module_path, qgrade, sample_path, stdout_json, temp_file};

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// `qgrade run --json` of the down-jacket module on `submission`, as of 2026-06-01.
fn run_json(submission: &std::path::Path) -> std::process::Output {
    qgrade(&[
        "run",
        path(&module_path("down-jacket")),
        path(submission),
        "--on",
        "2026-06-01",
        "--json",
    ])
}

/// The down-jacket sample with `from` replaced by `to`, in a temporary file.
fn sample_with(from: &str, to: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let text = std::fs::read_to_string(sample_path("down-jacket"))
        .unwrap()
        .replace(from, to);
    temp_file("s.json", text.as_bytes())
}

#[test]
fn run_json_prints_grade_indicators_fuel_and_module() {
    let module = module_path("down-jacket");
    let out = run_json(&sample_path("down-jacket"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    assert_eq!(json["grade"], "AAAAA");
    assert!(json["reason"].is_null());
    assert_eq!(json["indicators"]["down_cluster_pct"]["result"], "AAAAA");
    assert!(json["fuel"].as_u64().unwrap() > 0);
    assert_eq!(json["module"]["product"], "down-jacket");
    assert_eq!(json["module"]["version"], "1.0.0");
    let digest = qgrade::model::ModuleDigest::of(&std::fs::read(&module).unwrap());
    assert_eq!(json["module"]["sha256"], digest.to_string());
}

#[test]
fn fuel_is_identical_from_run_to_run() {
    let run = || {
        stdout_json(&run_json(&sample_path("down-jacket")))["fuel"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn not_graded_exits_zero_with_a_reason() {
    let (_dir, submission) = sample_with("\"odour\": true", "\"odour\": false");
    let out = run_json(&submission);
    assert_eq!(out.status.code(), Some(0));
    let json = stdout_json(&out);
    assert!(json["grade"].is_null());
    assert_eq!(json["reason"]["kind"], "failed_floor");
    assert_eq!(json["reason"]["indicator"], "odour");
    assert_eq!(json["indicators"]["odour"]["result"], "fail");
}

#[test]
fn an_invalid_submission_exits_non_zero_naming_the_indicator() {
    let (_dir, submission) = sample_with("\"down_cluster_pct\": 91", "\"down_cluster_pct\": 101");
    let out = run_json(&submission);
    assert_eq!(out.status.code(), Some(2));
    let json = stdout_json(&out);
    assert_eq!(json["error"]["code"], "invalid_value");
    assert_eq!(json["error"]["field"], "measurements.down_cluster_pct");
    assert!(json["error"]["message"].as_str().unwrap().contains("101"));
}

#[test]
fn invalid_json_names_the_problem() {
    let (_dir, submission) = temp_file("s.json", b"{\"product\": ");
    let out = run_json(&submission);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_json(&out)["error"]["code"], "invalid_json");
}

#[test]
fn a_file_that_is_not_a_module_is_refused_without_a_panic() {
    let (_dir, not_wasm) = temp_file("m.wasm", b"hello");
    let out = qgrade(&[
        "run",
        path(&not_wasm),
        path(&sample_path("down-jacket")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let json = stdout_json(&out);
    assert_eq!(json["error"]["code"], "invalid_module");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly file")
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn a_bad_date_is_refused_by_the_argument_parser() {
    let out = qgrade(&[
        "run",
        path(&module_path("down-jacket")),
        path(&sample_path("down-jacket")),
        "--on",
        "2026-13-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn test_command_ends_with_the_pass_fail_line() {
    let out = qgrade(&["test", path(&module_path("down-jacket"))]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
}

#[test]
fn test_command_fails_on_a_wrong_expectation() {
    let vectors =
        std::fs::read_to_string(module_path("down-jacket").with_extension("vectors.json"))
            .unwrap()
            .replacen("\"grade\": \"AAAAA\"", "\"grade\": \"A\"", 1);
    let (_dir, path_) = temp_file("v.json", vectors.as_bytes());
    let out = qgrade(&["test", path(&module_path("down-jacket")), path(&path_)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL "), "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .ends_with(" passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn inspect_shows_interface_no_imports_size_and_digest() {
    let out = qgrade(&["inspect", path(&module_path("down-jacket")), "--json"]);
    assert!(out.status.success());
    let json = stdout_json(&out);
    assert_eq!(json["interface"], "qgrade:grading@1.1.0");
    assert_eq!(json["imports"], serde_json::json!([]));
    assert_eq!(json["product"], "down-jacket");
    assert_eq!(json["standard"]["level"], "group");
    assert_eq!(json["indicators"][0]["id"], "down_cluster_pct");
    assert_eq!(json["indicators"][0]["name_zh"], "绒子含量");
    assert_eq!(json["indicators"][0]["group"], "performance");
    let rules = json["indicators"][0]["rules"].as_array().unwrap();
    assert_eq!(rules[1]["basis"], "approximate");
    assert!(json["size"].as_u64().unwrap() > 1000);
    assert_eq!(json["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn the_second_load_comes_from_the_compile_cache() {
    let run = || {
        let out = qgrade(&[
            "run",
            path(&module_path("robot-vacuum")),
            path(&sample_path("robot-vacuum")),
            "--on",
            "2026-06-01",
            "--json",
        ]);
        stdout_json(&out)
    };
    let first = run();
    let second = run();
    assert_eq!(second["load"]["from_cache"], true, "{second}");
    assert_eq!(first["grade"], second["grade"]);
    assert_eq!(
        first["fuel"], second["fuel"],
        "a cached module grades identically"
    );
}

#[test]
fn a_hostile_module_exits_with_the_fault_named() {
    let out = qgrade(&[
        "run",
        path(&crate::harness::fixture_path("hostile")),
        "-",
        "--json",
    ]);
    // No submission on stdin: invalid JSON, not a module fault.
    assert_eq!(out.status.code(), Some(2));
    let (_dir, submission) = temp_file(
        "s.json",
        br#"{"product": "hostile", "attributes": {"mode": "loop"}, "measurements": {"x": 1}}"#,
    );
    let out = qgrade(&[
        "run",
        path(&crate::harness::fixture_path("hostile")),
        path(&submission),
        "--json",
        "--fuel",
        "1000000",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let json = stdout_json(&out);
    assert_eq!(json["error"]["code"], "out_of_fuel");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("module hostile 1.0.0: ")
    );
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fuel budget of 1000000")
    );
}

/// What a standards body and the regulator run: keygen, package, inspect, publish,
/// resolve, audit verify.
#[test]
fn release_workflow_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(&qgrade(&["keygen", "--out", path(&d("body"))]));
    let public = std::fs::read_to_string(d("body.pub")).unwrap();
    assert!(public.starts_with("ed25519:"));
    let catalog =
        std::fs::read_to_string(crate::harness::root().join("catalog/revisions/0001.toml"))
            .unwrap();
    let shipped_key = catalog
        .lines()
        .find_map(|l| l.strip_prefix("key = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    std::fs::create_dir_all(d("catalog/revisions")).unwrap();
    std::fs::write(
        d("catalog/revisions/0001.toml"),
        catalog.replace(&shipped_key, public.trim()),
    )
    .unwrap();

    let module = module_path("smart-toilet");
    let vectors = module.with_extension("vectors.json");
    let artifact = d("smart-toilet.artifact.wasm");
    ok(&qgrade(&[
        "package",
        "--key",
        path(&d("body.key")),
        path(&module),
        path(&vectors),
        "-o",
        path(&artifact),
    ]));
    let inspect = stdout_json(&qgrade(&["inspect", path(&artifact), "--json"]));
    assert_eq!(inspect["signature"]["key"], public.trim());
    assert_eq!(inspect["product"], "smart-toilet");

    let db = format!("sqlite://{}", d("registry.db").display());
    let catalog_dir = d("catalog");
    let published = ok(&qgrade(&[
        "publish",
        "--database-url",
        &db,
        "--catalog",
        path(&catalog_dir),
        "--actor",
        "body",
        path(&artifact),
    ]));
    assert!(
        published.contains("smart-toilet 1.0.0 published"),
        "{published}"
    );
    let resolved = ok(&qgrade(&[
        "resolve",
        "--database-url",
        &db,
        "--catalog",
        path(&catalog_dir),
        "smart-toilet",
        "--on",
        "2026-06-01",
    ]));
    assert!(resolved.contains("version 1.0.0"), "{resolved}");
    let audit = ok(&qgrade(&["audit", "verify", "--database-url", &db]));
    assert!(audit.contains("log: 2 entries"), "{audit}");
    assert!(audit.contains("intact"), "{audit}");

    // Signed with the shipped development key instead: refused, exit 1, key named.
    let dev_signed = d("dev.artifact.wasm");
    let dev_key = crate::harness::root().join("catalog/dev/dev-publisher.key");
    ok(&qgrade(&[
        "package",
        "--key",
        path(&dev_key),
        path(&module),
        path(&vectors),
        "-o",
        path(&dev_signed),
    ]));
    let out = qgrade(&[
        "publish",
        "--database-url",
        &db,
        "--catalog",
        path(&catalog_dir),
        path(&dev_signed),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signed with key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A batch goes on past a bad line, reporting it by number, one result line per input.
#[test]
fn grade_batch_reports_bad_lines_and_goes_on() {
    let mut lines = Vec::new();
    for product in qgrade::pilot_modules() {
        lines.push(
            std::fs::read_to_string(sample_path(product))
                .unwrap()
                .replace('\n', " "),
        );
    }
    lines.insert(2, "{\"product\": ".into());
    lines.push(lines[0].replace("\"odour\": true", "\"odour\": false"));
    let (_dir, file) = temp_file("batch.jsonl", lines.join("\n").as_bytes());
    let out = qgrade(&["grade-batch", path(&file), "--on", "2026-06-01"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an error line makes the exit code 2"
    );
    let results: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 7);
    let grades: Vec<(u64, Option<&str>)> = results
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["grade"].as_str()))
        .collect();
    assert_eq!(
        grades,
        [
            (1, Some("AAAAA")),
            (2, Some("AAA")),
            (3, None),
            (4, Some("AAA")),
            (5, Some("AAA")),
            (6, Some("AAAA")),
            (7, None)
        ]
    );
    assert_eq!(results[2]["error"]["code"], "invalid_json");
    assert_eq!(results[6]["reason"]["indicator"], "odour");
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 graded, 1 not graded, 1 errors"));
}

/// A module past a static limit is refused before compiling, naming the flag that raises
/// the limit and giving sizes in MiB; the flag then admits it.
#[test]
fn a_limit_names_the_flag_that_raises_it() {
    let module = module_path("down-jacket");
    let refused = |flags: &[&str]| {
        let mut args = flags.to_vec();
        args.extend(["--no-cache", "inspect", path(&module)]);
        let out = qgrade(&args);
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let nesting = refused(&["--max-nesting", "8"]);
    assert!(
        nesting.contains("over the limit of 8 (raise it with --max-nesting, or with max_nesting in the product's catalog profile)"),
        "{nesting}"
    );
    let size = refused(&["--module-mib", "0"]);
    assert!(
        size.contains("the component's size is 0.06 MiB, over the limit of 0.00 MiB (raise it with --module-mib, or with module_mib in the product's catalog profile)"),
        "{size}"
    );
    let body = refused(&["--max-function-kib", "1"]);
    assert!(
        body.contains("MiB, over the limit of 0.00 MiB (raise it with --max-function-kib, or with max_function_kib in the product's catalog profile)"),
        "{body}"
    );
    let admitted = qgrade(&[
        "--max-nesting",
        "64",
        "--no-cache",
        "inspect",
        path(&module),
    ]);
    assert!(admitted.status.success(), "{admitted:?}");
}
