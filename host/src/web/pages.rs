//! The public pages: the catalog with its grade chart, a certificate's verification page
//! (what the label's QR code opens) with its spot checks, a barcode's page (what scanning
//! the box finds), an enterprise's record, the exposure list, and search. (A product's
//! standard has its own page, `standard.rs`.)

use std::collections::BTreeMap;

use super::{escape, html::page};
use crate::{
    catalog::Revision,
    model,
    platform::{Certificate, CertificateFilter, Cursor, Platform, PlatformError, superseded},
    registry::choose,
    wire::{CertificateStatus, GradedNow, SpotCheck, Superseded},
};

const GRADES: [&str; 5] = ["AAAAA", "AAAA", "AAA", "AA", "A"];

/// `/`: each catalogued product, its standard, the module version in force, and its valid
/// certificates per grade as a bar chart.
pub async fn catalog(platform: &Platform) -> Result<String, PlatformError> {
    let today = platform.today();
    let catalog = platform.registry().catalog().await?;
    let Some(revision) = catalog.in_force(today) else {
        return Ok(page(
            platform.mode(),
            "目录 Catalog",
            "<p>尚无生效的目录。No catalog revision is in force.</p>",
        ));
    };
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (product, grade, n) in platform.statistics().await? {
        counts.insert((product, grade), n);
    }
    let max = counts.values().copied().max().unwrap_or(1).max(1);
    // The page needs each version, not its module: no bytes are read, and one query
    // lists every product's.
    let versions = platform.registry().all_versions().await?;
    let mut rows = String::new();
    for product in &revision.products {
        let published = versions.get(&product.code).map_or(&[][..], Vec::as_slice);
        let module = match choose(revision, &product.code, published) {
            Ok((_, record)) => format!(
                "{} <span class=\"muted\">sha256 {}</span>",
                escape(&record.version.to_string()),
                escape(&record.digest[..12])
            ),
            Err(_) => "—".into(),
        };
        let bars: String = GRADES
            .iter()
            .map(|g| {
                let n = counts.get(&(product.code.clone(), g.to_string())).copied().unwrap_or(0);
                format!(
                    "<div class=\"chart-row\" data-grade=\"{g}\" data-count=\"{n}\"><span style=\"display:inline-block;width:3.6rem\">{g}</span><span class=\"bar\" style=\"width:calc(max(100% - 6rem, 1.5rem) * {share:.3})\"></span> {n}</div>",
                    // A share of the column, not pixels: the chart fits a phone's width.
                    share = n as f64 / max as f64
                )
            })
            .collect();
        rows.push_str(&format!(
            "<tr><td><strong>{zh}</strong><br>{en}<br><span class=\"muted\">{code}</span></td><td><a href=\"/s/{code}\">{standard}</a><br><span class=\"muted\">{level}</span></td><td>{module}</td><td>{bars}</td></tr>",
            zh = escape(&product.name_zh),
            en = escape(&product.name_en),
            code = escape(&product.code),
            standard = escape(&product.standard.code),
            level = product.standard.level,
        ));
    }
    Ok(page(
        platform.mode(),
        "目录 Catalog",
        &format!(
            "<h1>产品质量分级目录 Product grading catalog</h1><p class=\"muted\">目录第 {n} 版，{d} 起生效 · Catalog revision {n}, in force since {d}</p><table><tr><th>产品 Product</th><th>标准 Standard</th><th>模块 Module</th><th>有效证书 Valid certificates</th></tr>{rows}</table>",
            n = revision.number,
            d = revision.effective,
        ),
    ))
}

