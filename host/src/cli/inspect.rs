//! `qgrade inspect MODULE`: what a module is, before anyone trusts it.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;
use serde_json::{Value, json};

use super::{exit, read};
use crate::{
    grading::bound_text,
    model,
    model::ModuleDigest,
    runtime::{GradingModule, Sandbox, Structure},
    text::printable,
    wire::ErrorBody,
};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The module component.
    module: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(sandbox: &Sandbox, args: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = read(&args.module)?;
    let module = match GradingModule::load(sandbox, &bytes) {
        Ok(m) => m,
        Err(e) => {
            // A refused module is still described: its size and digest identify it.
            // What it is made of is read without compiling it: the imports and
            // exports that refused it, and the figures the static limits check.
            let read = Structure::read(&bytes).ok();
            let body = json!({
                "error": ErrorBody::from(&e).error,
                "size": bytes.len(),
                "sha256": ModuleDigest::of(&bytes).to_string(),
                "imports": read.as_ref().map(|s| &s.imports),
                "exports": read.as_ref().map(|s| &s.exports),
                "structure": read.as_ref().map(structure),
            });
            if args.json {
                println!("{body}");
            } else {
                eprintln!(
                    "error: {}: {}",
                    args.module.display(),
                    printable(&e.to_string())
                );
                eprintln!(
                    "size {} bytes, sha256 {}",
                    bytes.len(),
                    ModuleDigest::of(&bytes)
                );
                if let Some(read) = &read {
                    for (what, names) in [("imports", &read.imports), ("exports", &read.exports)] {
                        let names: Vec<_> =
                            names.iter().map(|n| printable(n).into_owned()).collect();
                        eprintln!(
                            "{what:<11} {}",
                            if names.is_empty() {
                                "(none)".into()
                            } else {
                                names.join(", ")
                            }
                        );
                    }
                }
            }
            return Ok(ExitCode::from(exit::MODULE));
        }
    };
    let mut description = describe(&module);
    if let Ok(artifact) = crate::artifact::Artifact::parse(bytes.clone()) {
        description["signature"] = match artifact.signature() {
            Some(s) => json!({ "key": s.key.to_string(), "key_id": s.key.key_id() }),
            None => Value::Null,
        };
        description["vectors_bytes"] = json!(artifact.vectors().map(<[u8]>::len));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&description)?);
    } else {
        print_text(&module);
        match &description["signature"]["key_id"] {
            Value::String(id) => println!("signature   ed25519, key id {id}"),
            _ => println!("signature   (unsigned: a bare component, not an artifact)"),
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// The module as JSON: metadata plus identity.
pub fn describe(module: &GradingModule) -> Value {
    let m = module.metadata();
    json!({
        "product": m.product,
        "version": m.version,
        "interface": format!("qgrade:grading@{}", module.interface()),
        "imports": [],
        "exports": module.structure().exports,
        "structure": structure(module.structure()),
        "size": module.size(),
        "sha256": module.digest().to_string(),
        "standard": { "code": m.standard.code, "title": m.standard.title, "level": level(m.standard.level) },
        "grades": m.grades.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "prerequisites": m.prerequisites.iter().map(|p| json!({
            "standard": p.standard,
            "when": p.when.as_ref().map(|c| json!({ c.attribute.clone(): c.value })),
        })).collect::<Vec<_>>(),
        "attributes": m.attributes.iter().map(|a| json!({
            "name": a.name,
            "description": a.description,
            "values": match &a.values {
                model::AttributeValues::Choice(c) => json!(c),
                model::AttributeValues::Number(r) => json!({ "min": r.min, "min_exclusive": r.min_exclusive, "max": finite(r.max) }),
            },
            "default": a.default_value,
        })).collect::<Vec<_>>(),
        "indicators": m.indicators.iter().map(|i| json!({
            "id": i.id,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "unit": i.unit,
            "kind": match i.kind { model::IndicatorKind::Number => "number", model::IndicatorKind::Boolean => "boolean" },
            "direction": direction(i.direction),
            "required": i.required,
            "group": i.group.map(|g| g.as_str()),
            "valid": i.valid.map(|r| json!({ "min": r.min, "min_exclusive": r.min_exclusive, "max": finite(r.max), "step": r.step })),
            "rules": i.rules.iter().map(|r| json!({
                "grade": r.grade.map(|g| g.as_str()),
                "threshold": bound_text(r.bound, &i.unit),
                "basis": basis(r.basis),
                "when": r.when.as_ref().map(|c| json!({ c.attribute.clone(): c.value })),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "notes": m.notes,
    })
}

fn print_text(module: &GradingModule) {
    let m = module.metadata();
    say!("product     {}", m.product);
    say!("version     {}", m.version);
    say!(
        "standard    {} {} ({})",
        m.standard.code,
        m.standard.title,
        level(m.standard.level)
    );
    say!("interface   qgrade:grading@{}", module.interface());
    say!("imports     (none)");
    say!("size        {} bytes", module.size());
    say!("exports     {}", module.structure().exports.join(", "));
    let st = module.structure();
    say!(
        "structure   {} core modules, {} core instances, {} memories, {} functions ({} bytes of code; largest {} bytes, {} locals, nesting {}), data up to {} bytes",
        st.core_modules,
        st.core_instances,
        st.memories,
        st.functions,
        st.code_bytes,
        st.largest_function,
        st.most_locals,
        st.deepest_nesting,
        st.data_end
    );
    say!("sha256      {}", module.digest());
    say!(
        "grades      {}",
        m.grades
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let prerequisites: Vec<String> = m
        .prerequisites
        .iter()
        .map(|p| match &p.when {
            None => p.standard.clone(),
            Some(c) => format!("{} (when {} = {})", p.standard, c.attribute, c.value),
        })
        .collect();
    say!("prerequisites {}", prerequisites.join(", "));
    say!("attributes");
    for a in &m.attributes {
        let values = match &a.values {
            model::AttributeValues::Choice(c) => c.join(" | "),
            model::AttributeValues::Number(r) => format!("number ≥ {}", r.min),
        };
        let default = a
            .default_value
            .as_deref()
            .map(|d| format!(" (default {d})"))
            .unwrap_or_default();
        say!("  {:<16} {values}{default} — {}", a.name, a.description);
    }
    say!("indicators");
    for i in &m.indicators {
        let group = i
            .group
            .map(|g| format!(" · {}", g.title()))
            .unwrap_or_default();
        say!(
            "  {:<20} {} / {} [{}] {}{group}",
            i.id,
            i.name_zh,
            i.name_en,
            i.unit,
            direction(i.direction)
        );
        for r in &i.rules {
            let when = r
                .when
                .as_ref()
                .map(|c| format!(" when {} = {}", c.attribute, c.value))
                .unwrap_or_default();
            let grade = r.grade.map_or("every grade".to_string(), |g| g.to_string());
            say!(
                "      {grade:<12} {}{when} [{}]",
                bound_text(r.bound, &i.unit),
                basis(r.basis)
            );
        }
    }
    for n in &m.notes {
        say!("note: {n}");
    }
}

fn finite(n: f64) -> Option<f64> {
    n.is_finite().then_some(n)
}

fn level(l: model::StandardLevel) -> &'static str {
    match l {
        model::StandardLevel::National => "national",
        model::StandardLevel::Industry => "industry",
        model::StandardLevel::Group => "group",
    }
}

fn direction(d: model::Direction) -> &'static str {
    match d {
        model::Direction::HigherBetter => "higher is better",
        model::Direction::LowerBetter => "lower is better",
        model::Direction::Window => "within a window",
        model::Direction::Pass => "pass/fail",
    }
}

fn basis(b: model::Basis) -> &'static str {
    match b {
        model::Basis::Verified => "verified",
        model::Basis::Baseline => "baseline",
        model::Basis::Approximate => "approximate",
    }
}

/// The figures the static limits check, as JSON.
fn structure(s: &Structure) -> Value {
    json!({
        "core_modules": s.core_modules,
        "core_instances": s.core_instances,
        "memories": s.memories,
        "components": s.components,
        "functions": s.functions,
        "code_bytes": s.code_bytes,
        "largest_function_bytes": s.largest_function,
        "most_locals": s.most_locals,
        "deepest_nesting": s.deepest_nesting,
        "data_end": s.data_end,
        "initial_memory_bytes": s.initial_memory,
    })
}
