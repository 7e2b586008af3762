//! Gradings that become certificates, revocation, and the public views of them.

use serde_json::{Map, Value, json};
use sqlx::Row;

use super::{
    Account, Platform, PlatformError, Role,
    accounts::{check_text, require},
    credit_code,
    idempotency::{Answer, IdempotencyKey, StoredAnswer},
};
use crate::{
    clock,
    grading::{self, GradeError, Graded, Submission, parse_date},
    registry::log::{self, Entry},
    runtime::interface::api,
    text::Shape,
};

/// How long a certificate is valid, in years from its grading date.
const VALID_YEARS: i16 = 3;

/// Longest enterprise name.
pub const MAX_ENTERPRISE: usize = 200;
/// Longest model.
pub const MAX_MODEL: usize = 100;
/// Longest revocation note.
pub const MAX_NOTE: usize = 2_000;

/// Why a certificate was revoked (the scheme's named violations, or other).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationReason {
    /// Falsified data (弄虚作假).
    FalsifiedData,
    /// A label that claims more than the grade (低级高标).
    OverstatedLabel,
    /// Any other reason, stated in the note.
    Other,
}

impl RevocationReason {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::FalsifiedData => "falsified_data",
            RevocationReason::OverstatedLabel => "overstated_label",
            RevocationReason::Other => "other",
        }
    }

    /// The reason with this name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            RevocationReason::FalsifiedData,
            RevocationReason::OverstatedLabel,
            RevocationReason::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    /// The reason in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            RevocationReason::FalsifiedData => "弄虚作假",
            RevocationReason::OverstatedLabel => "低级高标",
            RevocationReason::Other => "其他",
        }
    }
}

/// A revocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Why.
    pub reason: RevocationReason,
    /// The inspector's note.
    pub note: String,
    /// When (UTC).
    pub at: String,
    /// The inspector's account.
    pub by: String,
}

impl Revocation {
    /// Everything the revocation of certificate `number` says, as its log leaf records it.
    pub fn record(&self, number: &str) -> Value {
        json!({
            "number": number,
            "reason": self.reason.as_str(),
            "note": self.note,
            "at": self.at,
            "by": self.by,
        })
    }

    /// The revocation of certificate `number`, as a log event.
    pub fn event(&self, number: &str) -> log::Event {
        log::Event {
            kind: "certificate.revoke",
            actor: self.by.clone(),
            subject: number.into(),
            at: self.at.clone(),
            body: self.record(number).into(),
        }
    }
}

/// A certificate as stored: everything needed to show it and to replay its grading.
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// Its number, unique across every server process.
    pub number: String,
    /// The product code.
    pub product: String,
    /// The grade.
    pub grade: String,
    /// The enterprise's name.
    pub enterprise: String,
    /// Its unified social credit code.
    pub credit_code: String,
    /// The product model.
    pub model: String,
    /// The lab account that submitted it.
    pub lab: String,
    /// The testing body named in the report.
    pub testing_body: String,
    /// The report's number.
    pub report_number: String,
    /// The report's date.
    pub report_date: String,
    /// The module version.
    pub module_version: String,
    /// The module's SHA-256.
    pub module_digest: String,
    /// The standard's code.
    pub standard: String,
    /// The catalog revision it was graded under.
    pub catalog_revision: u32,
    /// Fuel the grading consumed.
    pub fuel: u64,
    /// The grading date.
    pub graded_on: String,
    /// The last day it is valid.
    pub expires_on: String,
    /// The revocation, if revoked.
    pub revocation: Option<Revocation>,
    /// The submission as JSON.
    pub submission: Value,
    /// The grading result as JSON (indicators, fuel).
    pub outcome: Value,
    /// When it was issued (UTC).
    pub issued_at: String,
    /// Its leaf in the transparency log, once issued.
    pub log_index: Option<u64>,
    /// The leaf of its revocation, if revoked.
    pub revocation_log_index: Option<u64>,
}