/// `/c/{number}`: the verification page.
pub async fn certificate(platform: &Platform, number: &str) -> Result<String, PlatformError> {
    let c = platform.certificate(number).await?;
    let catalog = platform.registry().catalog().await?;
    let (zh, en) = product_names(catalog.revisions(), &c.product);
    let status = match c.status(platform.today()) {
        CertificateStatus::Revoked => {
            let r = c
                .revocation
                .as_ref()
                .expect("a revoked certificate has its revocation");
            format!(
                "<div class=\"revoked\" id=\"status\" data-status=\"revoked\">已撤销 REVOKED — {zh_reason} {reason} · {at}<br><span style=\"font-weight:400\">{note}</span></div>",
                zh_reason = r.reason.zh(),
                reason = r.reason.as_str(),
                at = escape(&r.at),
                note = escape(&r.note),
            )
        }
        CertificateStatus::Expired => {
            "<p id=\"status\" data-status=\"expired\"><strong>已过期 EXPIRED</strong></p>".into()
        }
        CertificateStatus::Valid => {
            "<p id=\"status\" data-status=\"valid\"><strong>有效 VALID</strong></p>".into()
        }
    };
    // The names, units and ladders are the module's: the one that graded, by digest.
    let module = platform.module_by_digest(&c.module_digest).await.ok();
    let indicators = indicator_rows(&c, module.as_ref().map(|m| m.metadata()));
    let checks = spot_checks(
        &platform.spot_checks(&c.number).await?,
        module.as_ref().map(|m| m.metadata()),
        false,
    );
    Ok(page(
        platform.mode(),
        &format!("证书 {}", c.number),
        &format!(
            "<h1>证书验证 Certificate {number}</h1>{status}<p class=\"grade\" id=\"grade\">{mark} {grade}</p>\
             <table><tr><th>产品 Product</th><td>{zh} {en}</td></tr>\
             <tr><th>企业 Enterprise</th><td>{enterprise}<br><a id=\"enterprise\" href=\"/e/{credit}\">{credit}</a></td></tr>\
             <tr><th>型号 Model</th><td>{model}</td></tr>{identifiers}\
             <tr><th>标准 Standard</th><td>{standard}</td></tr>\
             <tr><th>检测机构 Testing body</th><td>{body}<br><span class=\"muted\">{report} · {report_date}</span></td></tr>\
             <tr><th>分级模块 Module</th><td>{product} {version}<br><span class=\"muted\">sha256 {digest}</span></td></tr>\
             <tr><th>目录 Catalog</th><td>第 {revision} 版 revision {revision}</td></tr>\
             <tr><th>日期 Dates</th><td>{graded} — {expires}</td></tr></table>{superseded}\
             <h2>指标 Indicators</h2><table class=\"indicators\"><tr><th>指标 Indicator</th><th>测量值 Value</th><th>结果 Result</th><th>阈值 Threshold</th></tr>{indicators}</table>{approximate}\
             {checks}<p><a href=\"/api/v1/certificates/{number}/label?format=svg\">标识 Label (SVG)</a></p>{transparency}",
            number = escape(&c.number),
            grade = c.grade,
            mark = super::label::grade_mark(c.grade),
            zh = escape(&zh),
            en = escape(&en),
            enterprise = escape(&c.enterprise),
            credit = escape(&c.credit_code),
            model = escape(&c.model),
            identifiers = identifier_rows(&c),
            standard = escape(&c.standard),
            body = escape(&c.testing_body),
            report = escape(&c.report_number),
            report_date = c.report_date,
            product = escape(&c.product),
            version = escape(&c.module_version),
            digest = escape(&c.module_digest),
            revision = c.catalog_revision,
            // The catalog this page already read, not a second read.
            superseded = superseded(&catalog, &c, platform.today())
                .map(|s| superseded_notice(&c, &s))
                .unwrap_or_default(),
            graded = c.graded_on,
            expires = c.expires_on,
            approximate = if indicators.contains("class=\"approx\"") {
                "<p class=\"muted\" id=\"approximate\"><abbr class=\"approx\">≈</abbr> 近似阈值：分级标准的指标表未公开，模块按公开资料近似；模块的下一个主版本将替换它。 Approximate threshold: the grading standard's table is not public, so the module approximates it from public sources; a later major version replaces it.</p>"
            } else {
                ""
            },
            transparency = transparency(platform, &c).await,
        ),
    ))
}

