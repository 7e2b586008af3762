//! `qgrade serve` as real processes: two servers on one PostgreSQL issue certificates
//! concurrently without a duplicate number, and a server killed mid-load loses no
//! acknowledged certificate.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
};

use serde_json::{Value, json};

use crate::harness::{
    SERVER_ADMIN, Server, body_of, certify_on, get_raw, get_text, grading, lab_token, module_path,
    postgres_schema, postgres_url, read_message, request, request_raw, root, start, unique_report,
};

/// Two processes on one PostgreSQL: numbering without a repeat, each reading what the
/// other issued, and one's revocation seen by the other at once.
#[test]
fn two_servers_on_one_postgres_share_numbers_revocations_and_statistics() {
    let _alone = crate::harness::alone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let schema = rt.block_on(postgres_schema());
    let url = postgres_url(&schema);
    // Both start at once: both record the catalog, publish the pilots and bootstrap the
    // admin against the same database.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| start(&url));
        let b = s.spawn(|| start(&url));
        (a.join().unwrap(), b.join().unwrap())
    });
    let lab = lab_token(&a.addr);
    let numbers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let addr = if i % 2 == 0 {
                    a.addr.clone()
                } else {
                    b.addr.clone()
                };
                let lab = lab.clone();
                s.spawn(move || {
                    (0..25)
                        .map(|_| {
                            let (status, body) = request(
                                &addr,
                                "POST",
                                "/api/v1/gradings",
                                Some(&lab),
                                Some(&grading()),
                            );
                            assert_eq!(status, 201, "{body}");
                            body["number"].as_str().unwrap().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 100, "duplicate certificate numbers");
    // Each server reads what the other issued.
    for number in numbers.iter().step_by(7) {
        let (status, body) = request(
            &b.addr,
            "GET",
            &format!("/api/v1/certificates/{number}"),
            None,
            None,
        );
        assert_eq!(
            (status, body["grade"].as_str()),
            (200, Some("AAA")),
            "{number}"
        );
    }
    // A revocation through one is seen by the other at once: on the certificate, its
    // label and the statistics (kept in the database, not in either process).
    let inspector = crate::harness::token(&a.addr, "inspector");
    let (status, body) = request(
        &a.addr,
        "POST",
        &format!("/api/v1/certificates/{}/revocation", numbers[3]),
        Some(&inspector),
        Some(&json!({ "reason": "falsified_data", "note": "test" })),
    );
    assert_eq!(status, 200, "{body}");
    let path = format!("/api/v1/certificates/{}", numbers[3]);
    assert_eq!(
        request(&b.addr, "GET", &path, None, None).1["status"],
        "revoked"
    );
    let label = format!("{path}/label");
    assert_eq!(request(&b.addr, "GET", &label, None, None).0, 410);
    let statistics = |addr: &str| request(addr, "GET", "/api/v1/statistics", None, None).1;
    assert_eq!(statistics(&a.addr), statistics(&b.addr));
    let valid: i64 = statistics(&b.addr)["valid_certificates"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|grades| grades.as_object().unwrap().values())
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(valid, 99);
    drop((a, b));
    rt.block_on(crate::harness::drop_schema(&schema));
}

#[test]
fn a_server_killed_mid_load_keeps_every_acknowledged_certificate() {
    let _alone = crate::harness::alone();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("platform.db").display());
    let mut server = start(&url);
    let lab = lab_token(&server.addr);
    let addr = server.addr.clone();
    let acknowledged = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                // Until the server dies: every 201 is an acknowledgement it must keep.
                loop {
                    let Ok(mut stream) = TcpStream::connect(&addr) else { break };
                    let body = grading().to_string();
                    let sent = write!(
                        stream,
                        "POST /api/v1/gradings HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {lab}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let mut response = String::new();
                    if sent.is_err() || stream.read_to_string(&mut response).is_err() || !response.starts_with("HTTP/1.1 201") {
                        break;
                    }
                    let body: Value = serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap();
                    acknowledged.lock().unwrap().push(body["number"].as_str().unwrap().to_string());
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(1500));
        server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        server.child.wait().unwrap();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() > 5,
        "the load ran ({} acknowledged)",
        acknowledged.len()
    );
    let restarted = start(&url);
    for number in &acknowledged {
        let (status, body) = request(
            &restarted.addr,
            "GET",
            &format!("/api/v1/certificates/{number}"),
            None,
            None,
        );
        assert_eq!(
            status, 200,
            "acknowledged certificate {number} lost: {body}"
        );
    }
    let (_, listed) = request(
        &restarted.addr,
        "GET",
        "/api/v1/certificates?limit=1000",
        None,
        None,
    );
    for c in listed["certificates"].as_array().unwrap() {
        assert_eq!(c["status"], "valid", "no half-written certificate: {c}");
        let path = format!("/api/v1/certificates/{}", c["number"].as_str().unwrap());
        let (status, whole) = request(&restarted.addr, "GET", &path, None, None);
        assert_eq!(status, 200, "{whole}");
        assert!(whole["indicators"].is_object(), "{whole}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args(["audit", "verify", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `qgrade grade-batch --server` sends each line to the platform with a lab token.
#[test]
fn grade_batch_against_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&format!("sqlite://{}", dir.path().join("p.db").display()));
    let lab = lab_token(&server.addr);
    let good = grading().to_string();
    let bad_code = good.replace("91110000802100433B", "91110000802100433C");
    let file = dir.path().join("requests.jsonl");
    std::fs::write(&file, format!("{good}\n{bad_code}\n{good}\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args([
            "grade-batch",
            file.to_str().unwrap(),
            "--server",
            &format!("http://{}", server.addr),
            "--token",
            &lab,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[1]["line"], 2);
    assert_eq!(results[1]["error"]["field"], "enterprise.credit_code");
    // Lines 1 and 3 are one request with one report, and the batch sends lines in
    // parallel: either may come first. One certificate, and a 409 naming it.
    let (first, again) = if results[0]["certificate"].is_string() {
        (&results[0], &results[2])
    } else {
        (&results[2], &results[0])
    };
    assert_eq!(first["grade"], "AAA", "{results:?}");
    let number = first["certificate"].as_str().unwrap();
    assert!(number.starts_with("QG2026"), "{number}");
    assert_eq!(
        again["error"]["code"], "report_already_certified",
        "{results:?}"
    );
    assert!(again["error"]["message"].as_str().unwrap().contains(number));
}

/// One wire model: the HTTP API and `qgrade run --json` answer the same invalid submission
/// with the same bytes, and the same grading with the same result.
#[test]
fn the_cli_and_the_api_answer_an_error_and_a_result_alike() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&format!("sqlite://{}", dir.path().join("p.db").display()));
    let lab = lab_token(&server.addr);
    let grade = |grading: &Value| {
        request_raw(
            &server.addr,
            "POST",
            "/api/v1/gradings",
            Some(&lab),
            Some(grading),
        )
    };
    // The CLI grades the submission alone, without the platform's envelope.
    let run = |module: &std::path::Path, grading: &Value| {
        let mut submission = grading.clone();
        for envelope in ["enterprise", "model"] {
            submission.as_object_mut().unwrap().remove(envelope);
        }
        let file = dir.path().join("submission.json");
        std::fs::write(&file, submission.to_string()).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_qgrade"))
            .arg("run")
            .arg(module)
            .arg(&file)
            .arg("--json")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        (out.status.code(), text)
    };

    let mut grading = grading();
    grading["measurements"]["clean_rate"] = json!(101);
    let (status, api) = grade(&grading);
    assert_eq!(status, 422, "{api}");
    let error: Value = serde_json::from_str(&api).unwrap();
    assert_eq!(error["error"]["code"], "invalid_value");
    assert_eq!(error["error"]["field"], "measurements.clean_rate");
    assert_eq!(run(&module_path("smart-toilet"), &grading), (Some(2), api));

    // A result: the same grading not graded (a floor missed), from both, with the module
    // the platform graded with (its published artifact, as anyone downloads it).
    // Everything but the wall-clock time (and the CLI's note of how it loaded the module)
    // is identical.
    grading["measurements"]["clean_rate"] = json!(10);
    grading["report"]["number"] = json!(unique_report());
    let (status, api) = grade(&grading);
    assert_eq!(status, 200, "{api}");
    let artifact = dir.path().join("smart-toilet.wasm");
    let published = get_raw(&server.addr, "/api/v1/modules/smart-toilet/1.0.0");
    std::fs::write(&artifact, body_of(&published)).unwrap();
    let (code, cli) = run(&artifact, &grading);
    assert_eq!(code, Some(0));
    let without_clock = |text: &str| {
        let mut answer: Value = serde_json::from_str(text).unwrap();
        let object = answer.as_object_mut().unwrap();
        assert!(object.remove("time_us").is_some(), "{text}");
        object.remove("load");
        answer.to_string()
    };
    let cli = without_clock(&cli);
    assert!(cli.contains("\"grade\":null"), "{cli}");
    assert_eq!(cli, without_clock(&api));
}

/// A platform that sheds load answers 503 with `Retry-After`; `grade-batch --server` waits
/// and sends the line again with the same `Idempotency-Key`, so a try that timed out after
/// committing is answered with its certificate, never graded twice. (A stand-in server
/// that answers 503 once: a real one cannot be made to shed a given request.)
#[test]
fn grade_batch_retries_a_busy_platform_with_one_key() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stand_in = std::thread::spawn(move || {
        let mut keys = Vec::new();
        let answer = |status: &str, header: &str, body: &str| {
            format!(
                "HTTP/1.1 {status}\r\n{header}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        for answer in [
            answer(
                "503 Service Unavailable",
                "Retry-After: 1\r\n",
                r#"{"error":{"code":"timeout","message":"stopped"}}"#,
            ),
            answer(
                "201 Created",
                "",
                r#"{"grade":"AAA","number":"QG202600000007","fuel":1}"#,
            ),
        ] {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let request = read_message(&mut reader);
            keys.extend(request.header("idempotency-key").map(str::to_string));
            reader.get_mut().write_all(answer.as_bytes()).unwrap();
        }
        keys
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("requests.jsonl");
    std::fs::write(&file, format!("{}\n", grading())).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args(["grade-batch", file.to_str().unwrap(), "--server"])
        .arg(format!("http://{addr}"))
        .args(["--token", "qg_lab"])
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["certificate"], "QG202600000007", "{result}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "it waited as told"
    );
    let keys = stand_in.join().unwrap();
    assert_eq!(keys.len(), 2, "both tries carry a key: {keys:?}");
    assert_eq!(keys[0], keys[1], "the retry is the same request");
}

/// `qgrade serve` with `args`, run to its exit (for a server that refuses to start).
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qgrade"));
    command
        .arg("serve")
        .args(args)
        .env_remove("QGRADE_ADMIN_TOKEN");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("qg_"),
        "no token is ever printed by a refused production server"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The README's command runs a development platform that says so everywhere; production
/// refuses the development key, a missing log key and a missing admin token, and never
/// prints a token.
#[test]
fn development_says_so_and_production_trusts_no_development_key() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start(&format!("sqlite://{}", dir.path().join("dev.db").display()));
    let (status, catalog) = request(&dev.addr, "GET", "/api/v1/catalog", None, None);
    assert_eq!(status, 200);
    assert_eq!(catalog["platform"]["mode"], "development");
    assert_eq!(
        catalog["platform"]["trusted_development_publishers"],
        json!(["qgrade-dev"])
    );
    let page = get_text(&dev.addr, "/");
    assert!(page.contains("DEVELOPMENT MODE"), "{page}");
    drop(dev);

    let db = format!("sqlite://{}", dir.path().join("prod.db").display());
    let catalog = root().join("catalog");
    let key = dir.path().join("log");
    let out = crate::harness::qgrade(&[
        "keygen",
        "--log",
        "qgrade.test/prod",
        "--out",
        key.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let key = key.with_extension("key");
    let base = |catalog: &std::path::Path, log_key: &std::path::Path| -> Vec<String> {
        [
            "--production",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db,
            "--catalog",
            catalog.to_str().unwrap(),
            "--log-key",
            log_key.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    // (A database of its own: a recorded catalog revision never changes.)
    let args = base(&catalog, &key);
    let other_db = format!("sqlite://{}", dir.path().join("dev-catalog.db").display());
    let args: Vec<&str> = args
        .iter()
        .map(|a| {
            if *a == db {
                other_db.as_str()
            } else {
                a.as_str()
            }
        })
        .collect();
    let err = refused(&args, &[("QGRADE_ADMIN_TOKEN", SERVER_ADMIN)]);
    assert!(
        err.contains("trusts the development publisher(s) qgrade-dev"),
        "{err}"
    );

    // A catalog of real keys only.
    let body_key = dir.path().join("body");
    assert!(
        crate::harness::qgrade(&["keygen", "--out", body_key.to_str().unwrap()])
            .status
            .success()
    );
    let public = std::fs::read_to_string(body_key.with_extension("pub")).unwrap();
    let real = dir.path().join("catalog");
    std::fs::create_dir_all(real.join("revisions")).unwrap();
    std::fs::write(
        real.join("revisions/0001.toml"),
        std::fs::read_to_string(catalog.join("revisions/0001.toml"))
            .unwrap()
            .replace(
                "ed25519:f45e9774c5b544100cf580b2afc00bd73713609520081d6323f25cf3f922ccd8",
                public.trim(),
            )
            .replace("development = true", ""),
    )
    .unwrap();
    let missing = dir.path().join("no-such.key");
    let args = base(&real, &missing);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = refused(&args, &[("QGRADE_ADMIN_TOKEN", SERVER_ADMIN)]);
    assert!(err.contains("no-such.key"), "{err}");
    let args = base(&real, &key);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = refused(&args, &[]);
    assert!(err.contains("never prints a token"), "{err}");

    // Everything given: it serves, prints no token, and says it is production.
    let mut child = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .arg("serve")
        .args(&args)
        .env("QGRADE_ADMIN_TOKEN", SERVER_ADMIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let addr = loop {
        let line = lines.next().expect("it starts").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("qgrade platform listening on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let server = Server { child, addr };
    assert!(
        !printed
            .iter()
            .any(|l| l.contains(SERVER_ADMIN) || l.contains("qg_")),
        "{printed:?}"
    );
    let (_, catalog) = request(&server.addr, "GET", "/api/v1/catalog", None, None);
    assert_eq!(catalog["platform"]["mode"], "production");
    assert_eq!(
        catalog["platform"]["trusted_development_publishers"],
        json!([])
    );
    assert!(!get_text(&server.addr, "/").contains("DEVELOPMENT MODE"));
    let (status, _) = request(
        &server.addr,
        "POST",
        "/api/v1/accounts",
        Some(SERVER_ADMIN),
        Some(&json!({ "id": "x", "name": "x", "role": "lab" })),
    );
    assert_eq!(status, 201);
}

/// GET a page's text.
/// `qgrade verify NUMBER --server URL` fetches the bundle and replays it; a certificate the
/// platform does not have is named.
#[test]
fn a_certificate_verifies_against_a_running_platform() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&format!("sqlite://{}", dir.path().join("p.db").display()));
    let lab = lab_token(&server.addr);
    let issued = certify_on(&server.addr, &lab);
    let number = issued["number"].as_str().unwrap();
    let key = dir.path().join("log.pub");
    std::fs::write(
        &key,
        get_text(&server.addr, "/api/v1/log/key")
            .split("\r\n\r\n")
            .nth(1)
            .unwrap(),
    )
    .unwrap();
    let url = format!("http://{}", server.addr);
    let out = crate::harness::qgrade(&[
        "verify",
        number,
        "QG000",
        "--server",
        &url,
        "--log-key",
        key.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("verified {number} · smart-toilet AAA")),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED QG000: ") && stdout.contains("HTTP 404"),
        "{stdout}"
    );
}

/// `qgrade impact --server`: an administrator asks a running platform whose grade a
/// published version would change; with the version in force, nobody's (and it says how
/// many it re-graded); a version never published is refused naming `version`.
#[test]
fn impact_against_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&format!("sqlite://{}", dir.path().join("p.db").display()));
    let lab = lab_token(&server.addr);
    for _ in 0..3 {
        certify_on(&server.addr, &lab);
    }
    let impact = |version: &str| {
        Command::new(env!("CARGO_BIN_EXE_qgrade"))
            .args([
                "impact",
                "--product",
                "smart-toilet",
                "--json",
                "--version",
                version,
            ])
            .args(["--server", &format!("http://{}", server.addr)])
            .args(["--token", SERVER_ADMIN])
            .output()
            .unwrap()
    };
    let same = impact("1.0.0");
    let stderr = String::from_utf8_lossy(&same.stderr);
    assert!(same.status.success(), "{stderr}");
    assert!(
        stderr.contains("0 of 3 valid certificates would change grade"),
        "{stderr}"
    );
    assert!(same.stdout.is_empty(), "no change to list");
    let unpublished = impact("9.0.0");
    assert_eq!(unpublished.status.code(), Some(1));
    let answer: Value = serde_json::from_slice(&unpublished.stdout).unwrap();
    assert_eq!(answer["error"]["field"], "version");

    // A draft revision (the pilots' first, renumbered): the version it would choose, weighed
    // the same way, and nothing recorded.
    let first = std::fs::read_to_string(crate::harness::root().join("catalog/revisions/0001.toml"))
        .unwrap();
    let draft = dir.path().join("0002.toml");
    std::fs::write(
        &draft,
        first
            .replace("number = 1", "number = 2")
            .replace("effective = \"2026-01-01\"", "effective = \"2030-01-01\""),
    )
    .unwrap();
    let by_draft = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args(["impact", "--product", "smart-toilet", "--revision"])
        .arg(&draft)
        .args(["--server", &format!("http://{}", server.addr)])
        .args(["--token", SERVER_ADMIN])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&by_draft.stderr);
    assert!(by_draft.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "0 of 3 valid certificates would change grade: smart-toilet 1.0.0 (draft revision 2"
        ),
        "{stderr}"
    );
}