impl Certificate {
    /// `valid`, `revoked` or `expired`, as of `today`.
    pub fn status(&self, today: api::Date) -> &'static str {
        if self.revocation.is_some() {
            "revoked"
        } else if self.expires_on < today.to_string() {
            "expired"
        } else {
            "valid"
        }
    }

    /// Everything the certificate says, as its log leaf's body records it: every stored
    /// field but its number and issue time (the leaf's subject and time), its sequence
    /// and its status (a revocation is a leaf of its own). Known before the certificate is
    /// numbered, so the request that carries it can encode it.
    pub fn record(&self) -> Value {
        json!({
            "product": self.product,
            "grade": self.grade,
            "enterprise": { "name": self.enterprise, "credit_code": self.credit_code },
            "model": self.model,
            "lab": self.lab,
            "testing_body": self.testing_body,
            "report": { "number": self.report_number, "date": self.report_date },
            "module": { "version": self.module_version, "sha256": self.module_digest },
            "standard": self.standard,
            "catalog_revision": self.catalog_revision,
            "fuel": self.fuel,
            "graded_on": self.graded_on,
            "expires_on": self.expires_on,
            "submission": self.submission,
            "outcome": self.outcome,
        })
    }

    /// Its issue, as a log event: the leaf's subject is its number, its time the issue
    /// time, its body [`Certificate::record`] (or that record encoded beforehand).
    pub fn issue_event(&self, body: Option<Vec<u8>>) -> log::Event {
        log::Event {
            kind: "certificate.issue",
            actor: self.lab.clone(),
            subject: self.number.clone(),
            at: self.issued_at.clone(),
            body: match body {
                Some(encoded) => log::Body::Encoded(encoded),
                None => self.record().into(),
            },
        }
    }

    /// The certificate as the API shows it, with its status as of `today`.
    pub fn to_json(&self, today: api::Date) -> Value {
        json!({
            "number": self.number,
            "status": self.status(today),
            "grade": self.grade,
            "product": self.product,
            "enterprise": { "name": self.enterprise, "credit_code": self.credit_code },
            "model": self.model,
            "lab": self.lab,
            "testing_body": self.testing_body,
            "report": { "number": self.report_number, "date": self.report_date },
            "module": { "product": self.product, "version": self.module_version, "sha256": self.module_digest },
            "standard": self.standard,
            "catalog_revision": self.catalog_revision,
            "fuel": self.fuel,
            "graded_on": self.graded_on,
            "expires_on": self.expires_on,
            "revocation": self.revocation.as_ref().map(|r| json!({
                "reason": r.reason.as_str(),
                "reason_zh": r.reason.zh(),
                "note": r.note,
                "at": r.at,
                "by": r.by,
            })),
            "indicators": self.outcome["indicators"],
            "log": {
                "index": self.log_index,
                "revocation_index": self.revocation_log_index,
            },
        })
    }
}

/// What a grading request produced.
#[derive(Debug)]
pub enum GradingOutcome {
    /// Graded: the certificate, committed.
    Certified(Box<Certificate>),
    /// Qualified-looking but not graded: the result, with its reason. No certificate.
    NotGraded(Box<Graded>),
    /// The first answer to a request with the same Idempotency-Key.
    Replayed(StoredAnswer),
}

/// The fields of a grading request beside the submission.
const REQUEST_FIELDS: &[&str] = &["enterprise", "model", "date"];