/// A certificate's spot checks (监督抽查), oldest first: where and when each sample was
/// taken, the report, the finding, the grade found and each indicator that fell; nothing
/// when it has none.
fn spot_checks(
    checks: &[SpotCheck],
    metadata: Option<&model::ModuleMetadata>,
    by_certificate: bool,
) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let name = |id: &str| {
        metadata
            .and_then(|m| m.indicators.iter().find(|i| i.id == id))
            .map_or_else(
                || format!("<code>{}</code>", escape(id)),
                |i| format!("{} {}", escape(&i.name_zh), escape(&i.name_en)),
            )
    };
    let value = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(serde_json::Value::as_f64)
            .map_or_else(|| "—".to_string(), |n| n.to_string())
    };
    let rows: String = checks
        .iter()
        .map(|check| {
            let fell: Vec<String> = check
                .fell
                .iter()
                .map(|f| {
                    format!(
                        "{name}: {was} → {is} ({v0} → {v1})",
                        name = name(&f.indicator),
                        was = escape(&f.labelled),
                        is = escape(&f.found),
                        v0 = value(&f.labelled_value),
                        v1 = value(&f.found_value),
                    )
                })
                .collect();
            let found = match (check.found, &check.reason) {
                (Some(grade), _) => grade.to_string(),
                (None, Some(reason)) => escape(reason),
                (None, None) => "—".into(),
            };
            format!(
                "<tr data-finding=\"{finding}\" id=\"spot-check-{id}\"><td>{id}{certificate}<br><span class=\"muted\">{date}<br>{place}</span></td><td>{body}<br><span class=\"muted\">{report}</span></td><td><strong>{finding_zh}</strong> {finding}{revoked}</td><td>{found}{fell}</td></tr>",
                id = check.id,
                certificate = if by_certificate {
                    format!(
                        " · <a href=\"/c/{n}\">{n}</a>",
                        n = escape(&check.certificate)
                    )
                } else {
                    String::new()
                },
                date = check.sampled.date,
                place = escape(&check.sampled.place),
                body = escape(&check.report.body),
                report = escape(&check.report.number),
                finding = check.finding.as_str(),
                finding_zh = check.finding.zh(),
                revoked = if check.revoked { "<br>已据此撤销 revoked by it" } else { "" },
                fell = if fell.is_empty() {
                    String::new()
                } else {
                    format!("<br><span class=\"muted\">{}</span>", fell.join("<br>"))
                },
            )
        })
        .collect();
    format!(
        "<h2>监督抽查 Spot checks</h2><table class=\"spot-checks\" id=\"spot-checks\"><tr><th>抽查 Check</th><th>检测 Report</th><th>结论 Finding</th><th>样品等级 Sample</th></tr>{rows}</table>"
    )
}

/// The notice on a certificate whose product the catalog in force grades otherwise: under
/// which standard and module it was graded, that it stays valid until it expires, and
/// since when the product is graded how.
fn superseded_notice(c: &Certificate, superseded: &Superseded) -> String {
    let now = match &superseded.now {
        GradedNow::Standard { code, module } => format!(
            "现依据 {code} 分级，模块 {module} · now graded under {code} with module {module}",
            code = escape(code),
            module = escape(module)
        ),
        GradedNow::Withdrawn => {
            "本产品已撤出分级 the product has been withdrawn from grading".to_string()
        }
        GradedNow::Removed => {
            "本产品已不在目录中 the product is no longer in the catalog".to_string()
        }
    };
    format!(
        "<p class=\"superseded\" id=\"superseded\" role=\"note\">本证书依据 {standard} 及分级模块 {product} {version} 评定，在有效期内仍然有效；自 {effective} 起（目录第 {n} 版）· since {effective} (catalog revision {n})，{now}。 This certificate was graded under {standard} with module {product} {version} and stays valid until it expires; it has since been superseded.</p>",
        standard = escape(&c.standard),
        product = escape(&c.product),
        version = escape(&c.module_version),
        effective = superseded.effective,
        n = superseded.revision,
    )
}

