//! The public pages: the catalog with its grade chart, a certificate's verification page
//! (what the label's QR code opens) with its spot checks, a barcode's page (what scanning
//! the box finds), an enterprise's record, the exposure list, and search. (A product's
//! standard has its own page, `standard.rs`.)

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::{html::page, label::grade_mark};
use crate::{
    catalog::Revision,
    model::{self, GradeLevel},
    platform::{
        Certificate, CertificateFilter, Cursor, FINDINGS, PAGE, Platform, PlatformError, superseded,
    },
    registry::choose,
    wire::{CertificateStatus, GradedNow, SpotCheck, Superseded},
};

/// `/`: each catalogued product, its standard, the module version in force, and its valid
/// certificates per grade as a chart, each grade drawn as the label draws it.
pub async fn catalog(platform: &Platform) -> Result<String, PlatformError> {
    let today = platform.today();
    let catalog = platform.registry().catalog().await?;
    let Some(revision) = catalog.in_force(today) else {
        return Ok(page(
            platform.mode(),
            "目录 Catalog",
            html! { p { "尚无生效的目录。No catalog revision is in force." } },
        ));
    };
    let mut counts: BTreeMap<(String, GradeLevel), i64> = BTreeMap::new();
    for (product, grade, n) in platform.statistics().await?.iter() {
        if let Some(grade) = GradeLevel::parse(grade) {
            counts.insert((product.clone(), grade), *n);
        }
    }
    let max = counts.values().copied().max().unwrap_or(1).max(1);
    // The page needs each version, not its module: no bytes are read, and one query
    // lists every product's.
    let versions = platform.registry().all_versions().await?;
    let body = html! {
        h1 { "产品质量分级目录 Product grading catalog" }
        p.muted {
            "目录第 " (revision.number) " 版，" (revision.effective) " 起生效 · Catalog revision "
            (revision.number) ", in force since " (revision.effective)
        }
        table {
            tr { th { "产品 Product" } th { "标准 Standard" } th { "模块 Module" } th { "有效证书 Valid certificates" } }
            @for product in &revision.products {
                @let published = versions.get(&product.code).map_or(&[][..], Vec::as_slice);
                tr {
                    td { strong { (product.name_zh) } br; (product.name_en) br; span.muted { (product.code) } }
                    td {
                        a href={ "/s/" (product.code) } { (product.standard.code) }
                        br; span.muted { (product.standard.level) }
                    }
                    td {
                        @match choose(revision, &product.code, published) {
                            Ok((_, record)) => { (record.version) " " span.muted { "sha256 " (record.digest[..12]) } },
                            Err(_) => "—",
                        }
                    }
                    td {
                        @for grade in GradeLevel::ALL.into_iter().rev() {
                            @let n = counts.get(&(product.code.clone(), grade)).copied().unwrap_or(0);
                            div.chart-row data-grade=(grade) data-count=(n) {
                                // The mark and its count stay together; the bar, a share of
                                // the column rather than pixels, goes under them on a phone.
                                span.tally { (grade_mark(grade, 12)) " " (n) }
                                " "
                                span.bar style=(format!("width:calc(max(100% - 7rem, 1.5rem) * {:.3})", n as f64 / max as f64)) {}
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(platform.mode(), "目录 Catalog", body))
}

/// `/c/{number}`: the verification page.
pub async fn certificate(platform: &Platform, number: &str) -> Result<String, PlatformError> {
    // The certificate and its spot checks at once, on two connections: a page a consumer
    // waits for costs one round trip, not two.
    let (c, checks) = tokio::join!(platform.certificate(number), platform.spot_checks(number));
    let (c, checks) = (c?, checks?);
    let catalog = platform.registry().catalog().await?;
    let (zh, en) = product_names(catalog.revisions(), &c.product);
    // The names, units and ladders are the module's: the one that graded, by digest.
    let module = platform.module_by_digest(&c.module_digest).await.ok();
    let metadata = module.as_ref().map(|m| m.metadata());
    let (indicators, approximate) = indicator_rows(&c, metadata);
    let checks = spot_checks(&checks, metadata, false);
    // The catalog this page already read, not a second read.
    let superseded = superseded(&catalog, &c, platform.today());
    let transparency = transparency(platform, &c).await;
    let body = html! {
        h1 { "证书验证 Certificate " (c.number) }
        @match c.status(platform.today()) {
            CertificateStatus::Revoked => {
                @if let Some(r) = &c.revocation {
                    div.revoked #status data-status="revoked" {
                        "已撤销 REVOKED — " (r.reason.zh()) " " (r.reason.as_str()) " · " (r.at)
                        br; span style="font-weight:400" { (r.note) }
                    }
                }
            }
            CertificateStatus::Expired => p #status data-status="expired" { strong { "已过期 EXPIRED" } },
            CertificateStatus::Valid => p #status data-status="valid" { strong { "有效 VALID" } },
        }
        p.grade #grade { (grade_mark(c.grade, 33)) " " (c.grade) }
        table {
            tr { th { "产品 Product" } td { (zh) " " (en) } }
            tr { th { "企业 Enterprise" } td { (c.enterprise) br; a #enterprise href={ "/e/" (c.credit_code) } { (c.credit_code) } } }
            tr { th { "型号 Model" } td { (c.model) } }
            (identifier_rows(&c))
            tr { th { "标准 Standard" } td { (c.standard) } }
            tr { th { "检测机构 Testing body" } td { (c.testing_body) br; span.muted { (c.report_number) " · " (c.report_date) } } }
            tr { th { "分级模块 Module" } td { (c.product) " " (c.module_version) br; span.muted { "sha256 " (c.module_digest) } } }
            tr { th { "目录 Catalog" } td { "第 " (c.catalog_revision) " 版 revision " (c.catalog_revision) } }
            tr { th { "日期 Dates" } td { (c.graded_on) " — " (c.expires_on) } }
        }
        @if let Some(s) = &superseded { (superseded_notice(&c, s)) }
        h2 { "指标 Indicators" }
        table.indicators {
            tr { th { "指标 Indicator" } th { "测量值 Value" } th { "结果 Result" } th { "阈值 Threshold" } }
            (indicators)
        }
        @if approximate {
            p.muted #approximate {
                abbr.approx { "≈" }
                " 近似阈值：分级标准的指标表未公开，模块按公开资料近似；模块的下一个主版本将替换它。 Approximate threshold: the grading standard's table is not public, so the module approximates it from public sources; a later major version replaces it."
            }
        }
        (checks)
        p { a href={ "/api/v1/certificates/" (c.number) "/label?format=svg" } { "标识 Label (SVG)" } }
        (transparency)
    };
    Ok(page(platform.mode(), &format!("证书 {}", c.number), body))
}

/// A certificate's spot checks (监督抽查), oldest first: where and when each sample was
/// taken, the report, the finding, the grade found and each indicator that fell; nothing
/// when it has none.
fn spot_checks(
    checks: &[SpotCheck],
    metadata: Option<&model::ModuleMetadata>,
    by_certificate: bool,
) -> Markup {
    let name = |id: &str| match metadata.and_then(|m| m.indicators.iter().find(|i| i.id == id)) {
        Some(i) => html! { (i.name_zh) " " (i.name_en) },
        None => html! { code { (id) } },
    };
    let value = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(serde_json::Value::as_f64)
            .map_or_else(|| "—".to_string(), |n| n.to_string())
    };
    html! {
        @if !checks.is_empty() {
            h2 { "监督抽查 Spot checks" }
            table.spot-checks #spot-checks {
                tr { th { "抽查 Check" } th { "检测 Report" } th { "结论 Finding" } th { "样品等级 Sample" } }
                @for check in checks {
                    tr data-finding=(check.finding.as_str()) id={ "spot-check-" (check.id) } {
                        td {
                            (check.id)
                            @if by_certificate { " · " a href={ "/c/" (check.certificate) } { (check.certificate) } }
                            br; span.muted { (check.sampled.date) br; (check.sampled.place) }
                        }
                        td { (check.report.body) br; span.muted { (check.report.number) } }
                        td {
                            strong { (check.finding.zh()) } " " (check.finding.as_str())
                            @if check.revoked { br; "已据此撤销 revoked by it" }
                        }
                        td {
                            @match (check.found, &check.reason) {
                                (Some(grade), _) => (grade),
                                (None, Some(reason)) => (reason),
                                (None, None) => "—",
                            }
                            @if !check.fell.is_empty() {
                                br;
                                span.muted {
                                    @for (i, f) in check.fell.iter().enumerate() {
                                        @if i > 0 { br; }
                                        (name(&f.indicator)) ": " (f.labelled) " → " (f.found)
                                        " (" (value(&f.labelled_value)) " → " (value(&f.found_value)) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The notice on a certificate whose product the catalog in force grades otherwise: under
/// which standard and module it was graded, that it stays valid until it expires, and
/// since when the product is graded how.
fn superseded_notice(c: &Certificate, superseded: &Superseded) -> Markup {
    let now = match &superseded.now {
        GradedNow::Standard { code, module } => format!(
            "现依据 {code} 分级，模块 {module} · now graded under {code} with module {module}"
        ),
        GradedNow::Withdrawn => {
            "本产品已撤出分级 the product has been withdrawn from grading".to_string()
        }
        GradedNow::Removed => {
            "本产品已不在目录中 the product is no longer in the catalog".to_string()
        }
    };
    html! {
        p.superseded #superseded role="note" {
            "本证书依据 " (c.standard) " 及分级模块 " (c.product) " " (c.module_version)
            " 评定，在有效期内仍然有效；自 " (superseded.effective) " 起（目录第 " (superseded.revision)
            " 版）· since " (superseded.effective) " (catalog revision " (superseded.revision) ")，"
            (now) "。 This certificate was graded under " (c.standard) " with module " (c.product)
            " " (c.module_version) " and stays valid until it expires; it has since been superseded."
        }
    }
}

/// Where the certificate sits in the transparency log, and how to check it without
/// trusting the platform.
async fn transparency(platform: &Platform, c: &Certificate) -> Markup {
    let Ok((index, checkpoint)) = platform.checkpoint_of(c).await else {
        return html! {
            h2 { "透明日志 Transparency log" }
            p #log { "此证书尚未记入透明日志 This certificate is not in the transparency log." }
        };
    };
    html! {
        h2 { "透明日志 Transparency log" }
        p #log data-index=(index) data-checkpoint=(checkpoint.size) {
            "透明日志第 " (index) " 条 · entry " (index) " of the platform's transparency log, proven in the signed checkpoint of "
            (checkpoint.size) " entries (root " code { (checkpoint.root) } ")."
        }
        p {
            a #bundle href={ "/api/v1/certificates/" (c.number) "/bundle" } { "下载验证包 Download the verification bundle" }
            " · " a href={ "/api/v1/certificates/" (c.number) "/proof" } { "包含证明 inclusion proof" }
            " · " a href="/api/v1/log/key" { "日志公钥 log key" }
        }
        p.muted {
            "无需信任本平台即可核验 Check it without trusting this platform: "
            code { "qgrade verify " (c.number) ".bundle.json --log-key log.pub" }
            " re-grades the stored test results with the same module."
        }
    }
}

/// `/exposure`: revoked certificates and the enterprises behind them, a page at a time.
pub async fn exposure(
    platform: &Platform,
    after: Option<&Cursor>,
) -> Result<String, PlatformError> {
    let revoked = platform.exposure(after, PAGE).await?;
    let body = html! {
        h1 { "曝光名单 Exposure list" }
        p.muted {
            "已撤销的证书，最近撤销的在前 · Revoked certificates, the latest revocation first · "
            a #by-enterprise href="/api/v1/exposure/enterprises?format=csv" { "按企业下载 By enterprise (CSV)" }
        }
        table {
            tr { th { "证书 Certificate" } th { "企业 Enterprise" } th { "产品 Product" } th { "原因 Reason" } }
            @for c in &revoked.items {
                tr {
                    td { a href={ "/c/" (c.number) } { (c.number) } }
                    td { (c.enterprise) br; span.muted { (c.credit_code) } }
                    td { (c.product) " · " (c.model) }
                    td {
                        @if let Some(r) = &c.revocation {
                            (r.reason.zh()) " " (r.reason.as_str()) br; span.muted { (r.note) }
                        }
                    }
                }
            }
        }
        (next_link("/exposure?", revoked.next.as_ref()))
    };
    Ok(page(platform.mode(), "曝光 Exposure", body))
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
        let filter = CertificateFilter {
            enterprise: Some(q.to_string()),
            ..CertificateFilter::default()
        };
        // A certificate number, and an enterprise's credit code or name, looked up at once.
        let by_number = async {
            match after {
                None => platform.certificate(q).await.ok(),
                Some(_) => None,
            }
        };
        let (number, page) = tokio::join!(by_number, platform.certificates(&filter, after, PAGE));
        found.extend(number);
        let page = page?;
        found.extend(page.items);
        next = page.next;
    }
    let base = format!(
        "/search?{}&",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .finish()
    );
    let body = html! {
        h1 { "查询 Search" }
        p #query { "“" (q) "” — " (found.len()) @if next.is_some() { "+" } " 个结果 results" }
        (certificate_table(&found, platform.today()))
        (next_link(&base, next.as_ref()))
    };
    Ok(page(platform.mode(), "查询 Search", body))
}

/// Certificates as a table: number, grade (drawn and written), enterprise, product and model,
/// status today.
fn certificate_table(certificates: &[Certificate], today: model::Date) -> Markup {
    html! {
        // Four columns, the status under the grade: the table fits a phone's 360 px.
        table {
            tr { th { "证书 Certificate" } th { "等级 Grade" } th { "企业 Enterprise" } th { "产品 Product" } }
            @for c in certificates {
                tr {
                    td { a href={ "/c/" (c.number) } { (c.number) } }
                    td { (grade_mark(c.grade, 12)) br; (c.grade) br; span.muted { (c.status(today).as_str()) } }
                    td { (c.enterprise) }
                    td { (c.product) " · " (c.model) }
                }
            }
        }
    }
}

/// The certificate's rows for the barcodes (each linking to its `/g/` page) and the
/// enterprise's codes its label covers; nothing when it names none.
fn identifier_rows(c: &Certificate) -> Markup {
    html! {
        @if !c.gtin.is_empty() {
            tr {
                th { "商品条码 GTIN" }
                td #gtin {
                    @for (i, g) in c.gtin.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href={ "/g/" (g) } { (g) }
                    }
                }
            }
        }
        @if !c.codes.is_empty() {
            tr { th { "型号与批次 Codes" } td #codes { (c.codes.join(" · ")) } }
        }
    }
}

/// Most certificates a barcode's page lists: a barcode is one model's, covered by one
/// certificate per product at a time, so its history is a handful (the page has no next).
const GTIN_HISTORY: u32 = 100;

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
    let listed = platform.certificates(&filter, None, GTIN_HISTORY).await?;
    if listed.items.is_empty() {
        return Err(PlatformError::NotFound(format!(
            "没有证书涵盖商品条码 {gtin} · no certificate covers GTIN {gtin}"
        )));
    }
    let today = platform.today();
    let catalog = platform.registry().catalog().await?;
    let valid: Vec<&Certificate> = listed
        .items
        .iter()
        .filter(|c| c.status(today) == CertificateStatus::Valid)
        .collect();
    let body = html! {
        h1 { "商品条码 GTIN " span #gtin { (gtin) } }
        @for c in &valid {
            @let (zh, en) = product_names(catalog.revisions(), &c.product);
            section.covered data-number=(c.number) {
                p.grade { (grade_mark(c.grade, 33)) " " (c.grade) }
                p {
                    strong { (zh) } " " (en) br;
                    (c.enterprise) " · " (c.model) br;
                    a href={ "/c/" (c.number) } { "证书 Certificate " (c.number) }
                    " · 有效至 valid until " (c.expires_on)
                }
            }
        }
        @if valid.is_empty() {
            p #none-valid { "此条码目前没有有效的分级证书 No valid certificate covers this barcode now." }
        }
        h2 { "全部证书 Every certificate" }
        (certificate_table(&listed.items, today))
    };
    Ok(page(platform.mode(), &format!("商品条码 {gtin}"), body))
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
    // The findings of its certificates' latest spot checks, each naming its certificate
    // (the indicators by id: the products' modules differ).
    let checks = platform
        .enterprise_spot_checks(credit_code, FINDINGS)
        .await?;
    let body = html! {
        h1 { "企业档案 Enterprise record" }
        p #enterprise { strong { (counts.name) } br; span.muted { "统一社会信用代码 " (credit_code) } }
        p #counts data-valid=(counts.valid) data-revoked=(counts.revoked) data-expired=(counts.expired) {
            "有效 valid " (counts.valid) " · 已撤销 revoked " (counts.revoked) " · 已过期 expired " (counts.expired)
        }
        (certificate_table(&listed.items, platform.today()))
        (next_link(&format!("/e/{credit_code}?"), listed.next.as_ref()))
        (spot_checks(&checks, None, true))
    };
    Ok(page(
        platform.mode(),
        &format!("企业 {}", counts.name),
        body,
    ))
}

/// The link to a list's next page, when there is one (`base` ends in `?` or `&`).
fn next_link(base: &str, next: Option<&Cursor>) -> Markup {
    html! {
        @if let Some(c) = next {
            p { a #next rel="next" href={ (base) "cursor=" (c.encode()) } { "下一页 Next page →" } }
        }
    }
}

/// A page for what was not found.
pub fn not_found(mode: crate::platform::Mode, what: &str) -> String {
    page(
        mode,
        "未找到 Not found",
        html! { h1 { "未找到 Not found" } p { (what) } },
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
/// Also whether any threshold shown is approximate.
fn indicator_rows(c: &Certificate, metadata: Option<&model::ModuleMetadata>) -> (Markup, bool) {
    let Some(map) = c.outcome["indicators"].as_object() else {
        return (html! {}, false);
    };
    let group_of =
        |o: &serde_json::Value| o["group"].as_str().and_then(model::IndicatorGroup::parse);
    let sections = std::iter::once(None).chain(model::IndicatorGroup::ALL.into_iter().map(Some));
    let mut approximate = false;
    let mut rows = Vec::new();
    for group in sections {
        let members: Vec<_> = map.iter().filter(|(_, o)| group_of(o) == group).collect();
        if members.is_empty() {
            continue;
        }
        if let Some(group) = group {
            rows.push(html! {
                tr.group data-group=(group.as_str()) { th colspan="4" { (group.title()) } }
            });
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
            let rules = indicator
                .map(|i| applicable_rules(i, &c.submission, metadata))
                .unwrap_or_default();
            // The threshold that decided: the step reached, or the floors.
            let deciding: Vec<&model::Rule> = match GradeLevel::parse(result) {
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
            let next = next_step(&rules, result);
            approximate |= deciding
                .iter()
                .chain(next.as_slice())
                .any(|r| r.basis == model::Basis::Approximate);
            rows.push(html! {
                tr data-indicator=(id) {
                    td {
                        @match indicator {
                            Some(i) => { (i.name_zh) br; span.muted { (i.name_en) " · " code { (id) } } },
                            None => code { (id) },
                        }
                    }
                    td { (value) }
                    td { (result) }
                    td.muted {
                        (o["threshold"].as_str().unwrap_or(""))
                        (approximate_mark(&deciding))
                        @if let Some(step) = next {
                            br;
                            span.next {
                                "→ " (step.grade.unwrap_or(GradeLevel::A)) " "
                                (crate::grading::bound_text(step.bound, unit))
                                (approximate_mark(&[step]))
                            }
                        }
                    }
                }
            });
        }
    }
    (html! { @for row in rows { (row) } }, approximate)
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
fn approximate_mark(rules: &[&model::Rule]) -> Markup {
    html! {
        @if rules.iter().any(|r| r.basis == model::Basis::Approximate) {
            " " abbr.approx title="近似阈值 approximate threshold" { "≈" }
        }
    }
}
