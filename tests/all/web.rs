//! The label and the public pages, through the real router: what a consumer scans and sees.

use axum::{Router, http::StatusCode};
use serde_json::json;

use crate::harness::{ADMIN, World, call, enterprise_account, get, on_both_databases, scene};

/// A platform with the down-jacket module published and one certificate issued.
async fn with_certificate(w: &World) -> (Router, String, String) {
    let s = scene(w).await;
    let number = s.certify(|_| {}).await;
    (s.app, number, s.inspector)
}

/// A served label as a viewer with no font at all draws it (resvg, an empty font database),
/// at `scale`.
fn draw_without_fonts(svg: &str, scale: f32) -> image::RgbaImage {
    use resvg::tiny_skia;
    let tree = parse_without_fonts(svg);
    let size = tree.size().to_int_size().scale_by(scale).unwrap();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    image::RgbaImage::from_raw(size.width(), size.height(), pixmap.take()).unwrap()
}

/// A served label as a viewer with no font at all reads it.
fn parse_without_fonts(svg: &str) -> resvg::usvg::Tree {
    let options = resvg::usvg::Options {
        fontdb: std::sync::Arc::new(resvg::usvg::fontdb::Database::new()),
        ..resvg::usvg::Options::default()
    };
    resvg::usvg::Tree::from_str(svg, &options).expect("the label parses")
}

/// The QR code on a served label, drawn as a viewer without fonts draws it, decoded.
fn decode_qr(label: &str) -> String {
    decode_qr_in(image::DynamicImage::from(draw_without_fonts(label, 2.0)).to_luma8())
}

/// The one QR code in a picture of a label, decoded.
fn decode_qr_in(image: image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the label");
    grids[0].decode().expect("the QR code decodes").1
}

/// The QR code in a PNG, decoded.
fn decode_qr_png(png: &[u8]) -> String {
    decode_qr_in(image::load_from_memory(png).expect("a PNG").to_luma8())
}

on_both_databases!(
    the_label_scans_to_the_certificate_page,
    the_pages_show_what_a_person_needs,
    a_standard_is_readable_in_the_open,
    a_long_name_wraps_and_never_runs_off_the_label,
    an_enterprise_record_counts_and_lists_its_certificates,
    an_enterprise_account_reads_its_record_and_prints_its_own_labels,
);