/// Where the certificate sits in the transparency log, and how to check it without
/// trusting the platform.
async fn transparency(platform: &Platform, c: &Certificate) -> String {
    let Ok((leaf, checkpoint)) = platform.proof_of(c).await else {
        return "<h2>透明日志 Transparency log</h2><p id=\"log\">此证书尚未记入透明日志 This certificate is not in the transparency log.</p>".into();
    };
    format!(
        "<h2>透明日志 Transparency log</h2>\
         <p id=\"log\" data-index=\"{index}\" data-checkpoint=\"{size}\">透明日志第 {index} 条 · entry {index} of the platform's transparency log, proven in the signed checkpoint of {size} entries (root <code>{root}</code>).</p>\
         <p><a id=\"bundle\" href=\"/api/v1/certificates/{number}/bundle\">下载验证包 Download the verification bundle</a> · <a href=\"/api/v1/certificates/{number}/proof\">包含证明 inclusion proof</a> · <a href=\"/api/v1/log/key\">日志公钥 log key</a></p>\
         <p class=\"muted\">无需信任本平台即可核验 Check it without trusting this platform: <code>qgrade verify {number}.bundle.json --log-key log.pub</code> re-grades the stored test results with the same module.</p>",
        index = leaf.index,
        size = checkpoint.size,
        root = escape(&checkpoint.root.to_string()),
        number = escape(&c.number),
    )
}

/// `/exposure`: revoked certificates and the enterprises behind them, a page at a time.
pub async fn exposure(
    platform: &Platform,
    after: Option<&Cursor>,
) -> Result<String, PlatformError> {
    let revoked = platform.exposure(after, PAGE).await?;
    let rows: String = revoked
        .items
        .iter()
        .map(|c| {
            let r = c.revocation.as_ref().expect("exposed certificates are revoked");
            format!(
                "<tr><td><a href=\"/c/{n}\">{n}</a></td><td>{e}<br><span class=\"muted\">{cc}</span></td><td>{p} · {m}</td><td>{zh} {reason}<br><span class=\"muted\">{note}</span></td></tr>",
                n = escape(&c.number),
                e = escape(&c.enterprise),
                cc = escape(&c.credit_code),
                p = escape(&c.product),
                m = escape(&c.model),
                zh = r.reason.zh(),
                reason = r.reason.as_str(),
                note = escape(&r.note),
            )
        })
        .collect();
    Ok(page(
        platform.mode(),
        "曝光 Exposure",
        &format!(
            "<h1>曝光名单 Exposure list</h1><p class=\"muted\">已撤销的证书，最近撤销的在前 · Revoked certificates, the latest revocation first · <a id=\"by-enterprise\" href=\"/api/v1/exposure/enterprises?format=csv\">按企业下载 By enterprise (CSV)</a></p><table><tr><th>证书 Certificate</th><th>企业 Enterprise</th><th>产品 Product</th><th>原因 Reason</th></tr>{rows}</table>{more}",
            more = next_link("/exposure?", revoked.next.as_ref()),
        ),
    ))
}

/// `/search?q=`: by certificate number, enterprise name or credit code, a page at a time.
pub async fn search(
    platform: &Platform,
    q: &str,
    after: Option<&Cursor>,
) -> Result<String, PlatformError> {
    let q = q.trim();
    let mut found: Vec<Certificate> = Vec::new();
    let mut next = None;
    if !q.is_empty() {
        if after.is_none()
            && let Ok(c) = platform.certificate(q).await
        {
            found.push(c);
        }
        let filter = CertificateFilter {
            enterprise: Some(q.to_string()),
            ..CertificateFilter::default()
        };
        let page = platform.certificates(&filter, after, PAGE).await?;
        found.extend(page.items);
        next = page.next;
    }
    Ok(page(
        platform.mode(),
        "查询 Search",
        &format!(
            "<h1>查询 Search</h1><p id=\"query\">“{q}” — {n}{plus} 个结果 results</p>{rows}{more}",
            rows = certificate_table(&found, platform.today()),
            q = escape(q),
            n = found.len(),
            plus = if next.is_some() { "+" } else { "" },
            more = next_link(
                &format!(
                    "/search?{}&",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("q", q)
                        .finish()
                ),
                next.as_ref()
            ),
        ),
    ))
}

