//! `/s/{product}`: a product's grading standard in the open (标准文本应向社会公开): the
//! standard in force and its history through the catalog, every indicator of the module in
//! force with its whole ladder, floors and valid range, the basis of every number, the
//! attributes and prerequisites, and every published version with its artifact and vectors.

use super::{escape, html::page};
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
    let (zh, en) = (named.name_zh.clone(), named.name_en.clone());

    let revisions: String = history
        .iter()
        .map(|(r, p)| {
            format!(
                "<tr><td>第 {n} 版 revision {n}</td><td>{effective}</td><td>{standard}<br><span class=\"muted\">{title} · {level}</span></td><td><code>{module}</code></td><td>{status:?}</td></tr>",
                n = r.number,
                effective = r.effective,
                standard = escape(&p.standard.code),
                title = escape(&p.standard.title),
                level = p.standard.level,
                module = escape(&p.module),
                status = p.status,
            )
        })
        .collect();

    let versions = platform.registry().versions(code).await?;
    let releases: String = versions
        .iter()
        .rev()
        .map(|m| {
            format!(
                "<tr data-version=\"{v}\"><td>{v}</td><td>{standard}</td><td>{publisher}<br><span class=\"muted\">{at}</span></td><td><code>{digest}</code></td><td><a href=\"/api/v1/modules/{c}/{v}\">模块 artifact</a><br><a href=\"/api/v1/modules/{c}/{v}/vectors\">向量 vectors</a></td></tr>",
                v = escape(&m.version.to_string()),
                c = escape(code),
                standard = escape(&m.standard),
                publisher = escape(&m.publisher),
                at = escape(&m.published_at),
                digest = escape(&m.digest),
            )
        })
        .collect();

    let in_force = match platform.registry().resolve_record(code, today).await {
        Ok((revision, _, record)) => {
            let module = platform.module_by_digest(&record.digest).await?;
            format!(
                "<h2>现行模块 Module in force</h2><p id=\"in-force\" data-version=\"{v}\">{v} · 目录第 {revision} 版 catalog revision {revision} · sha256 <code>{digest}</code></p>{body}",
                v = escape(&record.version.to_string()),
                digest = escape(&record.digest),
                body = describe(module.metadata()),
            )
        }
        Err(e) => format!(
            "<h2>现行模块 Module in force</h2><p id=\"in-force\">{}</p>",
            escape(&e.to_string())
        ),
    };

    Ok(page(
        platform.mode(),
        &format!("标准 {zh}"),
        &format!(
            "<h1>{zh_e} {en_e}</h1><p class=\"muted\"><code>{code_e}</code></p>\
             {in_force}\
             <h2>目录沿革 In the catalog</h2><div class=\"scroll\"><table><tr><th>目录 Revision</th><th>生效 Effective</th><th>标准 Standard</th><th>模块版本 Versions</th><th>状态 Status</th></tr>{revisions}</table></div>\
             <h2>发布的版本 Published versions</h2><div class=\"scroll\"><table><tr><th>版本 Version</th><th>标准 Standard</th><th>发布者 Publisher</th><th>sha256</th><th>下载 Download</th></tr>{releases}</table></div>",
            zh_e = escape(&zh),
            en_e = escape(&en),
            code_e = escape(code),
        ),
    ))
}

