//! The public pages in a real browser: headless Chromium loads each page from a running
//! `qgrade serve`, and the test checks what a person sees and that the page logs nothing to
//! the console. Each HTML page is then laid out at a phone's width (360 px) and a desktop's
//! (1280 px) by `browser/layout.cjs` (puppeteer-core, which Lighthouse brings): no page may be
//! wider than its window, that is, scroll sideways. The screenshots (one per page at 360 px,
//! and each HTML page whole at both widths) are kept in `target/browser-screenshots/` — an
//! artifact, not committed. `.ci/run` installs Debian's `chromium` when it is missing;
//! `QGRADE_CHROMIUM` names another binary.
//!
//! Each HTML page is also audited for accessibility by Lighthouse (axe-core's rules, in the
//! same Chromium): no violation of serious or critical impact is allowed. `.ci/run` installs
//! Lighthouse from the npm registry into `target/a11y/`; `QGRADE_LIGHTHOUSE` names another.

use std::{path::PathBuf, process::Command};

use serde_json::json;

use crate::harness::{SERVER_ADMIN, certify_on, grading, lab_token, request, start};

fn chromium() -> String {
    let binary = std::env::var("QGRADE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&binary).exists(),
        "{binary} is missing: the browser tests need Debian's chromium (.ci/run installs it)"
    );
    binary
}

/// Lighthouse's binary, as `.ci/run` installs it.
fn lighthouse() -> String {
    let binary = std::env::var("QGRADE_LIGHTHOUSE").unwrap_or_else(|_| {
        format!(
            "{}/../a11y/node_modules/.bin/lighthouse",
            env!("CARGO_TARGET_TMPDIR")
        )
    });
    assert!(
        std::path::Path::new(&binary).exists(),
        "{binary} is missing: the accessibility audit needs Lighthouse (.ci/run installs it with npm)"
    );
    binary
}

/// `command`'s output, once it has succeeded (`what` names it if it did not).
fn succeed(command: &mut Command, what: &str) -> std::process::Output {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Where the screenshots are kept.
fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-screenshots")
}

/// The accessibility violations of serious or critical impact on `url`, as Lighthouse's
/// axe-core audits report them: `audit (impact): the elements`.
fn serious_violations(url: &str) -> Vec<String> {
    let report = tempfile::tempdir().unwrap();
    let path = report.path().join("report.json");
    succeed(
        Command::new(lighthouse())
            .arg(url)
            .args([
                "--only-categories=accessibility",
                "--output=json",
                "--quiet",
                "--chrome-flags=--headless --no-sandbox --disable-gpu",
            ])
            .arg(format!("--output-path={}", path.display()))
            .env("CHROME_PATH", chromium()),
        &format!("lighthouse {url}"),
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    report["audits"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, a)| a["scoreDisplayMode"] == "binary" && a["score"] == 0)
        .filter_map(|(id, a)| {
            let impact = a["details"]["debugData"]["impact"].as_str()?;
            matches!(impact, "serious" | "critical").then(|| {
                let nodes: Vec<&str> = a["details"]["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["node"]["snippet"].as_str())
                    .collect();
                format!("{id} ({impact}): {nodes:?}")
            })
        })
        .collect()
}

/// Load `url`; returns the rendered DOM and what the browser logged to the console.
fn load(url: &str, screenshot: &str) -> (String, Vec<String>) {
    let shots = screenshots();
    std::fs::create_dir_all(&shots).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let run = |extra: &[String]| {
        succeed(
            Command::new(chromium())
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--enable-logging=stderr",
                    "--v=0",
                    "--window-size=360,915",
                ])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .args(extra)
                .arg(url),
            &format!("chromium {url}"),
        )
    };
    let dom = run(&["--dump-dom".into()]);
    let path = shots.join(format!("{screenshot}.png"));
    let shot = run(&[format!("--screenshot={}", path.display())]);
    assert!(
        std::fs::metadata(&path)
            .map(|m| m.len() > 1000)
            .unwrap_or(false),
        "screenshot {screenshot}"
    );
    let console = String::from_utf8_lossy(&dom.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&shot.stderr).lines())
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&dom.stdout).into_owned(), console)
}

