//! `qgrade run MODULE SUBMISSION`: grade one submission, as the platform would.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;

use super::{exit, load, read};
use crate::{
    grading::{self, GradeError, Graded, Invalid, InvalidKind, Subject, Submission},
    model,
    runtime::Sandbox,
    wire::{self, ErrorBody, GradedBody, LocalRun, ModuleLoad},
};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The module component (`target/modules/<product>.wasm`).
    module: PathBuf,
    /// The submission JSON file (`-` for standard input).
    submission: PathBuf,
    /// The grading date, YYYY-MM-DD (default: today).
    #[arg(long, value_parser = parse_on)]
    on: Option<crate::model::Date>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub(super) fn parse_on(text: &str) -> Result<crate::model::Date, String> {
    model::Date::parse(text).ok_or_else(|| format!("{text:?} is not a date of the form YYYY-MM-DD"))
}

pub fn run(sandbox: &Sandbox, args: RunArgs) -> anyhow::Result<ExitCode> {
    let module = match load(sandbox, &args.module)? {
        Ok(m) => m,
        Err(message) => {
            let body = ErrorBody::new("invalid_module", message, None);
            return Ok(fail(args.json, exit::MODULE, &body));
        }
    };
    let text = if args.submission.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?.into_bytes()
    } else {
        read(&args.submission)?
    };
    let result = if text.len() > sandbox.limits().submission_bytes {
        Err(GradeError::Invalid(Invalid::new(
            InvalidKind::TooLarge,
            Subject::Submission,
            format!(
                "the submission is {} bytes; the limit is {}",
                text.len(),
                sandbox.limits().submission_bytes
            ),
        )))
    } else {
        match std::str::from_utf8(&text) {
            Ok(text) => Submission::from_json(text).map_err(GradeError::from),
            Err(_) => Err(GradeError::Invalid(Invalid::new(
                InvalidKind::InvalidJson,
                Subject::Submission,
                "the submission is not UTF-8 text",
            ))),
        }
        .and_then(|s| {
            grading::grade(
                sandbox,
                &module,
                &s,
                args.on.unwrap_or_else(crate::clock::china_today),
            )
        })
    };
    match result {
        Ok(graded) => {
            if args.json {
                let run = LocalRun {
                    graded: GradedBody::from(&graded),
                    load: ModuleLoad {
                        from_cache: module.from_cache(),
                        time_us: module.load_time().as_micros() as u64,
                    },
                };
                println!("{}", wire::to_value(&run));
            } else {
                print_table(&module, &graded);
            }
            Ok(ExitCode::from(exit::OK))
        }
        Err(GradeError::Invalid(invalid)) => {
            Ok(fail(args.json, exit::INVALID, &ErrorBody::from(&invalid)))
        }
        Err(GradeError::Sandbox(e)) => Ok(fail(args.json, exit::MODULE, &ErrorBody::from(&e))),
    }
}

/// Print the error as the HTTP API would answer it (`--json`), or as a line for people.
fn fail(json: bool, exit: u8, body: &ErrorBody) -> ExitCode {
    if json {
        println!("{}", body.to_json());
    } else {
        let e = &body.error;
        eprintln!("error: {}: {}", e.code, crate::text::printable(&e.message));
    }
    ExitCode::from(exit)
}

fn print_table(module: &crate::runtime::GradingModule, g: &Graded) {
    let m = module.metadata();
    say!(
        "{} {} — {} {}",
        g.product,
        g.version,
        m.standard.code,
        m.standard.title
    );
    say!("module sha256 {}", g.digest);
    say!("grading date {}", g.on);
    match (&g.grade, &g.reason) {
        (Some(grade), _) => {
            println!();
            say!("grade: {grade}");
            println!();
        }
        (None, Some(r)) => {
            println!();
            say!("not graded: {}", r.message);
            println!();
        }
        (None, None) => println!("\nnot graded\n"),
    }
    for (o, ind) in g.indicators.iter().zip(&m.indicators) {
        let value = match o.value {
            Some(grading::MeasuredValue::Number(n)) => format!("{n} {}", ind.unit),
            Some(grading::MeasuredValue::Boolean(b)) => {
                if b {
                    "pass".into()
                } else {
                    "fail".into()
                }
            }
            None => "—".into(),
        };
        say!(
            "  {:<20} {:<12} {:>14}  {:<12} {}",
            ind.id,
            ind.name_zh,
            value,
            o.result,
            o.threshold
                .as_deref()
                .map(|t| format!("({t})"))
                .unwrap_or_default()
        );
    }
    println!();
    say!(
        "fuel {} · peak memory {} KiB · in {} B · out {} B · {} µs (module {} in {} µs{})",
        g.fuel,
        g.peak_memory >> 10,
        g.input_bytes,
        g.output_bytes,
        g.elapsed.as_micros(),
        if module.from_cache() {
            "loaded"
        } else {
            "compiled"
        },
        module.load_time().as_micros(),
        if module.from_cache() {
            ", from the cache"
        } else {
            ""
        },
    );
}