/// The enterprise role (企业): an account bound to one credit code (refused without one, with
/// a malformed one, or for another role) reads its own record at `/api/v1/enterprise`
/// (empty before its first certificate) and downloads its certificates' print-ready label
/// (a PDF: vector, fonts embedded, privately cached, an attachment); nobody else gets that
/// file — no token 401, another enterprise's or another role's 403 — and a revoked
/// certificate's is gone for its holder too.
pub async fn an_enterprise_account_reads_its_record_and_prints_its_own_labels(w: World) {
    let s = scene(&w).await;
    let (mine, other) = ("91350100M000100Y43", "91110000802100433B");
    let number = s.certify_for(mine).await;
    let theirs = s.certify_for(other).await;
    for (request, field) in [
        (
            json!({ "id": "e1", "name": "E", "role": "enterprise" }),
            "credit_code",
        ),
        (
            json!({ "id": "e1", "name": "E", "role": "enterprise", "credit_code": "91350100M000100Y44" }),
            "credit_code",
        ),
        (
            json!({ "id": "e1", "name": "E", "role": "lab", "credit_code": mine }),
            "credit_code",
        ),
    ] {
        let (status, body) = call(
            &s.app,
            "POST",
            "/api/v1/accounts",
            Some(ADMIN),
            Some(request),
        )
        .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let me = enterprise_account(&s.app, "bosideng", mine).await;
    let them = enterprise_account(&s.app, "someone-else", other).await;
    let newcomer = enterprise_account(&s.app, "newcomer", "9144030071526726XG").await;

    let (status, record) = call(&s.app, "GET", "/api/v1/enterprise", Some(&me), None).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(
        (&record["credit_code"], &record["valid"]),
        (&json!(mine), &json!(1))
    );
    let listed: Vec<&str> = record["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [number.as_str()]);
    let (status, empty) = call(&s.app, "GET", "/api/v1/enterprise", Some(&newcomer), None).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(
        (&empty["valid"], &empty["certificates"]),
        (&json!(0), &json!([]))
    );

    let pdf = format!("/api/v1/certificates/{number}/label?format=pdf");
    let (status, body) = call(&s.app, "GET", &pdf, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    for token in [&them, &s.lab, &s.inspector] {
        let (status, body) = call(&s.app, "GET", &pdf, Some(token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, _, _) = get_with(
        &s.app,
        &format!("/api/v1/certificates/{theirs}/label?format=pdf"),
        &me,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another enterprise's print file"
    );

    let (status, headers, bytes) = get_with(&s.app, &pdf, &me).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("{number}.label.pdf"))
    );
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&bytes);
    // Its text is outlines of the label's own font: nothing for a print shop to substitute.
    assert!(!text.contains("/FontFile"), "no font to substitute");
    assert!(
        !text.contains("/Subtype /Image"),
        "vectors, no picture of the label"
    );
    // The same drawing as the SVG anyone fetches: revalidated by its own ETag, and its QR
    // code decodes from a print of it (rendered by Poppler, as a print shop's RIP would) as
    // from the PNG.
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert!(etag.ends_with("-pdf\""), "{etag}");
    let page = format!("http://127.0.0.1:8080/c/{number}");
    assert_eq!(
        print(&bytes, "box"),
        (283, page.clone()),
        "a box label, 100 mm wide"
    );
    let (status, _, tag) = get_with(&s.app, &format!("{pdf}&size=tag"), &me).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        print(&tag, "tag"),
        (170, page.clone()),
        "a swing tag, 60 mm wide"
    );
    // The PNG for a screen, and at a printed size at 300 dpi (60 mm: 709 dots).
    let label = format!("/api/v1/certificates/{number}/label");
    let (_, _, png) = get_with(&s.app, &format!("{label}?format=png"), &me).await;
    assert_eq!(decode_qr_png(&png), page);
    let (_, _, png) = get_with(&s.app, &format!("{label}?format=png&size=tag"), &me).await;
    let printed = image::load_from_memory(&png).unwrap();
    assert_eq!(printed.width(), 709);
    assert_eq!(decode_qr_png(&png), page);
    let (_, _, svg) = get_with(&s.app, &format!("{label}?size=box"), &me).await;
    assert!(
        String::from_utf8(svg)
            .unwrap()
            .contains(r#" width="100.00mm""#)
    );
    let (status, body) = call(&s.app, "GET", &format!("{label}?size=a4"), None, None).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("size"))
    );

    s.revoke(&number).await;
    let (status, _, _) = get_with(&s.app, &pdf, &me).await;
    assert_eq!(status, StatusCode::GONE);
}

/// A PDF label printed as a print shop would (Poppler's `pdftoppm` at 300 dpi): its page
/// width in points (1/72 in) and what its QR code says.
fn print(pdf: &[u8], name: &str) -> (u32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("label.pdf"), pdf).unwrap();
    let info = std::process::Command::new("pdfinfo")
        .arg("label.pdf")
        .current_dir(dir.path())
        .output()
        .expect("pdfinfo (poppler-utils, installed by .ci/run)");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let width: f64 = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .and_then(|size| size.split_whitespace().next())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{name}: {info}"));
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile", "label.pdf", "print"])
        .current_dir(dir.path())
        .status()
        .expect("pdftoppm (poppler-utils, installed by .ci/run)");
    assert!(rendered.success());
    let printed = std::fs::read(dir.path().join("print.png")).unwrap();
    (width.round() as u32, decode_qr_png(&printed))
}

