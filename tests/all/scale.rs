//! Reads that stay right and fast as certificates grow: keyset pages that never skip or
//! repeat while certificates are issued and revoked, status filters that fill their pages,
//! statistics kept with each certificate that equal a recount, query plans that read an
//! index in the list's order, cached labels, `qgrade seed`, and a catalog of many products
//! graded through a bounded set of loaded modules; public answers kept for their delay.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex},
};

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use qgrade::{clock::Clock, model::Date, platform::PAGE};
use serde_json::{Value, json};
use sqlx::Row;
use tower::ServiceExt;

use crate::harness::{
    Scene, World, call, date, get, on_both_databases, platform_on, qgrade, scene, scene_on,
};

on_both_databases!(
    pages_never_skip_or_repeat_while_certificates_are_issued,
    the_search_page_links_its_next_page,
    the_exposure_page_links_its_next_page,
    the_exposure_list_groups_by_enterprise,
    statistics_equal_a_recount_and_status_filters_fill_their_pages,
    every_list_reads_an_index_in_its_own_order,
    labels_carry_their_version_and_are_rendered_once,
    public_answers_are_kept_for_their_delay_and_a_revocation_shows_at_once,
);

/// Every page of `path` (which has a `?`), following `next`; between two pages `between`
/// runs. The certificates' numbers, in the order read.
async fn walk(s: &Scene, path: &str, mut between: impl AsyncFnMut(usize)) -> Vec<String> {
    let mut numbers = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_string(),
        };
        let (status, body) = call(&s.app, "GET", &url, None, None).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        let list = body["certificates"]
            .as_array()
            .or(body["exposure"].as_array())
            .unwrap();
        numbers.extend(
            list.iter()
                .map(|c| c["number"].as_str().unwrap().to_string()),
        );
        match body["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        between(page).await;
    }
    numbers
}

async fn pages_never_skip_or_repeat_while_certificates_are_issued(w: World) {
    let s = scene(&w).await;
    let mut before = Vec::new();
    for _ in 0..23 {
        before.push(s.certify(|_| {}).await);
    }
    // Pages of 4, and between two pages two more certificates and a revocation.
    let mut revoked = 0;
    let seen = walk(&s, "/api/v1/certificates?limit=4", async |page| {
        s.certify(|_| {}).await;
        s.certify(|_| {}).await;
        if page % 2 == 0 {
            s.revoke(&before[revoked * 3]).await;
            revoked += 1;
        }
    })
    .await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a certificate repeated: {seen:?}");
    for number in &before {
        assert!(seen.contains(number), "{number} skipped: {seen:?}");
    }
    // Newest first: the numbers read only go down.
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);

    // The same through an enterprise's list, which merges two indexes.
    let seen = walk(
        &s,
        "/api/v1/certificates?limit=5&enterprise=91350100M000100Y43",
        async |_| {
            s.certify(|_| {}).await;
        },
    )
    .await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert!(before.iter().all(|n| seen.contains(n)));

    // A cursor that this platform did not make is refused, naming it.
    for bad in ["x", "MjAyOS0wNi0wMXxhYmM", "' OR 1=1 --"] {
        let (status, body) = call(
            &s.app,
            "GET",
            &format!("/api/v1/certificates?cursor={}", urlencode(bad)),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["field"], "cursor", "{body}");
    }
    let (status, body) = call(&s.app, "GET", "/api/v1/certificates?limit=0", None, None).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")),
        "{body}"
    );
}

/// The search page shows a page of results ([`PAGE`], what a person reads) and links the
/// rest; the API's list gives as many when no `limit` is asked, and its `next`.
async fn the_search_page_links_its_next_page(w: World) {
    let s = scene(&w).await;
    let mut issued = HashSet::new();
    for _ in 0..=PAGE {
        issued.insert(s.certify(|_| {}).await);
    }
    let (first, second) = two_pages(&s, "/search?q=91350100M000100Y43").await;
    assert!(first.contains(&format!("— {PAGE}+ 个结果")), "{first}");
    assert_pages_hold(&first, &second, &issued);

    let (status, body) = call(
        &s.app,
        "GET",
        "/api/v1/certificates?credit_code=91350100M000100Y43",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["certificates"].as_array().map(Vec::len),
        Some(PAGE as usize),
        "{body}"
    );
    assert!(body["next"].is_string(), "{body}");
}