impl Platform {
    /// Grade a request (lab only): `{ "enterprise": { "name", "credit_code" }, "model",
    /// "date"?, …the submission's fields… }`, with the module the catalog resolves for
    /// the platform's own calendar day. A grade becomes a certificate, committed (with its
    /// log leaf) before this returns.
    pub async fn grade(
        &self,
        by: &Account,
        request: &Value,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<GradingOutcome, PlatformError> {
        require(by, &[Role::Lab], "submit gradings")?;
        let Value::Object(fields) = request else {
            return Err(PlatformError::field(
                "",
                "a grading request is a JSON object",
            ));
        };
        let enterprise = fields
            .get("enterprise")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                PlatformError::field("enterprise", "enterprise { name, credit_code } is required")
            })?;
        let enterprise_name = text(enterprise, "name", "enterprise.name")?;
        check_text(
            "enterprise.name",
            &enterprise_name,
            Shape::Line,
            MAX_ENTERPRISE,
        )?;
        let credit = text(enterprise, "credit_code", "enterprise.credit_code")?;
        if let Some(problem) = credit_code::check(&credit) {
            return Err(PlatformError::field(
                "enterprise.credit_code",
                format!("{:?}: {problem}", crate::text::printable(&credit)),
            ));
        }
        let model = text(fields, "model", "model")?;
        check_text("model", &model, Shape::Line, MAX_MODEL)?;
        // The platform grades as of its own calendar day: the report-age rule, the
        // catalog revision and the expiry all follow it, so a client cannot choose it.
        let on = self.clock.today();
        match fields.get("date") {
            None | Some(Value::Null) => {}
            Some(Value::String(d)) if parse_date(d) == Some(on) => {}
            Some(Value::String(d)) => {
                return Err(PlatformError::field(
                    "date",
                    format!(
                        "the platform grades as of its own calendar day (China time), {on}; {} is not that day (leave date out)",
                        crate::text::printable(d)
                    ),
                ));
            }
            Some(_) => return Err(PlatformError::field("date", "date is a string YYYY-MM-DD")),
        }
        let submission_json: Map<String, Value> = fields
            .iter()
            .filter(|(k, _)| !REQUEST_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let submission = Submission::from_value(&Value::Object(submission_json))?;
        let resolved = self.resolve(&submission.product, on).await?;
        let module = resolved.module.clone();
        let sandbox = self.sandbox.clone();
        let graded = {
            let submission = submission.clone();
            tokio::task::spawn_blocking(move || grading::grade(&sandbox, &module, &submission, on))
                .await
                .map_err(|e| PlatformError::Internal(format!("grading task: {e}")))?
        };
        let graded = match graded {
            Ok(g) => {
                self.metrics.record_grading(g.elapsed);
                g
            }
            Err(GradeError::Invalid(invalid)) => return Err(invalid.into()),
            Err(GradeError::Sandbox(e)) => return Err(e.into()),
        };
        let Some(grade) = graded.grade else {
            // The platform certifies from a current third-party report only: a missing or
            // stale one is a request to fix, not a result to record.
            return match graded.reason.as_ref().map(|r| r.kind) {
                Some("stale_report") => Err(PlatformError::field(
                    "report.date",
                    graded.reason.map(|r| r.message).unwrap_or_default(),
                )),
                Some("no_report") => Err(PlatformError::field(
                    "report",
                    "a grading needs the third-party test report (body, number, date)",
                )),
                _ => Ok(GradingOutcome::NotGraded(Box::new(graded))),
            };
        };
        let report = submission
            .report
            .as_ref()
            .ok_or_else(|| PlatformError::Internal("graded without a report".into()))?;
        let expires = clock::years_after(on, VALID_YEARS)
            .ok_or_else(|| PlatformError::Internal(format!("no expiry for {on}")))?;

        let draft = Certificate {
            number: String::new(),
            product: submission.product.clone(),
            grade: grade.to_string(),
            enterprise: enterprise_name,
            credit_code: credit,
            model,
            lab: by.id.clone(),
            testing_body: report.body.clone(),
            report_number: report.number.clone(),
            report_date: report.date.to_string(),
            module_version: resolved.version.clone(),
            module_digest: resolved.digest.clone(),
            standard: resolved.standard.clone(),
            catalog_revision: resolved.revision,
            fuel: graded.fuel,
            graded_on: on.to_string(),
            expires_on: expires.to_string(),
            revocation: None,
            submission: submission.to_json(),
            outcome: graded.to_json(),
            issued_at: String::new(),
            log_index: None,
            revocation_log_index: None,
        };
        Ok(match self.issuer.issue(draft, idempotency).await? {
            Answer::New(certificate) => GradingOutcome::Certified(Box::new(certificate)),
            Answer::Replayed(answer) => GradingOutcome::Replayed(answer),
        })
    }