#[test]
fn each_page_shows_what_a_person_needs_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&format!("sqlite://{}", dir.path().join("p.db").display()));
    let base = format!("http://{}", server.addr);
    let lab = lab_token(&server.addr);
    let (_, inspector) = request(
        &server.addr,
        "POST",
        "/api/v1/accounts",
        Some(SERVER_ADMIN),
        Some(&json!({ "id": "insp", "name": "市场监管 inspector", "role": "inspector" })),
    );
    let inspector = inspector["token"].as_str().unwrap().to_string();
    let (valid, revoked) = (
        certify_on(&server.addr, &lab),
        certify_on(&server.addr, &lab),
    );
    let (valid, revoked) = (
        valid["number"].as_str().unwrap(),
        revoked["number"].as_str().unwrap(),
    );
    let (status, _) = request(
        &server.addr,
        "POST",
        &format!("/api/v1/certificates/{revoked}/revocation"),
        Some(&inspector),
        Some(&json!({ "reason": "falsified_data", "note": "altered test report" })),
    );
    assert_eq!(status, 200);
    // A certificate whose label covers a barcode, and a spot check of the valid one.
    let mut barcoded = grading();
    barcoded["gtin"] = json!(["6901234567892"]);
    let (status, barcoded) = request(
        &server.addr,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(&barcoded),
    );
    assert_eq!(status, 201, "{barcoded}");
    let barcoded = barcoded["number"].as_str().unwrap();
    let today = qgrade::clock::china_today().to_string();
    let mut sample = grading();
    let (status, check) = request(
        &server.addr,
        "POST",
        &format!("/api/v1/certificates/{valid}/spot-checks"),
        Some(&inspector),
        Some(&json!({
            "measurements": sample["measurements"].take(),
            "report": { "body": "某市质检院 a city inspection institute", "number": "SC-1", "date": today },
            "sampled": { "place": "某超市 a supermarket", "date": today },
        })),
    );
    assert_eq!(status, 201, "{check}");

    let pages: Vec<(&str, String, Vec<String>)> = vec![
        (
            "catalog",
            format!("{base}/"),
            vec![
                "智能坐便器".into(),
                "GB/T 34549-2024".into(),
                r#"data-grade="AAA" data-count="2""#.into(),
            ],
        ),
        (
            "certificate",
            format!("{base}/c/{valid}"),
            vec![
                r#"data-status="valid""#.into(),
                "</svg> AAA</p>".into(),
                r#"aria-label="AAA 等级 grade AAA (3 of 5)""#.into(),
                "flush_water_avg".into(),
                "≤ 5 L".into(),
                r#"data-finding="consistent""#.into(),
            ],
        ),
        (
            "gtin",
            format!("{base}/g/6901234567892"),
            vec![
                format!(r#"data-number="{barcoded}""#),
                r#"aria-label="AAA 等级 grade AAA (3 of 5)""#.into(),
                "某智能卫浴有限公司".into(),
            ],
        ),
        (
            "revoked",
            format!("{base}/c/{revoked}"),
            vec![
                r#"data-status="revoked""#.into(),
                "弄虚作假".into(),
                "altered test report".into(),
            ],
        ),
        (
            "standard",
            format!("{base}/s/smart-toilet"),
            vec![
                "GB/T 34549-2024".into(),
                r#"data-indicator="flush_water_avg""#.into(),
                r#"class="approx""#.into(),
            ],
        ),
        (
            "exposure",
            format!("{base}/exposure"),
            vec![revoked.to_string(), "某智能卫浴有限公司".into()],
        ),
        (
            "enterprise",
            format!("{base}/e/91110000802100433B"),
            vec![
                "某智能卫浴有限公司".into(),
                r#"data-valid="2" data-revoked="1""#.into(),
                format!("/c/{valid}"),
            ],
        ),
        (
            "search",
            format!("{base}/search?q=91110000802100433B"),
            vec![format!("/c/{valid}"), format!("/c/{revoked}")],
        ),
        (
            "label",
            format!("{base}/api/v1/certificates/{valid}/label?format=svg"),
            vec!["Quality Grade".into(), format!("{base}/c/{valid}")],
        ),
        (
            "label-png",
            format!("{base}/api/v1/certificates/{valid}/label?format=png"),
            vec!["<img".into()],
        ),
    ];
    let html: Vec<String> = pages
        .iter()
        .filter(|(name, _, _)| !name.starts_with("label"))
        .map(|(name, url, _)| format!("{name}={url}"))
        .collect();
    for (name, url, expected) in pages {
        let (dom, console) = load(&url, name);
        for shown in expected {
            assert!(
                dom.contains(&shown),
                "{name}: the page shows {shown:?}\n{dom}"
            );
        }
        assert!(console.is_empty(), "{name}: console messages {console:?}");
        if !name.starts_with("label") {
            let violations = serious_violations(&url);
            assert!(
                violations.is_empty(),
                "{name}: accessibility violations {violations:#?}"
            );
        }
    }
    // Laid out at a phone's width and a desktop's, no page scrolls sideways.
    let lighthouse = lighthouse();
    let modules = std::path::Path::new(&lighthouse)
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap();
    let out = succeed(
        Command::new("node")
            .arg(crate::harness::root().join("tests/all/browser/layout.cjs"))
            .arg(modules)
            .arg(chromium())
            .arg(screenshots())
            .args(&html),
        "layout",
    );
    let laid_out: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(laid_out.len(), html.len() * 2, "{laid_out:?}");
    for page in laid_out {
        assert_eq!(page["status"], 200, "{page}");
        assert!(
            page["content"].as_u64() <= page["width"].as_u64(),
            "{} scrolls sideways at {} px: its content is {} px wide",
            page["name"],
            page["width"],
            page["content"]
        );
    }
}