async fn the_exposure_page_links_its_next_page(w: World) {
    let s = scene(&w).await;
    let mut revoked = HashSet::new();
    for _ in 0..=PAGE {
        let number = s.certify(|_| {}).await;
        s.revoke(&number).await;
        revoked.insert(number);
    }
    let (first, second) = two_pages(&s, "/exposure").await;
    assert_pages_hold(&first, &second, &revoked);
}

/// The exposure list by enterprise (JSON and CSV): each enterprise with a revoked
/// certificate once, its revoked certificates counted, the latest revocation first; an
/// enterprise with none is not on it; a format it does not speak is a 422 naming `format`.
async fn the_exposure_list_groups_by_enterprise(w: World) {
    let s = scene(&w).await;
    let (a, b, clean) = (
        "91350100M000100Y43",
        "91110000802100433B",
        "9144030071526726XG",
    );
    let mut revoke = Vec::new();
    for (code, n, revoked) in [(a, 3, 2), (clean, 2, 0), (b, 1, 1)] {
        for k in 0..n {
            let number = s.certify_for(code).await;
            if k < revoked {
                revoke.push(number);
            }
        }
    }
    for number in &revoke {
        s.revoke(number).await;
    }
    let (status, _, json) = get(&s.app, "/api/v1/exposure/enterprises").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let json: Value = serde_json::from_str(&json).unwrap();
    let listed: Vec<(&str, u64)> = json["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["credit_code"].as_str().unwrap(),
                e["revoked"].as_u64().unwrap(),
            )
        })
        .collect();
    // b's certificate was revoked last.
    assert_eq!(listed, [(b, 1), (a, 2)]);
    let first = &json["enterprises"][1];
    assert!(first["first_revoked_at"].as_str() <= first["latest_revoked_at"].as_str());

    let (status, content_type, csv) = get(&s.app, "/api/v1/exposure/enterprises?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "credit_code",
            "name",
            "revoked",
            "first_revoked_at",
            "latest_revoked_at"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[1][0], &rows[1][1], &rows[1][2]),
        (a, "企业 91350100M000100Y43", "2")
    );

    let (status, _, refused) = get(&s.app, "/api/v1/exposure/enterprises?format=xml").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.contains("\"field\":\"format\""), "{refused}");
}

/// A public page and the page its `next` link leads to, which links no further.
async fn two_pages(s: &Scene, path: &str) -> (String, String) {
    let (status, _, first) = get(&s.app, path).await;
    assert_eq!(status, StatusCode::OK);
    let next = first
        .split("id=\"next\" rel=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let (status, _, second) = get(&s.app, &next).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert!(
        !second.contains("id=\"next\""),
        "the last page links no further"
    );
    (first, second)
}