    /// One certificate.
    pub async fn certificate(&self, number: &str) -> Result<Certificate, PlatformError> {
        let row = sqlx::query(SELECT_CERTIFICATE_BY_NUMBER)
            .bind(number)
            .fetch_optional(self.registry.pool())
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(format!(
                    "no certificate {}",
                    crate::text::printable(number)
                ))
            })?;
        from_row(&row)
    }

    /// Certificates matching every given filter, newest first (at most `limit`). The
    /// enterprise is matched by credit code or by exact name.
    pub async fn certificates(
        &self,
        product: Option<&str>,
        enterprise: Option<&str>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Certificate>, PlatformError> {
        if let Some(s) = status
            && !["valid", "revoked", "expired"].contains(&s)
        {
            return Err(PlatformError::field(
                "status",
                "status is valid, revoked or expired",
            ));
        }
        let rows = sqlx::query(SELECT_CERTIFICATES)
            .bind(product.map(str::to_string))
            .bind(enterprise.map(str::to_string))
            .bind(limit.clamp(1, 1000))
            .fetch_all(self.registry.pool())
            .await?;
        let all = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let today = self.today();
        Ok(all
            .into_iter()
            .filter(|c| status.is_none_or(|s| c.status(today) == s))
            .collect())
    }

    /// Revoke a certificate (inspector only). It stays readable, with its revocation,
    /// which is a leaf of the log.
    pub async fn revoke(
        &self,
        by: &Account,
        number: &str,
        reason: RevocationReason,
        note: &str,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Answer<Certificate>, PlatformError> {
        require(by, &[Role::Inspector], "revoke certificates")?;
        check_text("note", note, Shape::Paragraph, MAX_NOTE)?;
        if reason == RevocationReason::Other && note.trim().is_empty() {
            return Err(PlatformError::field(
                "note",
                "a revocation for another reason needs a note saying which",
            ));
        }
        let mut tx = self.registry.write().await?;
        if let Some(key) = &idempotency
            && let Some(answer) = key.stored(&mut tx).await?
        {
            return Ok(Answer::Replayed(answer));
        }
        let row = sqlx::query("SELECT status FROM certificates WHERE number = $1")
            .bind(number)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(format!(
                    "no certificate {}",
                    crate::text::printable(number)
                ))
            })?;
        if row.try_get::<String, _>("status")? == "revoked" {
            return Err(PlatformError::Conflict(format!(
                "certificate {number} is already revoked"
            )));
        }
        let revocation = Revocation {
            reason,
            note: note.into(),
            at: clock::now(),
            by: by.id.clone(),
        };
        let index = log::append(&mut tx, &[revocation.event(number)]).await?[0];
        sqlx::query(
            "UPDATE certificates SET status = 'revoked', revoked_reason = $1, revoked_note = $2, revoked_at = $3, revoked_by = $4, revocation_log_index = $5 WHERE number = $6",
        )
        .bind(reason.as_str())
        .bind(note)
        .bind(&revocation.at)
        .bind(&by.id)
        .bind(index as i64)
        .bind(number)
        .execute(&mut *tx)
        .await?;
        let revoked = from_row(
            &sqlx::query(SELECT_CERTIFICATE_BY_NUMBER)
                .bind(number)
                .fetch_one(&mut *tx)
                .await?,
        )?;
        if let Some(key) = &idempotency {
            key.store(&mut tx, 200, &revoked.to_json(self.today()))
                .await?;
        }
        tx.commit().await?;
        Ok(Answer::New(revoked))
    }

    /// The exposure list: revoked certificates and the enterprises behind them.
    pub async fn exposure(&self) -> Result<Vec<Certificate>, PlatformError> {
        let rows = sqlx::query(SELECT_REVOKED)
            .fetch_all(self.registry.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Valid certificates per product and grade.
    pub async fn statistics(&self) -> Result<Vec<(String, String, i64)>, PlatformError> {
        let rows = sqlx::query(
            "SELECT product, grade, COUNT(*) AS n FROM certificates WHERE status = 'valid' GROUP BY product, grade ORDER BY product, grade",
        )
        .fetch_all(self.registry.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("product")?, r.try_get("grade")?, r.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(PlatformError::from)
    }
}

/// The refusal of a second certificate on a report that already backs one.
pub(super) fn report_used(body: &str, number: &str, certificate: &str) -> PlatformError {
    PlatformError::AlreadyCertified {
        certificate: certificate.into(),
        message: format!(
            "report {} of {} already backs certificate {certificate}: one test report, one certificate (a new report is a new grading)",
            crate::text::printable(number),
            crate::text::printable(body)
        ),
    }
}

/// The columns `from_row` reads, as a literal so that queries stay static strings.
macro_rules! columns {
    () => {
        "number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, revoked_reason, revoked_note, revoked_at, revoked_by, submission, outcome, issued_at, log_index, revocation_log_index, log_entries.leaf AS leaf"
    };
}

/// Certificates with their leaves: a logged certificate's submission and outcome are in
/// its leaf only.
macro_rules! from {
    () => {
        " FROM certificates LEFT JOIN log_entries ON log_entries.idx = certificates.log_index"
    };
}

const SELECT_CERTIFICATE_BY_NUMBER: &str =
    concat!("SELECT ", columns!(), from!(), " WHERE number = $1");
const SELECT_CERTIFICATES: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE ($1 IS NULL OR product = $1) AND ($2 IS NULL OR credit_code = $2 OR enterprise_name = $2) ORDER BY seq DESC LIMIT $3"
);
const SELECT_AFTER_LOG_INDEX: &str = concat!(
    "SELECT status, ",
    columns!(),
    from!(),
    " WHERE log_index > $1 ORDER BY log_index LIMIT $2"
);

/// Certificates (with their `status` column) whose log entry is after `$1`, in log
/// order, at most `$2`: what an audit reads beside the log.
pub(super) fn select_certificates_after() -> &'static str {
    SELECT_AFTER_LOG_INDEX
}