/// Rows on one page of a list.
const PAGE: u32 = 100;

/// Certificates as a table: number, grade, enterprise, product and model, status today.
fn certificate_table(certificates: &[Certificate], today: model::Date) -> String {
    let rows: String = certificates
        .iter()
        .map(|c| {
            format!(
                "<tr><td><a href=\"/c/{n}\">{n}</a></td><td>{g}<br><span class=\"muted\">{s}</span></td><td>{e}</td><td>{p} · {m}</td></tr>",
                n = escape(&c.number),
                g = c.grade,
                e = escape(&c.enterprise),
                p = escape(&c.product),
                m = escape(&c.model),
                s = c.status(today).as_str(),
            )
        })
        .collect();
    format!(
        // Four columns, the status under the grade: the table fits a phone's 360 px.
        "<table><tr><th>证书 Certificate</th><th>等级 Grade</th><th>企业 Enterprise</th><th>产品 Product</th></tr>{rows}</table>"
    )
}

/// The certificate's rows for the barcodes (each linking to its `/g/` page) and the
/// enterprise's codes its label covers; nothing when it names none.
fn identifier_rows(c: &Certificate) -> String {
    let mut rows = String::new();
    if !c.gtin.is_empty() {
        let links: Vec<String> = c
            .gtin
            .iter()
            .map(|g| format!("<a href=\"/g/{g}\">{g}</a>", g = escape(g)))
            .collect();
        rows.push_str(&format!(
            "<tr><th>商品条码 GTIN</th><td id=\"gtin\">{}</td></tr>",
            links.join(" · ")
        ));
    }
    if !c.codes.is_empty() {
        let codes: Vec<String> = c.codes.iter().map(|code| escape(code)).collect();
        rows.push_str(&format!(
            "<tr><th>型号与批次 Codes</th><td id=\"codes\">{}</td></tr>",
            codes.join(" · ")
        ));
    }
    rows
}

/// `/g/{gtin}`: what a consumer who scans a barcode reaches — the grade of each valid
/// certificate that covers it (one per product at most), then every certificate that
/// ever did.
pub async fn gtin(platform: &Platform, text: &str) -> Result<String, PlatformError> {
    let gtin =
        crate::platform::gtin::normalize(text).map_err(|m| PlatformError::field("gtin", m))?;
    let filter = CertificateFilter {
        gtin: Some(gtin.clone()),
        ..CertificateFilter::default()
    };
    let listed = platform.certificates(&filter, None, PAGE).await?;
    if listed.items.is_empty() {
        return Err(PlatformError::NotFound(format!(
            "没有证书涵盖商品条码 {gtin} · no certificate covers GTIN {gtin}"
        )));
    }
    let today = platform.today();
    let catalog = platform.registry().catalog().await?;
    let valid: String = listed
        .items
        .iter()
        .filter(|c| c.status(today) == CertificateStatus::Valid)
        .map(|c| {
            let (zh, en) = product_names(catalog.revisions(), &c.product);
            format!(
                "<section class=\"covered\" data-number=\"{n}\"><p class=\"grade\">{mark} {grade}</p><p><strong>{zh}</strong> {en}<br>{enterprise} · {model}<br><a href=\"/c/{n}\">证书 Certificate {n}</a> · 有效至 valid until {expires}</p></section>",
                n = escape(&c.number),
                mark = super::label::grade_mark(c.grade),
                grade = c.grade,
                zh = escape(&zh),
                en = escape(&en),
                enterprise = escape(&c.enterprise),
                model = escape(&c.model),
                expires = c.expires_on,
            )
        })
        .collect();
    let valid = if valid.is_empty() {
        "<p id=\"none-valid\">此条码目前没有有效的分级证书 No valid certificate covers this barcode now.</p>".to_string()
    } else {
        valid
    };
    Ok(page(
        platform.mode(),
        &format!("商品条码 {gtin}"),
        &format!(
            "<h1>商品条码 GTIN <span id=\"gtin\">{gtin}</span></h1>{valid}<h2>全部证书 Every certificate</h2>{all}",
            all = certificate_table(&listed.items, today),
        ),
    ))
}