/// The two pages show a page of certificates and one, together exactly `expected`.
fn assert_pages_hold(first: &str, second: &str, expected: &HashSet<String>) {
    let shown = |page: &str| -> HashSet<String> {
        page.split("<a href=\"/c/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_string())
            .collect()
    };
    let (first, second) = (shown(first), shown(second));
    assert_eq!((first.len(), second.len()), (PAGE as usize, 1));
    assert!(first.is_disjoint(&second));
    assert_eq!(&(&first | &second), expected);
}

async fn statistics_equal_a_recount_and_status_filters_fill_their_pages(w: World) {
    // Certificates graded on two days of 2026 (the platform's replayed clock) ...
    let day = Arc::new(Mutex::new(date("2026-01-05")));
    let s = scene_on(&w, platform_on(&w, Clock::Replay(day.clone())).await).await;
    let mut issued = BTreeMap::new();
    for on in ["2026-01-05", "2026-05-01"] {
        *day.lock().unwrap() = date(on);
        for i in 0..7 {
            let number = s
                .certify(|r| {
                    r["report"]["date"] = json!(on);
                    // Two grades: a fill power that reaches only AAAA on every other one.
                    if i % 2 == 1 {
                        r["measurements"]["fill_power"] = json!(17.2);
                    }
                })
                .await;
            issued.entry(on).or_insert_with(Vec::new).push(number);
        }
    }
    // ... two of each day revoked ...
    for numbers in issued.values() {
        s.revoke(&numbers[0]).await;
        s.revoke(&numbers[3]).await;
    }
    // ... and read on a day in 2029, when the first day's have expired.
    let later = platform_on(&w, Clock::Fixed(date("2029-03-01"))).await;
    let app = qgrade::http::app(later);
    let (status, statistics) = call(&app, "GET", "/api/v1/statistics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let recount = recount(&w, date("2029-03-01")).await;
    assert_eq!(statistics["valid_certificates"], recount, "{statistics}");
    let valid: i64 = recount["down-jacket"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(valid, 5, "{recount}");
    assert!(
        recount["down-jacket"].as_object().unwrap().len() >= 2,
        "two grades: {recount}"
    );

    // Each status a full page at a time, every certificate on it of that status.
    let s = Scene { app, ..s };
    for (status, expected) in [("valid", 5), ("expired", 5), ("revoked", 4)] {
        let (_, first) = call(
            &s.app,
            "GET",
            &format!("/api/v1/certificates?status={status}&limit=3"),
            None,
            None,
        )
        .await;
        assert_eq!(
            first["certificates"].as_array().unwrap().len(),
            3,
            "{status}: {first}"
        );
        let all = walk(
            &s,
            &format!("/api/v1/certificates?status={status}&limit=3"),
            async |_| {},
        )
        .await;
        assert_eq!(all.len(), expected, "{status}: {all:?}");
        for number in &all {
            let c = s.certificate(number).await;
            assert_eq!(c["status"], status, "{c}");
        }
    }
    let (status, body) = call(
        &s.app,
        "GET",
        "/api/v1/certificates?status=lost",
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status")),
        "{body}"
    );
    // The exposure list, a page at a time, the latest revocation first.
    let exposed = walk(&s, "/api/v1/exposure?limit=3", async |_| {}).await;
    assert_eq!(exposed.len(), 4, "{exposed:?}");
}

/// Valid certificates on `today` per product and grade, counted from the rows.
async fn recount(w: &World, today: Date) -> Value {
    let rows = sqlx::query(
        "SELECT product, grade, COUNT(*) AS n FROM certificates WHERE status = 'valid' AND expires_on >= $1 GROUP BY product, grade",
    )
    .bind(today.to_string())
    .fetch_all(w.registry.pool())
    .await
    .unwrap();
    let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for r in rows {
        counts
            .entry(r.get("product"))
            .or_default()
            .insert(r.get("grade"), r.get("n"));
    }
    json!(counts)
}

/// Each list's plan reads an index that gives its order: no scan of the table and no
/// sort of what was read, whatever the filter (on an empty table, where a planner would
/// otherwise rather scan, PostgreSQL is told to avoid scans and sorts where it can).
async fn every_list_reads_an_index_in_its_own_order(w: World) {
    use qgrade::registry::Backend;
    let backend = w.registry.backend();
    let mut conn = w.registry.pool().acquire().await.unwrap();
    if backend == Backend::Postgres {
        // An empty table is cheaper to scan; what is asked here is whether an index can
        // give each list its order, so scans and sorts are priced out (a sort that no
        // index can replace still shows).
        for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("SET {setting} = off")))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    let mut plans = qgrade::platform::query_plans(&mut conn, backend, date("2026-06-01"))
        .await
        .unwrap();
    assert!(plans.len() > 40, "{}", plans.len());
    if backend == Backend::Postgres {
        // A barcode's few certificates are sorted as they are read: its plans are asked
        // for with sorting priced as it is.
        sqlx::query("SET enable_sort = on")
            .execute(&mut *conn)
            .await
            .unwrap();
        let sorted = qgrade::platform::query_plans(&mut conn, backend, date("2026-06-01"))
            .await
            .unwrap();
        plans.retain(|(name, _)| !name.contains("gtin"));
        plans.extend(sorted.into_iter().filter(|(name, _)| name.contains("gtin")));
    }
    for (name, plan) in &plans {
        // The indexes that narrow this list to its own rows: one led by a column it is
        // filtered on (the order index only when nothing narrows it).
        let has = |part: &str| name.contains(part);
        let mut fit = Vec::new();
        if has("enterprise=credit_code") {
            fit.push("certificates_credit_code");
        }
        if has("enterprise=enterprise_name") {
            fit.push("certificates_enterprise");
        }
        if has("status=revoked") {
            fit.extend(["certificates_revoked ", "certificates_revoked_product"]);
        }
        if has("product=true") {
            fit.push(if has("status=revoked") {
                "certificates_revoked_product"
            } else {
                "certificates_product"
            });
        }
        if has("exposure") {
            fit.push("certificates_exposure");
        }
        // The list by enterprise groups the revoked certificates, read through a partial
        // index of theirs, and then sorts its groups (by their latest revocation).
        let grouped = has("exposure enterprises");
        if grouped {
            fit.extend(["certificates_revoked ", "certificates_revoked_product"]);
        }
        // A barcode's certificates are found through its own table and read by number:
        // a handful (one valid per product, and those before it), sorted as they are read.
        let by_gtin = has("gtin");
        if by_gtin {
            fit.extend(["sqlite_autoindex_certificates_2", "certificates_number_key"]);
        }
        if fit.is_empty() {
            fit.push("certificates_order");
        }
        let lower = format!("{} ", plan.to_lowercase().replace('\n', " \n"));
        let reads: Vec<&str> = lower
            .lines()
            .filter(|l| {
                l.contains(" certificates ")
                    || l.starts_with("search certificates")
                    || l.starts_with("scan certificates")
            })
            .collect();
        assert!(!reads.is_empty(), "{name}:\n{plan}");
        for line in reads {
            assert!(
                fit.iter()
                    .any(|index| line.contains(&format!("{} ", index.trim()))),
                "{name} reads certificates by another index than {fit:?}:\n{plan}"
            );
        }
        if by_gtin {
            assert!(lower.contains("certificate_gtins"), "{name}:\n{plan}");
            continue;
        }
        if grouped {
            continue;
        }
        assert!(!lower.contains("temp b-tree"), "{name} sorts:\n{plan}");
        assert!(!lower.contains("sort"), "{name} sorts:\n{plan}");
    }
}

async fn labels_carry_their_version_and_are_rendered_once(w: World) {
    let s = scene(&w).await;
    let number = s.certify(|_| {}).await;
    for format in ["svg", "png"] {
        let path = format!("/api/v1/certificates/{number}/label?format={format}");
        let first = fetch(&s, &path, None).await;
        assert_eq!(first.0, StatusCode::OK);
        let etag = first
            .1
            .get("etag")
            .expect("an ETag")
            .to_str()
            .unwrap()
            .to_string();
        let cache = first.1.get("cache-control").unwrap().to_str().unwrap();
        assert!(cache.contains("max-age="), "{cache}");
        // Revalidated: nothing sent again.
        let again = fetch(&s, &path, Some(&etag)).await;
        assert_eq!(again.0, StatusCode::NOT_MODIFIED);
        assert!(again.2.is_empty());
        // Fetched again: the same bytes.
        let second = fetch(&s, &path, Some("\"another\"")).await;
        assert_eq!((second.0, &second.2), (StatusCode::OK, &first.2));
    }
    // The SVG (outlines, ~130 KB of text) gzipped for a client that takes gzip: a
    // representation of its own, with its own ETag, the same label once decompressed.
    let path = format!("/api/v1/certificates/{number}/label?format=svg");
    let plain = fetch(&s, &path, None).await;
    assert_eq!(plain.1["vary"], "accept-encoding");
    assert!(plain.1.get("content-encoding").is_none());
    let (status, headers, gzipped) =
        fetch_with(&s, &path, &[("accept-encoding", "br;q=1.0, gzip;q=0.8")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["vary"], "accept-encoding");
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert!(etag.ends_with("-svg-gzip\""), "{etag}");
    assert_ne!(etag, plain.1["etag"].to_str().unwrap());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain.2);
    assert!(
        gzipped.len() * 2 < plain.2.len(),
        "{} of {} bytes",
        gzipped.len(),
        plain.2.len()
    );
    assert_eq!(
        fetch_with(
            &s,
            &path,
            &[("accept-encoding", "gzip"), ("if-none-match", &etag)]
        )
        .await
        .0,
        StatusCode::NOT_MODIFIED
    );
    let (_, refused, _) = fetch_with(&s, &path, &[("accept-encoding", "gzip;q=0, identity")]).await;
    assert!(refused.get("content-encoding").is_none());

    // Revoked, the label is gone, whatever the client holds.
    s.revoke(&number).await;
    let path = format!("/api/v1/certificates/{number}/label");
    assert_eq!(fetch(&s, &path, Some("*")).await.0, StatusCode::GONE);
}

/// Labels are kept by what they are drawn from, not by certificate number: two platforms in
/// one process (two databases) each issue certificate 1, of different enterprises, and each
/// serves its own certificate's label; the same certificate drawn again gets the same label.
#[test]
fn a_label_is_kept_by_what_it_is_drawn_from_not_by_its_number() {
    let labels = Arc::new(Mutex::new(Vec::new()));
    for enterprise in [
        "甲企业 First Enterprise",
        "乙企业 Second Enterprise",
        "甲企业 First Enterprise",
    ] {
        let labels = labels.clone();
        crate::harness::run(crate::harness::Db::Sqlite, move |w: World| async move {
            let s = scene(&w).await;
            let number = s
                .certify(|r| r["enterprise"]["name"] = serde_json::json!(enterprise))
                .await;
            let path = format!("/api/v1/certificates/{number}/label?format=svg");
            let (status, headers, body) = fetch(&s, &path, None).await;
            assert_eq!(status, StatusCode::OK);
            let etag = headers["etag"].to_str().unwrap().to_string();
            labels.lock().unwrap().push((number, etag, body));
        });
    }
    let labels = labels.lock().unwrap();
    let [(first, a, a_body), (second, b, b_body), (third, c, c_body)] = &labels[..] else {
        panic!("three labels");
    };
    assert_eq!(
        (first, second),
        (second, third),
        "each database's first certificate"
    );
    assert_ne!(
        a, b,
        "another enterprise's certificate {second} got the first's label"
    );
    assert_ne!(a_body, b_body);
    assert_eq!(
        (a, a_body),
        (c, c_body),
        "the same certificate, drawn again"
    );
}

async fn fetch(
    s: &Scene,
    path: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let tag = if_none_match.map(|tag| ("if-none-match", tag));
    fetch_with(s, path, tag.as_slice()).await
}

/// GET `path` with `headers`.
async fn fetch_with(
    s: &Scene,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = s
        .app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `qgrade seed --concurrency 0` would grade nothing at a time and wait forever: a usage
/// error, before anything is written.
#[test]
fn seed_refuses_to_grade_nothing_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("never.db").display());
    let out = qgrade(&[
        "seed",
        "--certificates",
        "1",
        "--concurrency",
        "0",
        "--database-url",
        &url,
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage error, not a wait forever"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--concurrency"));
    assert!(!dir.path().join("never.db").exists(), "nothing was written");
}

/// `qgrade seed` issues its certificates through the platform: numbered, logged, counted
/// and spread over days, products, grades and enterprises, with revocations.
#[test]
fn seed_fills_a_database_through_the_issuing_path() {
    let dir = tempfile::tempdir().unwrap();
    seed_fills(&format!(
        "sqlite://{}",
        dir.path().join("seeded.db").display()
    ));
}

/// The same on PostgreSQL, which also holds the planner's statistics the seed gathered as
/// it grew the tables: a server without autovacuum (as this one) would otherwise plan
/// lookups among millions of certificates as scans.
#[test]
fn seed_fills_a_postgresql_database_and_its_planner_statistics() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let schema = rt.block_on(crate::harness::postgres_schema());
    let url = crate::harness::postgres_url(&schema);
    seed_fills(&url);
    rt.block_on(async {
        let registry = qgrade::registry::Registry::open(&url).await.unwrap();
        let counted: i64 = sqlx::query(
            "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = 'certificates' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
        )
        .fetch_one(registry.pool())
        .await
        .unwrap()
        .get(0);
        assert_eq!(counted, 400, "the planner's count of certificates");
        registry.pool().close().await;
        crate::harness::drop_schema(&schema).await;
    });
}

