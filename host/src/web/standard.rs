//! `/s/{product}`: a product's grading standard in the open (标准文本应向社会公开): the
//! standard in force and its history through the catalog, every indicator of the module in
//! force with its whole ladder, floors and valid range, the basis of every number, the
//! attributes and prerequisites, and every published version with its artifact and vectors.

use maud::{Markup, html};

use super::html::page;
use crate::{
    grading::{bound_text, range_text},
    model::{self, Basis, GradeLevel, Rule},
    platform::{Platform, PlatformError},
};

/// The page for `code`.
pub async fn standard(platform: &Platform, code: &str) -> Result<String, PlatformError> {
    let today = platform.today();
    let catalog = platform.registry().catalog().await?;
    let history: Vec<_> = catalog
        .revisions()
        .iter()
        .filter_map(|r| r.product(code).map(|p| (r, p)))
        .collect();
    let Some((_, named)) = history.last() else {
        return Err(PlatformError::NotFound(format!(
            "no product {} in any catalog revision",
            crate::text::printable(code)
        )));
    };
    let versions = platform.registry().versions(code).await?;
    let in_force = match platform.registry().resolve_record(code, today).await {
        Ok((revision, _, record)) => {
            let module = platform.module_by_digest(&record.digest).await?;
            html! {
                h2 { "现行模块 Module in force" }
                p #in-force data-version=(record.version) {
                    (record.version) " · 目录第 " (revision) " 版 catalog revision " (revision)
                    " · sha256 " code { (record.digest) }
                }
                (describe(module.metadata()))
            }
        }
        Err(e) => html! {
            h2 { "现行模块 Module in force" }
            p #in-force { (e) }
        },
    };
    let body = html! {
        h1 { (named.name_zh) " " (named.name_en) }
        p.muted { code { (code) } }
        (in_force)
        h2 { "目录沿革 In the catalog" }
        div.scroll {
            table {
                tr { th { "目录 Revision" } th { "生效 Effective" } th { "标准 Standard" } th { "模块版本 Versions" } th { "状态 Status" } }
                @for (r, p) in &history {
                    tr {
                        td { "第 " (r.number) " 版 revision " (r.number) }
                        td { (r.effective) }
                        td { (p.standard.code) br; span.muted { (p.standard.title) " · " (p.standard.level) } }
                        td { code { (p.module) } }
                        td { (format!("{:?}", p.status)) }
                    }
                }
            }
        }
        h2 { "发布的版本 Published versions" }
        div.scroll {
            table {
                tr { th { "版本 Version" } th { "标准 Standard" } th { "发布者 Publisher" } th { "sha256" } th { "下载 Download" } }
                @for m in versions.iter().rev() {
                    tr data-version=(m.version) {
                        td { (m.version) }
                        td { (m.standard) }
                        td { (m.publisher) br; span.muted { (m.published_at) } }
                        td { code { (m.digest) } }
                        td {
                            a href={ "/api/v1/modules/" (code) "/" (m.version) } { "模块 artifact" } br;
                            a href={ "/api/v1/modules/" (code) "/" (m.version) "/vectors" } { "向量 vectors" }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        platform.mode(),
        &format!("标准 {}", named.name_zh),
        body,
    ))
}

/// What a module encodes, as people read a standard's table.
fn describe(m: &model::ModuleMetadata) -> Markup {
    html! {
        p { (m.standard.code) " " (m.standard.title) " · " (format!("{:?}", m.standard.level)) }
        h3 { "指标 Indicators" }
        p.muted {
            @for (n, b) in [Basis::Verified, Basis::Baseline, Basis::Approximate].into_iter().enumerate() {
                @if n > 0 { " · " }
                (basis_mark(b)) " " (basis_words(b))
            }
        }
        div.scroll {
            table.ladder {
                tr { th { "指标 Indicator" } @for g in GradeLevel::ALL { th { (g) } } th { "底线 Floors" } }
                @for i in &m.indicators { (indicator_rows(i)) }
            }
        }
        h3 { "合格前提 Prerequisites (合格)" }
        ul { @for p in &m.prerequisites { li { (p.standard) @if p.when.is_some() { br; } (condition(p.when.as_ref())) } } }
        h3 { "属性 Attributes" }
        div.scroll {
            table {
                tr { th { "属性" } th { "说明 Meaning" } th { "取值 Values" } th { "默认 Default" } }
                @for a in &m.attributes {
                    tr {
                        td { code { (a.name) } }
                        td { (a.description) }
                        td {
                            @match &a.values {
                                model::AttributeValues::Choice(choices) => (choices.join(" / ")),
                                model::AttributeValues::Number(r) => (range_text(*r, "")),
                            }
                        }
                        td { (a.default_value.as_deref().unwrap_or("—（必填 required）")) }
                    }
                }
            }
        }
        h3 { "说明 Notes" }
        ul { @for n in &m.notes { li { (n) } } }
    }
}

/// An indicator's rows: one per condition its ladder depends on (one row when none).
fn indicator_rows(i: &model::Indicator) -> Markup {
    let mut conditions = i.ladders();
    if conditions.is_empty() {
        conditions.push(None);
    }
    html! {
        @for (n, when) in conditions.iter().enumerate() {
            @let applies = |r: &&Rule| r.when.as_ref() == *when;
            tr data-indicator=(i.id) {
                td {
                    @if n == 0 {
                        (i.name_zh) br;
                        span.muted { (i.name_en) " · " code { (i.id) } @if !i.unit.is_empty() { " · " (i.unit) } }
                        @if let Some(r) = i.valid { br; span.muted { "有效范围 valid " (range_text(r, &i.unit)) } }
                        @if let Some(g) = i.group { br; span.muted { (g.title()) } }
                    }
                    // A ladder's condition under its indicator's name, or alone on a row of
                    // its own.
                    @if n == 0 && when.is_some() { br; }
                    (condition(*when))
                }
                @for g in GradeLevel::ALL {
                    td { @for r in i.rules.iter().filter(applies).filter(|r| r.grade == Some(g)) { (number(r, &i.unit)) } }
                }
                td {
                    @for (k, r) in i.rules.iter().filter(applies).filter(|r| r.grade.is_none()).enumerate() {
                        @if k > 0 { br; }
                        (number(r, &i.unit))
                    }
                }
            }
        }
    }
}

/// A threshold with the mark of its basis.
fn number(rule: &Rule, unit: &str) -> Markup {
    html! {
        span class={ "basis-" (format!("{:?}", rule.basis)) } { (bound_text(rule.bound, unit)) " " (basis_mark(rule.basis)) }
    }
}

fn condition(when: Option<&model::Condition>) -> Markup {
    html! {
        @if let Some(c) = when { span.muted { "当 when " (c.attribute) " = " (c.value) } }
    }
}

fn basis_mark(basis: Basis) -> Markup {
    match basis {
        Basis::Verified => html! { abbr.verified title="已核实 verified" { "✓" } },
        Basis::Baseline => html! { abbr.baseline title="基线 baseline" { "▪" } },
        Basis::Approximate => html! { abbr.approx title="近似阈值 approximate threshold" { "≈" } },
    }
}
fn basis_words(basis: Basis) -> &'static str {
    match basis {
        Basis::Verified => {
            "已核实：公开标准或方案文件所述 verified: stated by a published standard or scheme document"
        }
        Basis::Baseline => {
            "基线：强制性或产品标准的合格线 baseline: the pass line of the mandatory or product standard"
        }
        Basis::Approximate => {
            "近似：分级表未公开，按公开资料近似 approximate: the grading table is not public"
        }
    }
}