const SELECT_UNLOGGED: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE log_index IS NULL ORDER BY seq LIMIT 500"
);

/// Certificates without a log leaf (issued before the log existed), oldest first.
pub(super) fn select_unlogged() -> &'static str {
    SELECT_UNLOGGED
}

const SELECT_REVOKED: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE status = 'revoked' ORDER BY revoked_at DESC"
);

pub(super) fn from_row(r: &sqlx::any::AnyRow) -> Result<Certificate, PlatformError> {
    read_row(r, false)
}

/// A certificate row as an audit reads it: a submission or outcome that is in neither the
/// row nor a readable leaf is null (the audit reports the leaf), not an error.
pub(super) fn from_row_for_audit(r: &sqlx::any::AnyRow) -> Result<Certificate, PlatformError> {
    read_row(r, true)
}

fn read_row(r: &sqlx::any::AnyRow, lenient: bool) -> Result<Certificate, PlatformError> {
    let number: String = r.try_get("number")?;
    // Read from the leaf once, and only for a logged certificate.
    let mut leaf_body: Option<Value> = None;
    let mut json = |col: &str| -> Result<Value, PlatformError> {
        let text: String = r.try_get(col)?;
        if !text.is_empty() {
            return serde_json::from_str(&text)
                .map_err(|e| PlatformError::Internal(format!("stored {col}: {e}")));
        }
        if leaf_body.is_none() {
            let leaf: Option<Vec<u8>> = r.try_get("leaf")?;
            leaf_body = leaf.as_deref().and_then(Entry::parse).map(|e| e.body);
        }
        match &leaf_body {
            Some(body) => Ok(body[col].clone()),
            None if lenient => Ok(Value::Null),
            None => Err(PlatformError::Internal(format!(
                "certificate {number}: its {col} is in neither its row nor its log leaf"
            ))),
        }
    };
    let submission = json("submission")?;
    let outcome = json("outcome")?;
    let reason: Option<String> = r.try_get("revoked_reason")?;
    let revocation = match reason {
        None => None,
        Some(reason) => Some(Revocation {
            reason: RevocationReason::parse(&reason).ok_or_else(|| {
                PlatformError::Internal(format!("stored revocation reason {reason:?}"))
            })?,
            note: r
                .try_get::<Option<String>, _>("revoked_note")?
                .unwrap_or_default(),
            at: r
                .try_get::<Option<String>, _>("revoked_at")?
                .unwrap_or_default(),
            by: r
                .try_get::<Option<String>, _>("revoked_by")?
                .unwrap_or_default(),
        }),
    };
    Ok(Certificate {
        number,
        product: r.try_get("product")?,
        grade: r.try_get("grade")?,
        enterprise: r.try_get("enterprise_name")?,
        credit_code: r.try_get("credit_code")?,
        model: r.try_get("model")?,
        lab: r.try_get("lab")?,
        testing_body: r.try_get("testing_body")?,
        report_number: r.try_get("report_number")?,
        report_date: r.try_get("report_date")?,
        module_version: r.try_get("module_version")?,
        module_digest: r.try_get("module_digest")?,
        standard: r.try_get("standard")?,
        catalog_revision: r.try_get::<i64, _>("catalog_revision")? as u32,
        fuel: r.try_get::<i64, _>("fuel")? as u64,
        graded_on: r.try_get("graded_on")?,
        expires_on: r.try_get("expires_on")?,
        revocation,
        submission,
        outcome,
        issued_at: r.try_get("issued_at")?,
        log_index: r.try_get::<Option<i64>, _>("log_index")?.map(|i| i as u64),
        revocation_log_index: r
            .try_get::<Option<i64>, _>("revocation_log_index")?
            .map(|i| i as u64),
    })
}

fn text(map: &Map<String, Value>, key: &str, path: &str) -> Result<String, PlatformError> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(PlatformError::field(
            path,
            format!("{path} must not be empty"),
        )),
        None | Some(Value::Null) => Err(PlatformError::field(path, format!("{path} is required"))),
        Some(_) => Err(PlatformError::field(path, format!("{path} is a string"))),
    }
}