/// Seed 400 certificates into `url` and check what they are.
fn seed_fills(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let url = url.to_string();
    let out = qgrade(&[
        "seed",
        "--certificates",
        "400",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-20",
        "--enterprises",
        "30",
        "--revoked-per-mille",
        "50",
        "--database-url",
        &url,
        "--catalog",
        &crate::harness::root().join("catalog").display().to_string(),
        "--dev-key",
        &crate::harness::root()
            .join("catalog/dev/dev-publisher.key")
            .display()
            .to_string(),
        "--log-key",
        &dir.path().join("log.key").display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("seeded 400 certificates"), "{stdout}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let registry = qgrade::registry::Registry::open(&url).await.unwrap();
        let pool = registry.pool();
        let one = |sql: &'static str| async move {
            sqlx::query(sql)
                .fetch_one(pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        };
        assert_eq!(one("SELECT COUNT(*) FROM certificates").await, 400);
        assert_eq!(
            one("SELECT COUNT(DISTINCT product) FROM certificates").await,
            5
        );
        assert!(one("SELECT COUNT(DISTINCT grade) FROM certificates").await >= 3);
        assert!(one("SELECT COUNT(DISTINCT graded_on) FROM certificates").await == 20);
        assert_eq!(
            one("SELECT COUNT(DISTINCT credit_code) FROM certificates").await,
            30
        );
        let revoked = one("SELECT COUNT(*) FROM certificates WHERE status = 'revoked'").await;
        assert!((5..=45).contains(&revoked), "{revoked} revoked");
        // Every certificate and revocation is a leaf of the log.
        assert!(
            one("SELECT COUNT(*) FROM log_entries WHERE kind = 'certificate.issue'").await == 400
        );
        // And the statistics are the rows'.
        assert_eq!(
            one("SELECT CAST(SUM(n) AS BIGINT) FROM certificate_counts").await,
            400 - revoked
        );
    });
}