/// GET `path` with a bearer token: status, headers, body bytes.
async fn get_with(
    app: &Router,
    path: &str,
    token: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get(path)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

/// `/e/{credit_code}` and `GET /api/v1/enterprises/{credit_code}`: one enterprise's
/// certificates counted by status and listed, no other enterprise's; the certificate page
/// links to it; a credit code with no certificate is a 404, a malformed one a 422 naming
/// `credit_code`.
pub async fn an_enterprise_record_counts_and_lists_its_certificates(w: World) {
    let s = scene(&w).await;
    let (mine, other, unseen) = (
        "91350100M000100Y43",
        "91110000802100433B",
        "9144030071526726XG",
    );
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(s.certify_for(mine).await);
    }
    let theirs = s.certify_for(other).await;
    s.revoke(&numbers[0]).await;

    let (status, record) = call(
        &s.app,
        "GET",
        &format!("/api/v1/enterprises/{mine}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(
        (
            &record["name"],
            &record["valid"],
            &record["revoked"],
            &record["expired"]
        ),
        (
            &json!(format!("企业 {mine}")),
            &json!(2),
            &json!(1),
            &json!(0)
        )
    );
    let listed: Vec<&str> = record["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = numbers.iter().map(String::as_str).collect();
    expected.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "its three certificates and no other");
    assert!(!listed.contains(&theirs.as_str()));

    let (status, _) = call(
        &s.app,
        "GET",
        &format!("/api/v1/enterprises/{unseen}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, refused) = call(&s.app, "GET", "/api/v1/enterprises/123", None, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "credit_code");

    let (status, _, page) = get(&s.app, &format!("/e/{mine}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"data-valid="2" data-revoked="1" data-expired="0""#),
        "{page}"
    );
    for number in &numbers {
        assert!(page.contains(&format!("/c/{number}")), "{number}");
    }
    assert!(!page.contains(&format!("/c/{theirs}")));
    let (_, _, certificate) = get(&s.app, &format!("/c/{}", numbers[1])).await;
    assert!(
        certificate.contains(&format!("href=\"/e/{mine}\"")),
        "{certificate}"
    );
}

pub async fn the_label_scans_to_the_certificate_page(w: World) {
    let (app, number, inspector) = with_certificate(&w).await;
    let (status, content_type, label) = get(
        &app,
        &format!("/api/v1/certificates/{number}/label?format=svg"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("image/svg+xml"), "{content_type}");
    for shown in [
        "AAAAA",
        "羽绒服装",
        "Down garments",
        "T/CTES 1080-2025",
        number.as_str(),
        "波司登羽绒服装有限公司",
        "B20A-001",
    ] {
        assert!(label.contains(shown), "the label shows {shown}");
    }
    // Its module groups its indicators: the label carries each group's grade, in order,
    // and no line for a group it does not have.
    let at = |text: &str| label.find(text);
    let (safety, performance, durability) = (at("安全 "), at("性能 AAAAA"), at("耐久 "));
    assert!(
        safety.is_some() && safety < performance && performance < durability,
        "{label}"
    );
    assert!(at("能效").is_none(), "{label}");
    assert_eq!(
        decode_qr(&label),
        format!("http://127.0.0.1:8080/c/{number}")
    );

    let (status, _, body) = get(
        &app,
        &format!("/api/v1/certificates/{number}/label?format=gif"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A revoked certificate's label is gone.
    let (status, _) = call(
        &app,
        "POST",
        &format!("/api/v1/certificates/{number}/revocation"),
        Some(&inspector),
        Some(json!({ "reason": "falsified_data", "note": "test report altered" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = get(&app, &format!("/api/v1/certificates/{number}/label")).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body.contains("\"code\":\"revoked\""), "{body}");
}

pub async fn the_pages_show_what_a_person_needs(w: World) {
    let s = scene(&w).await;
    let number = s.certify(|_| {}).await;
    let (app, inspector) = (s.app.clone(), s.inspector.clone());
    let (status, content_type, page) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(page.contains("羽绒服装") && page.contains("T/CTES 1080-2025"));
    assert!(
        page.contains(r#"data-grade="AAAAA" data-count="1""#),
        "the chart counts the certificate"
    );

    let (status, _, page) = get(&app, &format!("/c/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-status="valid""#));
    // The grade, and its mark drawn as the label draws it (five steps, all filled), named
    // for those who do not see it.
    assert!(page.contains(r#"</svg> AAAAA</p>"#), "{page}");
    let mark = page
        .split(r#"<svg class="mark" role="img" aria-label="AAAAA 等级 grade AAAAA (5 of 5)""#)
        .nth(1)
        .expect("the grade's mark")
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(mark.matches(r##"fill="#0b5""##).count(), 5);
    // Each indicator by its names, its value with its unit, and the threshold it reached;
    // an approximate threshold is marked, and the mark explained once.
    let row = |page: &str, id: &str| {
        let start = page
            .find(&format!(r#"data-indicator="{id}""#))
            .unwrap_or_else(|| panic!("a row for {id}"));
        page[start..start + page[start..].find("</tr>").unwrap()].to_string()
    };
    let fill_power = row(&page, "fill_power");
    for shown in ["蓬松度", "fill power", "17.6 cm", "AAAAA", "≥ 17.5 cm"] {
        assert!(fill_power.contains(shown), "{shown}: {fill_power}");
    }
    assert!(
        !fill_power.contains("approx") && !fill_power.contains("→"),
        "{fill_power}"
    );
    assert!(row(&page, "colour_fastness").contains(r#"class="approx""#));
    assert!(page.contains(r#"id="approximate""#));
    // Below the top of its ladder, the next step is shown: 82 % reaches AAA (≥ 80 %, an
    // approximation), and AAAA needs ≥ 85 % (another).
    let lower = s
        .certify(|r| r["measurements"]["down_cluster_pct"] = json!(82))
        .await;
    let (_, _, lower) = get(&app, &format!("/c/{lower}")).await;
    let cluster = row(&lower, "down_cluster_pct");
    for shown in ["绒子含量", "82 %", "AAA", "≥ 80 %", "→ AAAA ≥ 85 %"] {
        assert!(cluster.contains(shown), "{shown}: {cluster}");
    }
    assert_eq!(cluster.matches(r#"class="approx""#).count(), 2, "{cluster}");
    // Down-jacket is on interface 1.1.0: its indicators stand under their groups, in order.
    let heading = |group: &str| page.find(&format!(r#"data-group="{group}""#));
    let (safety, performance, durability) = (
        heading("safety"),
        heading("performance"),
        heading("durability"),
    );
    assert!(
        safety.is_some() && performance.is_some() && durability.is_some(),
        "{page}"
    );
    assert!(safety < performance && performance < durability);
    let odour = page.find(r#"data-indicator="odour""#).unwrap();
    assert!(
        safety.unwrap() < odour && odour < performance.unwrap(),
        "odour is a safety item"
    );
    assert!(
        heading("efficiency").is_none(),
        "an empty group has no heading"
    );

    call(
        &app,
        "POST",
        &format!("/api/v1/certificates/{number}/revocation"),
        Some(&inspector),
        Some(json!({ "reason": "overstated_label", "note": "<script>alert(1)</script>" })),
    )
    .await;
    let (_, _, page) = get(&app, &format!("/c/{number}")).await;
    assert!(page.contains(r#"data-status="revoked""#) && page.contains("低级高标"));
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "notes are escaped"
    );
    assert!(page.contains("&lt;script&gt;"));
    let (_, _, page) = get(&app, "/exposure").await;
    assert!(page.contains(&number) && page.contains("波司登羽绒服装有限公司"));

    // A search finds a certificate by its credit code, its enterprise's name and its number.
    for q in [
        "91350100M000100Y43",
        "%E6%B3%A2%E5%8F%B8%E7%99%BB%E7%BE%BD%E7%BB%92%E6%9C%8D%E8%A3%85%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8",
        &number,
    ] {
        let (status, _, page) = get(&app, &format!("/search?q={q}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("/c/{number}")), "{q}");
    }
    let (_, _, page) = get(&app, "/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E").await;
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;") && !page.contains("<img src=x"));
    let (status, content_type, page) = get(&app, "/c/QG000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(content_type.starts_with("text/html") && page.contains("未找到"));
}

/// `/s/{product}`: the standard in force with its whole ladder and the basis of every
/// number, its history in the catalog, and every release with its artifact and vectors.
pub async fn a_standard_is_readable_in_the_open(w: World) {
    let s = scene(&w).await;
    let (_, _, catalog) = get(&s.app, "/").await;
    assert!(catalog.contains(r#"<a href="/s/down-jacket">T/CTES 1080-2025</a>"#));

    let (status, content_type, page) = get(&s.app, "/s/down-jacket").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(content_type.starts_with("text/html"));
    for shown in [
        "羽绒服装",
        "T/CTES 1080-2025",
        r#"id="in-force" data-version="1.0.0""#,
        "GB/T 14272",
        "species",
        "第 1 版 revision 1",
        r#"href="/api/v1/modules/down-jacket/1.0.0/vectors""#,
    ] {
        assert!(page.contains(shown), "{shown}");
    }
    // Fill power's ladder depends on the species: a row per species, every step with the
    // mark of its basis (AAAAA for goose is 17.5 cm, verified; AAAA 17 cm, approximate).
    let start = page.find(r#"data-indicator="fill_power""#).unwrap();
    let rows = &page[start..start + page[start..].find(r#"data-indicator="turbidity""#).unwrap()];
    assert!(
        rows.contains("蓬松度") && rows.contains("when species = goose"),
        "{rows}"
    );
    assert!(rows.contains("when species = duck"), "{rows}");
    let goose = &rows[rows.find("species = goose").unwrap()..];
    assert!(
        goose.contains(r#"≥ 17.5 cm <abbr class="verified""#),
        "{goose}"
    );
    assert!(goose.contains(r#"≥ 17 cm <abbr class="approx""#), "{goose}");
    // Floors carry their basis too.
    let odour = &page[page.find(r#"data-indicator="odour""#).unwrap()..];
    assert!(odour[..odour.find("</tr>").unwrap()].contains(r#"class="baseline""#));

    let (status, _, vectors) = get(&s.app, "/api/v1/modules/down-jacket/1.0.0/vectors").await;
    assert_eq!(status, StatusCode::OK);
    let vectors: serde_json::Value = serde_json::from_str(&vectors).unwrap();
    assert_eq!(vectors["product"], "down-jacket");
    assert!(vectors["vectors"].as_array().is_some_and(|v| v.len() > 50));

    let (status, _, _) = get(&s.app, "/s/no-such-product").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// 60-character enterprise names and models wrap (and shrink) inside the label: measured with
/// the fonts the PNG is drawn with, no text runs under the QR code or off the label, and the
/// code still decodes.
pub async fn a_long_name_wraps_and_never_runs_off_the_label(w: World) {
    let s = scene(&w).await;
    let enterprise = format!(
        "{} International Down Garments Co., Ltd.",
        "波司登羽绒服装有限公司".repeat(2)
    );
    let model = "B20A-001/Ultralight Hooded Long Down Coat, Women's, Size XXL";
    assert_eq!(
        (enterprise.chars().count(), model.chars().count()),
        (60, 60)
    );
    let number = s
        .certify(|r| {
            r["enterprise"]["name"] = json!(enterprise);
            r["model"] = json!(model);
        })
        .await;
    let (status, _, svg) = get(
        &s.app,
        &format!("/api/v1/certificates/{number}/label?format=svg"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode_qr(&svg), format!("http://127.0.0.1:8080/c/{number}"));
    // Every word is on the label, whatever line it landed on: the label's accessible name
    // lists its lines as drawn, and each line is drawn (outlined) under its own id.
    let title = svg
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap();
    for word in ["International", "Ultralight", "XXL", number.as_str()] {
        assert!(title.contains(word), "{word}");
    }

    // Parsed without any font: the text is outlines, nothing is left to a viewer's fonts.
    let tree = parse_without_fonts(&svg);
    let mut texts = Vec::new();
    collect_texts(tree.root(), &mut texts);
    assert!(texts.is_empty(), "text left to the viewer's fonts");
    let (width, height) = (tree.size().width(), tree.size().height());
    let qr = tree
        .node_by_id("qr")
        .expect("the QR code")
        .abs_bounding_box();
    let lines: Vec<_> = (0..)
        .map_while(|i| tree.node_by_id(&format!("line-{i}")))
        .map(|line| line.abs_bounding_box())
        .collect();
    // The title's first two lines (its heading and grade) are drawn under their own ids.
    assert_eq!(lines.len() + 2, title.lines().count(), "{title}");
    assert!(lines.len() >= 10, "{} lines", lines.len());
    for b in lines {
        let at = format!("{b:?} on a label of {width}×{height}");
        assert!(
            b.left() >= 8.0 && b.right() <= width - 8.0,
            "off the side: {at}"
        );
        assert!(b.bottom() <= height - 4.0, "off the bottom: {at}");
        let beside_code = b.top() < qr.bottom() && b.bottom() > qr.top();
        assert!(
            !beside_code || b.right() <= qr.left() - 4.0,
            "under the QR code: {at}"
        );
    }

    // Any viewer draws what the platform's PNG shows: the served SVG drawn without fonts is
    // the PNG, pixel for pixel.
    let (status, _, png) = get_with(
        &s.app,
        &format!("/api/v1/certificates/{number}/label?format=png"),
        &s.lab,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let served = image::load_from_memory(&png).unwrap().to_rgba8();
    let drawn = draw_without_fonts(&svg, 2.0);
    assert_eq!(served.dimensions(), drawn.dimensions());
    assert!(
        served == drawn,
        "the PNG differs from the SVG as a viewer draws it"
    );
}

fn collect_texts(group: &resvg::usvg::Group, out: &mut Vec<resvg::usvg::Rect>) {
    for node in group.children() {
        match node {
            resvg::usvg::Node::Text(text) => out.push(text.abs_bounding_box()),
            resvg::usvg::Node::Group(g) => collect_texts(g, out),
            _ => {}
        }
    }
}