/// `/e/{credit_code}`: one enterprise's record (企业档案) — its certificates counted by
/// status and listed newest first, a page at a time, and the findings of their latest spot
/// checks.
pub async fn enterprise(
    platform: &Platform,
    credit_code: &str,
    after: Option<&Cursor>,
) -> Result<String, PlatformError> {
    let (counts, listed) = platform.enterprise(credit_code, after, PAGE).await?;
    Ok(page(
        platform.mode(),
        &format!("企业 {}", counts.name),
        &format!(
            "<h1>企业档案 Enterprise record</h1><p id=\"enterprise\"><strong>{name}</strong><br><span class=\"muted\">统一社会信用代码 {code}</span></p>\
             <p id=\"counts\" data-valid=\"{valid}\" data-revoked=\"{revoked}\" data-expired=\"{expired}\">有效 valid {valid} · 已撤销 revoked {revoked} · 已过期 expired {expired}</p>{rows}{more}{checks}",
            name = escape(&counts.name),
            code = escape(credit_code),
            valid = counts.valid,
            revoked = counts.revoked,
            expired = counts.expired,
            rows = certificate_table(&listed.items, platform.today()),
            more = next_link(&format!("/e/{credit_code}?"), listed.next.as_ref()),
            // The findings of its certificates' latest spot checks, each naming its
            // certificate (the indicators by id: the products' modules differ).
            checks = spot_checks(
                &platform.enterprise_spot_checks(credit_code, PAGE).await?,
                None,
                true,
            ),
        ),
    ))
}

/// The link to a list's next page, when there is one (`base` ends in `?` or `&`).
fn next_link(base: &str, next: Option<&Cursor>) -> String {
    next.map(|c| {
        format!(
            "<p><a id=\"next\" rel=\"next\" href=\"{}cursor={}\">下一页 Next page →</a></p>",
            escape(base),
            c.encode()
        )
    })
    .unwrap_or_default()
}

/// A page for what was not found.
pub fn not_found(mode: crate::platform::Mode, what: &str) -> String {
    page(
        mode,
        "未找到 Not found",
        &format!("<h1>未找到 Not found</h1><p>{}</p>", escape(what)),
    )
}

/// The product's names in the latest revision that lists it.
pub fn product_names(revisions: &[Revision], code: &str) -> (String, String) {
    revisions
        .iter()
        .rev()
        .find_map(|r| r.product(code))
        .map_or_else(
            || (code.to_string(), code.to_string()),
            |p| (p.name_zh.clone(), p.name_en.clone()),
        )
}