/// A platform keeping at most two modules loaded grades the five pilots in turn, twice:
/// each module is unloaded when two others were used since, loaded again (from the
/// compile cache) when next needed, and grades alike.
/// A platform on `url` with `catalog` recorded, keeping at most `loaded` modules loaded, on
/// the tests' day.
async fn platform_keeping(
    url: &str,
    catalog: &std::path::Path,
    loaded: usize,
) -> qgrade::platform::Platform {
    let registry = qgrade::registry::Registry::open(url).await.unwrap();
    registry
        .record_catalog(&qgrade::catalog::Catalog::load(catalog).unwrap(), "test")
        .await
        .unwrap();
    qgrade::platform::Platform::new(
        registry,
        Arc::new(crate::harness::new_sandbox(
            qgrade::runtime::Limits::default(),
        )),
        crate::harness::log_key(),
    )
    .with_clock(Clock::Fixed(date(crate::harness::TODAY)))
    .with_max_loaded_modules(loaded)
}

/// A lab's grading of `sample` (an enterprise, a model and a report number of its own
/// added), which must be certified.
async fn certify(
    platform: &qgrade::platform::Platform,
    mut sample: Value,
) -> qgrade::platform::Certificate {
    let lab = qgrade::platform::Account {
        id: "lab".into(),
        name: "lab".into(),
        role: qgrade::platform::Role::Lab,
        publisher: None,
        credit_code: None,
    };
    sample["enterprise"] = json!({ "name": "某企业", "credit_code": "91350100M000100Y43" });
    sample["model"] = json!("M-1");
    sample["report"]["number"] = json!(crate::harness::unique_report());
    let request = serde_json::from_value(sample.clone()).unwrap();
    match platform.grade(&lab, &request, None).await.unwrap() {
        qgrade::platform::GradingOutcome::Certified(c) => *c,
        other => panic!("{}: {other:?}", sample["product"]),
    }
}