/// What a module encodes, as people read a standard's table.
fn describe(m: &model::ModuleMetadata) -> String {
    let indicators: String = m.indicators.iter().map(indicator_rows).collect();
    let attributes: String = m
        .attributes
        .iter()
        .map(|a| {
            let values = match &a.values {
                model::AttributeValues::Choice(choices) => choices.join(" / "),
                model::AttributeValues::Number(r) => range_text(*r, ""),
            };
            format!(
                "<tr><td><code>{name}</code></td><td>{description}</td><td>{values}</td><td>{default}</td></tr>",
                name = escape(&a.name),
                description = escape(&a.description),
                values = escape(&values),
                default = escape(a.default_value.as_deref().unwrap_or("—（必填 required）")),
            )
        })
        .collect();
    let prerequisites: String = m
        .prerequisites
        .iter()
        .map(|p| {
            format!(
                "<li>{}{}</li>",
                escape(&p.standard),
                condition(p.when.as_ref())
            )
        })
        .collect();
    let notes: String = m
        .notes
        .iter()
        .map(|n| format!("<li>{}</li>", escape(n)))
        .collect();
    let grades = GradeLevel::ALL
        .iter()
        .map(|g| format!("<th>{g}</th>"))
        .collect::<String>();
    format!(
        "<p>{standard} {title} · {level:?}</p>\
         <h3>指标 Indicators</h3><p class=\"muted\">{legend}</p>\
         <div class=\"scroll\"><table class=\"ladder\"><tr><th>指标 Indicator</th>{grades}<th>底线 Floors</th></tr>{indicators}</table></div>\
         <h3>合格前提 Prerequisites (合格)</h3><ul>{prerequisites}</ul>\
         <h3>属性 Attributes</h3><div class=\"scroll\"><table><tr><th>属性</th><th>说明 Meaning</th><th>取值 Values</th><th>默认 Default</th></tr>{attributes}</table></div>\
         <h3>说明 Notes</h3><ul>{notes}</ul>",
        standard = escape(&m.standard.code),
        title = escape(&m.standard.title),
        level = m.standard.level,
        legend = [Basis::Verified, Basis::Baseline, Basis::Approximate]
            .map(|b| format!("{} {}", basis_mark(b), basis_words(b)))
            .join(" · "),
    )
}

/// An indicator's rows: one per condition its ladder depends on (one row when none).
fn indicator_rows(i: &model::Indicator) -> String {
    let mut conditions = i.ladders();
    if conditions.is_empty() {
        conditions.push(None);
    }
    let valid = i
        .valid
        .map(|r| {
            format!(
                "<br><span class=\"muted\">有效范围 valid {}</span>",
                escape(&range_text(r, &i.unit))
            )
        })
        .unwrap_or_default();
    let group = i
        .group
        .map(|g| format!("<br><span class=\"muted\">{}</span>", g.title()))
        .unwrap_or_default();
    conditions
        .iter()
        .enumerate()
        .map(|(n, when)| {
            let applies = |r: &&Rule| r.when.as_ref() == *when;
            let steps: String = GradeLevel::ALL
                .iter()
                .map(|g| {
                    let cell: String = i
                        .rules
                        .iter()
                        .filter(applies)
                        .filter(|r| r.grade == Some(*g))
                        .map(|r| number(r, &i.unit))
                        .collect();
                    format!("<td>{cell}</td>")
                })
                .collect();
            let floors: Vec<String> = i
                .rules
                .iter()
                .filter(applies)
                .filter(|r| r.grade.is_none())
                .map(|r| number(r, &i.unit))
                .collect();
            let name = if n == 0 {
                format!(
                    "{zh}<br><span class=\"muted\">{en} · <code>{id}</code>{unit}</span>{valid}{group}",
                    zh = escape(&i.name_zh),
                    en = escape(&i.name_en),
                    id = escape(&i.id),
                    unit = if i.unit.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", escape(&i.unit))
                    },
                )
            } else {
                String::new()
            };
            format!(
                "<tr data-indicator=\"{id}\"><td>{name}{when}</td>{steps}<td>{floors}</td></tr>",
                id = escape(&i.id),
                when = condition(*when),
                floors = floors.join("<br>"),
            )
        })
        .collect()
}

/// A threshold with the mark of its basis.
fn number(rule: &Rule, unit: &str) -> String {
    format!(
        "<span class=\"basis-{b:?}\">{text} {mark}</span>",
        b = rule.basis,
        text = escape(&bound_text(rule.bound, unit)),
        mark = basis_mark(rule.basis),
    )
}

fn condition(when: Option<&model::Condition>) -> String {
    when.map(|c| {
        format!(
            "<br><span class=\"muted\">当 when {} = {}</span>",
            escape(&c.attribute),
            escape(&c.value)
        )
    })
    .unwrap_or_default()
}

fn basis_mark(basis: Basis) -> &'static str {
    match basis {
        Basis::Verified => "<abbr class=\"verified\" title=\"已核实 verified\">✓</abbr>",
        Basis::Baseline => "<abbr class=\"baseline\" title=\"基线 baseline\">▪</abbr>",
        Basis::Approximate => {
            "<abbr class=\"approx\" title=\"近似阈值 approximate threshold\">≈</abbr>"
        }
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