/// The certificate's indicator rows, under a heading per group when the module groups its
/// indicators (interface 1.1.0): ungrouped ones first, then each group in its fixed order.
/// With the module's metadata, each row names the indicator in Chinese and English, gives
/// the value with its unit, the threshold reached and the next step of its ladder, and
/// marks an approximate threshold; without it (a module that no longer loads), the ids.
fn indicator_rows(c: &Certificate, metadata: Option<&model::ModuleMetadata>) -> String {
    let Some(map) = c.outcome["indicators"].as_object() else {
        return String::new();
    };
    let group_of =
        |o: &serde_json::Value| o["group"].as_str().and_then(model::IndicatorGroup::parse);
    let mut rows = String::new();
    let sections = std::iter::once(None).chain(model::IndicatorGroup::ALL.into_iter().map(Some));
    for group in sections {
        let members: Vec<_> = map.iter().filter(|(_, o)| group_of(o) == group).collect();
        if members.is_empty() {
            continue;
        }
        if let Some(group) = group {
            rows.push_str(&format!(
                "<tr class=\"group\" data-group=\"{id}\"><th colspan=\"4\">{title}</th></tr>",
                id = group.as_str(),
                title = group.title(),
            ));
        }
        for (id, o) in members {
            let indicator = metadata.and_then(|m| m.indicators.iter().find(|i| &i.id == id));
            let unit = indicator.map_or("", |i| i.unit.as_str());
            let value = match &o["value"] {
                serde_json::Value::Bool(true) => "pass".to_string(),
                serde_json::Value::Bool(false) => "fail".to_string(),
                serde_json::Value::Null => "—".to_string(),
                // As bounds read (`82`, not the stored `82.0`).
                v => {
                    let number = v.as_f64().map_or_else(|| v.to_string(), |n| n.to_string());
                    if unit.is_empty() {
                        number
                    } else {
                        format!("{number} {unit}")
                    }
                }
            };
            let result = o["result"].as_str().unwrap_or("");
            let name = match indicator {
                Some(i) => format!(
                    "{zh}<br><span class=\"muted\">{en} · <code>{id}</code></span>",
                    zh = escape(&i.name_zh),
                    en = escape(&i.name_en),
                    id = escape(id),
                ),
                None => format!("<code>{}</code>", escape(id)),
            };
            let rules = indicator
                .map(|i| applicable_rules(i, &c.submission, metadata))
                .unwrap_or_default();
            // The threshold that decided: the step reached, or the floors.
            let deciding: Vec<&model::Rule> = match model::GradeLevel::parse(result) {
                Some(g) => rules
                    .iter()
                    .copied()
                    .filter(|r| r.grade == Some(g))
                    .collect(),
                None => rules
                    .iter()
                    .copied()
                    .filter(|r| r.grade.is_none())
                    .collect(),
            };
            let approximate = approximate_mark(&deciding);
            let next = next_step(&rules, result)
                .map(|step| {
                    format!(
                        "<br><span class=\"next\">→ {grade} {bound}{mark}</span>",
                        grade = step.grade.unwrap_or(model::GradeLevel::A),
                        bound = escape(&crate::grading::bound_text(step.bound, unit)),
                        mark = approximate_mark(&[step]),
                    )
                })
                .unwrap_or_default();
            rows.push_str(&format!(
                "<tr data-indicator=\"{id}\"><td>{name}</td><td>{value}</td><td>{result}</td><td class=\"muted\">{threshold}{approximate}{next}</td></tr>",
                id = escape(id),
                value = escape(&value),
                result = escape(result),
                threshold = escape(o["threshold"].as_str().unwrap_or("")),
            ));
        }
    }
    rows
}

/// The indicator's rules that apply to the submission: those without a condition, and
/// those whose attribute has the condition's value (or its default).
fn applicable_rules<'a>(
    indicator: &'a model::Indicator,
    submission: &serde_json::Value,
    metadata: Option<&model::ModuleMetadata>,
) -> Vec<&'a model::Rule> {
    let attribute = |name: &str| -> Option<String> {
        match &submission["attributes"][name] {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => metadata?
                .attributes
                .iter()
                .find(|a| a.name == name)?
                .default_value
                .clone(),
        }
    };
    indicator
        .rules
        .iter()
        .filter(|r| {
            r.when
                .as_ref()
                .is_none_or(|c| attribute(&c.attribute).as_deref() == Some(c.value.as_str()))
        })
        .collect()
}

/// The step above `result` on the ladder (the lowest step for `below A`).
fn next_step<'a>(rules: &[&'a model::Rule], result: &str) -> Option<&'a model::Rule> {
    let reached = model::GradeLevel::parse(result);
    if reached.is_none() && result != "below A" {
        return None;
    }
    rules
        .iter()
        .copied()
        .filter(|r| {
            r.grade
                .is_some_and(|g| reached.is_none_or(|reached| g > reached))
        })
        .min_by_key(|r| r.grade)
}

/// `≈` when any of `rules` is an approximation.
fn approximate_mark(rules: &[&model::Rule]) -> &'static str {
    if rules.iter().any(|r| r.basis == model::Basis::Approximate) {
        " <abbr class=\"approx\" title=\"近似阈值 approximate threshold\">≈</abbr>"
    } else {
        ""
    }
}