#[test]
fn loaded_modules_are_bounded_and_reloaded_when_needed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lru.db").display());
    let root = crate::harness::root();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let platform = platform_keeping(&url, &root.join("catalog"), 2).await;
        qgrade::platform::publish_pilots(
            &platform,
            std::path::Path::new(qgrade::MODULES_DIR),
            &root.join("catalog/dev/dev-publisher.key"),
        )
        .await
        .unwrap();
        let products = [
            "smart-toilet",
            "power-bank",
            "down-jacket",
            "robot-vacuum",
            "trolley-luggage",
        ];
        let mut first_round = Vec::new();
        for round in 0..2 {
            for (i, product) in products.iter().enumerate() {
                let sample = serde_json::from_str(
                    &std::fs::read_to_string(crate::harness::sample_path(product)).unwrap(),
                )
                .unwrap();
                let c = certify(&platform, sample).await;
                if round == 0 {
                    first_round.push(c.grade);
                } else {
                    assert_eq!(
                        c.grade, first_round[i],
                        "{product} grades alike when reloaded"
                    );
                }
                assert!(
                    platform.loaded_modules() <= 2,
                    "{} loaded",
                    platform.loaded_modules()
                );
            }
        }
    });
}

/// A directory of many products (each a table module of its own, derived from a pilot's
/// table) is published and graded product after product by a platform that keeps at most 3
/// modules loaded: every grading is certified by that product's own module. The benchmark
/// (`cargo bench --bench products`) does this with 500 products and measures start-up,
/// memory and the first grading of a cold product; here 25 keep the compile time small.
#[test]
fn a_catalog_of_many_products_is_graded_through_a_bounded_set_of_loaded_modules() {
    const PRODUCTS: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let root = crate::harness::root();
    let products = crate::harness::derive_products(&root, PRODUCTS, dir.path());
    let url = format!("sqlite://{}", dir.path().join("products.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let platform = platform_keeping(&url, &products.catalog, 3).await;
        let published = qgrade::platform::publish_pilots(
            &platform,
            &products.modules,
            &root.join("catalog/dev/dev-publisher.key"),
        )
        .await
        .unwrap();
        assert_eq!(published.len(), PRODUCTS);
        for (code, sample) in &products.samples {
            let c = certify(&platform, sample.clone()).await;
            let own = published.iter().find(|p| &p.product == code).unwrap();
            assert_eq!(
                (&c.product, &c.module_digest),
                (code, &own.digest),
                "graded by the product's own module"
            );
            assert!(
                platform.loaded_modules() <= 3,
                "{} loaded",
                platform.loaded_modules()
            );
        }
    });
}

