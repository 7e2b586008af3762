//! `qgrade grade-batch FILE`: grade a JSON-lines file of submissions, locally with module
//! files or against a platform with a lab token, one result line per input line. A bad
//! line is reported with its number and the batch goes on.

use std::{
    collections::HashMap,
    io::Write,
    path::PathBuf,
    process::ExitCode,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use anyhow::Context as _;
use clap::Args;
use serde_json::{Value, json};

use super::{exit, run::parse_on};
use crate::{
    grading::{self, GradeError, Submission},
    model,
    runtime::{GradingModule, Sandbox},
    wire::{self, ErrorBody, GradedBody},
};

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The submissions, one JSON object per line.
    file: PathBuf,
    /// Where the modules are, as `<product>.wasm` (local grading).
    #[arg(long, default_value = crate::MODULES_DIR, conflicts_with = "server")]
    modules: PathBuf,
    /// Grade against this platform instead (`http://host:port`); each line is a grading
    /// request (a submission with `enterprise` and `model`).
    #[arg(long, requires = "token")]
    server: Option<String>,
    /// The lab's bearer token for `--server`.
    #[arg(long, env = "QGRADE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The grading date for local grading (default today).
    #[arg(long, value_parser = parse_on)]
    on: Option<model::Date>,
    /// Write the results here instead of standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn run(sandbox: &Sandbox, args: BatchArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let on = args.on.unwrap_or_else(crate::clock::china_today);
    let modules = Mutex::new(HashMap::<
        String,
        Result<std::sync::Arc<GradingModule>, ErrorBody>,
    >::new());
    let grade_line = |number: usize, line: &str| -> Value {
        match &args.server {
            Some(server) => remote(
                server,
                args.token.as_deref().unwrap_or_default(),
                number,
                line,
            ),
            None => local(sandbox, &args.modules, &modules, line, on),
        }
    };

    let results: Vec<Mutex<Option<Value>>> = lines.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    // Drawn on a terminal only (indicatif hides it otherwise), so piped output stays clean.
    let progress = indicatif::ProgressBar::new(lines.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("graded {pos}/{len} ({percent}%), {eta} left")
            .expect("a valid template"),
    );
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((number, line)) = lines.get(i) else {
                        break;
                    };
                    let mut result = grade_line(*number, line);
                    result["line"] = json!(number);
                    *results[i].lock().expect("not poisoned") = Some(result);
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish();

    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let (mut graded, mut not_graded, mut errors) = (0, 0, 0);
    for result in results {
        let result = result
            .into_inner()
            .expect("not poisoned")
            .expect("every line was graded");
        if result.get("error").is_some() {
            errors += 1;
        } else if result["grade"].is_null() {
            not_graded += 1;
        } else {
            graded += 1;
        }
        writeln!(out, "{result}")?;
    }
    eprintln!("{graded} graded, {not_graded} not graded, {errors} errors");
    Ok(ExitCode::from(if errors == 0 {
        exit::OK
    } else {
        exit::INVALID
    }))
}

fn local(
    sandbox: &Sandbox,
    dir: &std::path::Path,
    modules: &Mutex<HashMap<String, Result<std::sync::Arc<GradingModule>, ErrorBody>>>,
    line: &str,
    on: model::Date,
) -> Value {
    let submission = match Submission::from_json(line) {
        Ok(s) => s,
        Err(e) => return ErrorBody::from(&e).to_value(),
    };
    let module = {
        let mut modules = modules.lock().expect("not poisoned");
        modules
            .entry(submission.product.clone())
            .or_insert_with(|| {
                let path = dir.join(format!("{}.wasm", submission.product));
                std::fs::read(&path)
                    .map_err(|e| {
                        let message = format!(
                            "no module for product {:?} ({}: {e})",
                            submission.product,
                            path.display()
                        );
                        ErrorBody::new("unknown_product", message, Some("product".into()))
                    })
                    .and_then(|bytes| {
                        GradingModule::load(sandbox, &bytes).map_err(|e| {
                            let message = format!("{}: {e}", path.display());
                            ErrorBody::new("invalid_module", message, None)
                        })
                    })
                    .map(std::sync::Arc::new)
            })
            .clone()
    };
    let module = match module {
        Ok(m) => m,
        Err(error) => return error.to_value(),
    };
    match grading::grade(sandbox, &module, &submission, on) {
        Ok(graded) => wire::to_value(&GradedBody::from(&graded)),
        Err(GradeError::Invalid(e)) => ErrorBody::from(&e).to_value(),
        Err(GradeError::Sandbox(e)) => ErrorBody::from(&e).to_value(),
    }
}

/// How many times a line is sent while the platform answers 503 (busy, overloaded, timed
/// out), waiting as its `Retry-After` says (at most [`MOST_WAIT`] seconds) between tries.
const ATTEMPTS: u32 = 5;
const MOST_WAIT: u64 = 5;

/// Send one line to the platform. Every try carries the same `Idempotency-Key`: a try that
/// timed out may have committed its certificate, and the next one then gets that answer
/// back instead of a second certificate or a 409.
fn remote(server: &str, token: &str, number: usize, line: &str) -> Value {
    let request: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            let message = format!("not valid JSON: {e}");
            return ErrorBody::new("invalid_json", message, None).to_value();
        }
    };
    let agent = super::client();
    let url = format!("{}/api/v1/gradings", server.trim_end_matches('/'));
    let key = idempotency_key(number);
    for attempt in 1..=ATTEMPTS {
        let response = agent
            .post(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Idempotency-Key", &key)
            .send_json(&request);
        let mut response = match response {
            Ok(response) => response,
            Err(e) => {
                let message = format!("{url}: {e}");
                return ErrorBody::new("unreachable", message, None).to_value();
            }
        };
        let status = response.status().as_u16();
        let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
        if status == 503 && attempt < ATTEMPTS {
            let wait = response
                .headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(1)
                .min(MOST_WAIT);
            std::thread::sleep(std::time::Duration::from_secs(wait));
            continue;
        }
        return if status == 201 {
            json!({ "grade": body["grade"], "certificate": body["number"], "fuel": body["fuel"] })
        } else if status == 200 {
            json!({ "grade": Value::Null, "reason": body["reason"], "fuel": body["fuel"] })
        } else {
            // The platform's error as it sent it: the same shape as a local line's.
            match body.get("error") {
                Some(error) => json!({ "error": error }),
                None => {
                    let message = format!("{url} answered HTTP {status}");
                    ErrorBody::new("unexpected_status", message, None).to_value()
                }
            }
        };
    }
    unreachable!("the last attempt returns")
}

/// A key no other batch run uses: this process, the time it started, the line.
fn idempotency_key(line: usize) -> String {
    static STARTED: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let started = STARTED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    });
    format!("grade-batch-{}-{started}-{line}", std::process::id())
}