/// Public answers kept (`--public-cache-ms`): the same public read within the delay gets
/// the same answer, even after another certificate is issued; a request with credentials
/// is never served a kept answer; a revocation by this process shows at once, in lists
/// and statistics alike.
async fn public_answers_are_kept_for_their_delay_and_a_revocation_shows_at_once(w: World) {
    let s = scene(&w).await;
    let limits = qgrade::http::ServerLimits {
        public_cache: std::time::Duration::from_secs(600),
        ..qgrade::http::ServerLimits::default()
    };
    let kept = qgrade::http::app_with(s.platform.clone(), &limits);
    let first = s.certify(|_| {}).await;
    let numbers = |list: &Value| -> Vec<String> {
        list["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_str().unwrap().to_string())
            .collect()
    };
    let list = "/api/v1/certificates";
    let (status, before) = call(&kept, "GET", list, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&before), std::slice::from_ref(&first));
    let (_, statistics) = call(&kept, "GET", "/api/v1/statistics", None, None).await;

    let second = s.certify(|_| {}).await;
    let (_, again) = call(&kept, "GET", list, None, None).await;
    assert_eq!(again, before, "within the delay, the kept answer");
    let (_, fresh) = call(&s.app, "GET", list, None, None).await;
    assert_eq!(numbers(&fresh), [second.clone(), first.clone()]);
    let (_, with_credentials) = call(&kept, "GET", list, Some(&s.lab), None).await;
    assert_eq!(
        numbers(&with_credentials),
        numbers(&fresh),
        "never kept for credentials"
    );

    s.revoke(&first).await;
    let (_, after) = call(&kept, "GET", list, None, None).await;
    assert_eq!(numbers(&after), numbers(&fresh));
    assert_eq!(after["certificates"][1]["status"], "revoked", "{after}");
    s.revoke(&second).await;
    let (_, now) = call(&kept, "GET", "/api/v1/statistics", None, None).await;
    assert_eq!(statistics["valid_certificates"]["down-jacket"]["AAAAA"], 1);
    assert!(
        now["valid_certificates"]["down-jacket"].is_null(),
        "both revoked, none counted: {now}"
    );
}
