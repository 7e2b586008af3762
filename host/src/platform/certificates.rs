//! Gradings that become certificates, revocation, and the public views of them.

mod lifecycle;
mod page;
mod record;
pub(super) mod rows;

pub use lifecycle::superseded;
pub use page::{Cursor, Filter, MAX_PAGE, PAGE, Page};
pub use record::{Certificate, Revocation, RevocationReason};
pub use rows::query_plans;

use serde_json::Value;

use super::{
    Account, Platform, PlatformError, Role,
    accounts::{check_text, require},
    credit_code, gtin,
    idempotency::{Answer, IdempotencyKey, StoredAnswer},
    issuer,
};
use crate::{
    clock,
    grading::{self, GradeError, Graded, Submission},
    model,
    registry::log,
    text::Shape,
    wire::{self, GradedBody, GradingRequest},
};

/// How long a certificate is valid, in years from its grading date.
const VALID_YEARS: i16 = 3;

/// Longest enterprise name.
pub const MAX_ENTERPRISE: usize = 200;
/// Longest model.
pub const MAX_MODEL: usize = 100;
/// Most GTINs, and most codes, one label covers.
pub const MAX_IDENTIFIERS: usize = 100;
/// Longest revocation note.
pub const MAX_NOTE: usize = 2_000;

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

impl Platform {
    /// Grade a request (lab only) with the module the catalog resolves for the
    /// platform's own calendar day. A grade becomes a certificate, committed (with its
    /// log leaf) before this returns.
    pub async fn grade(
        &self,
        by: &Account,
        request: &GradingRequest,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<GradingOutcome, PlatformError> {
        require(by, &[Role::Lab], "submit gradings")?;
        let enterprise_name = not_empty(&request.enterprise.name, "enterprise.name")?;
        check_text(
            "enterprise.name",
            &enterprise_name,
            Shape::Line,
            MAX_ENTERPRISE,
        )?;
        let credit = not_empty(&request.enterprise.credit_code, "enterprise.credit_code")?;
        if let Some(problem) = credit_code::check(&credit) {
            return Err(PlatformError::field(
                "enterprise.credit_code",
                format!("{:?}: {problem}", crate::text::printable(&credit)),
            ));
        }
        let model = not_empty(&request.model, "model")?;
        check_text("model", &model, Shape::Line, MAX_MODEL)?;
        let (gtin, codes) = identifiers(request)?;
        // The platform grades as of its own calendar day: the report-age rule, the
        // catalog revision and the expiry all follow it, so a client cannot choose it.
        let on = self.clock.today();
        if let Some(d) = &request.date
            && model::Date::parse(d) != Some(on)
        {
            return Err(PlatformError::field(
                "date",
                format!(
                    "the platform grades as of its own calendar day (China time), {on}; {} is not that day (leave date out)",
                    crate::text::printable(d)
                ),
            ));
        }
        let submission = Submission::from_value(&Value::Object(request.submission.clone()))?;
        let resolved = self.resolve(&submission.product, on).await?;
        let graded = self
            .grade_current(resolved.module.clone(), &submission, on)
            .await?;
        let Some(grade) = graded.grade else {
            return Ok(GradingOutcome::NotGraded(Box::new(graded)));
        };
        let report = submission
            .report
            .as_ref()
            .ok_or_else(|| PlatformError::Internal("graded without a report".into()))?;
        let expires = on
            .years_after(VALID_YEARS)
            .ok_or_else(|| PlatformError::Internal(format!("no expiry for {on}")))?;

        let draft = Certificate {
            number: String::new(),
            product: submission.product.clone(),
            grade,
            enterprise: enterprise_name,
            credit_code: credit,
            model,
            gtin,
            codes,
            lab: by.id.clone(),
            testing_body: report.body.clone(),
            report_number: report.number.clone(),
            report_date: report.date,
            module_version: resolved.version.clone(),
            module_digest: resolved.digest.clone(),
            standard: resolved.standard.clone(),
            catalog_revision: resolved.revision,
            fuel: graded.fuel,
            graded_on: on,
            expires_on: expires,
            revocation: None,
            submission: submission.to_json(),
            outcome: wire::to_value(&GradedBody::from(&graded)),
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
        if !issuer::shaped_as_number(number) {
            return Err(no_certificate(number));
        }
        rows::by_number(self.registry.pool(), number)
            .await?
            .ok_or_else(|| no_certificate(number))
    }

    /// A page of the certificates `filter` selects, newest first (the latest expiry
    /// first, then the latest issued), continued after `after`; the status is the
    /// platform's today's.
    pub async fn certificates(
        &self,
        filter: &Filter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Page<Certificate>, PlatformError> {
        rows::page(self.registry.pool(), filter, self.today(), after, limit).await
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
        let status = rows::stored_status(&mut *tx, number)
            .await?
            .ok_or_else(|| no_certificate(number))?;
        if status == "revoked" {
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
        revoke_in(&mut tx, number, &revocation).await?;
        let revoked = rows::by_number(&mut *tx, number)
            .await?
            .ok_or_else(|| no_certificate(number))?;
        if let Some(key) = &idempotency {
            key.store(&mut tx, 200, &wire::to_value(&revoked.body(self.today())))
                .await?;
        }
        tx.commit().await?;
        self.public_changed().await;
        Ok(Answer::New(revoked))
    }

    /// A page of the exposure list: revoked certificates and the enterprises behind
    /// them, the latest revocation first.
    pub async fn exposure(
        &self,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Page<Certificate>, PlatformError> {
        rows::revoked(self.registry.pool(), after, limit).await
    }

    /// One enterprise's record: its certificates counted by status today (and a name they
    /// carry), and a page of them, newest first; a 404 for a credit code with no
    /// certificate, a 422 for one that is not a credit code.
    pub async fn enterprise(
        &self,
        credit_code: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<(wire::EnterpriseCounts, Page<Certificate>), PlatformError> {
        if let Some(problem) = credit_code::check(credit_code) {
            return Err(PlatformError::field("credit_code", problem));
        }
        let counts = rows::enterprise_counts(self.registry.pool(), credit_code, self.today())
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(format!("no certificate of enterprise {credit_code}"))
            })?;
        let filter = Filter {
            enterprise: Some(credit_code.to_string()),
            ..Filter::default()
        };
        Ok((counts, self.certificates(&filter, after, limit).await?))
    }

    /// The exposure list by enterprise (for joint-punishment systems): every enterprise with
    /// a revoked certificate, the latest revocation first.
    pub async fn exposed_enterprises(&self) -> Result<Vec<wire::ExposedEnterprise>, PlatformError> {
        rows::exposed_enterprises(self.registry.pool()).await
    }

    /// Valid certificates on the platform's day per product and grade, kept as
    /// certificates are issued and revoked, and shared by every reader for up to
    /// [`super::HOT_TTL`] (`hot.rs`).
    pub async fn statistics(
        &self,
    ) -> Result<std::sync::Arc<Vec<(String, String, i64)>>, PlatformError> {
        self.statistics
            .get(|| rows::statistics(self.registry.pool(), self.today()))
            .await
    }

    /// A revocation, catalog revision or publish by this process: what is shared between
    /// public readers is not served again (`hot.rs`, `http/public_cache.rs`).
    pub(super) async fn public_changed(&self) {
        self.statistics.clear().await;
        self.public_generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Moves with every [`Platform::public_changed`]: a public answer kept under an
    /// earlier generation is not served.
    pub fn public_generation(&self) -> u64 {
        self.public_generation
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Grade `submission` with `module` as of `on` (on a blocking thread), from a current
    /// third-party report only: a missing or stale report is a request to fix (a 422
    /// naming `report` or `report.date`), not a result to record.
    pub(super) async fn grade_current(
        &self,
        module: std::sync::Arc<crate::runtime::GradingModule>,
        submission: &Submission,
        on: model::Date,
    ) -> Result<Graded, PlatformError> {
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
        match graded.reason.as_ref().map(|r| &r.cause) {
            Some(model::NotGraded::StaleReport(_)) => Err(PlatformError::field(
                "report.date",
                graded.reason.map(|r| r.message).unwrap_or_default(),
            )),
            Some(model::NotGraded::NoReport) => Err(PlatformError::field(
                "report",
                "a grading needs the third-party test report (body, number, date)",
            )),
            _ => Ok(graded),
        }
    }
}

/// Revoke certificate `number` (not revoked yet) inside `tx`: its leaf, its row, its count.
pub(super) async fn revoke_in(
    tx: &mut sqlx::AnyConnection,
    number: &str,
    revocation: &Revocation,
) -> Result<u64, PlatformError> {
    let index = log::append(&mut *tx, &[revocation.event(number)]).await?[0];
    rows::mark_revoked(tx, number, revocation, index).await?;
    Ok(index)
}

pub(super) fn no_certificate(number: &str) -> PlatformError {
    PlatformError::NotFound(format!("no certificate {}", crate::text::printable(number)))
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

/// The request's GTINs in their 14-digit form and its codes, each checked (a 422 naming
/// `gtin[i]` or `codes[i]`).
fn identifiers(request: &GradingRequest) -> Result<(Vec<String>, Vec<String>), PlatformError> {
    for (field, list) in [("gtin", &request.gtin), ("codes", &request.codes)] {
        if list.len() > MAX_IDENTIFIERS {
            return Err(PlatformError::field(
                field,
                format!(
                    "{field} lists {}; a label covers at most {MAX_IDENTIFIERS}",
                    list.len()
                ),
            ));
        }
    }
    let mut gtins: Vec<String> = Vec::with_capacity(request.gtin.len());
    for (i, text) in request.gtin.iter().enumerate() {
        let field = format!("gtin[{i}]");
        let gtin = gtin::normalize(text).map_err(|m| PlatformError::field(&field, m))?;
        if let Some(first) = gtins.iter().position(|g| *g == gtin) {
            return Err(PlatformError::field(
                &field,
                format!("{gtin} is gtin[{first}] again"),
            ));
        }
        gtins.push(gtin);
    }
    for (i, code) in request.codes.iter().enumerate() {
        let field = format!("codes[{i}]");
        check_text(&field, code, Shape::Line, MAX_MODEL)?;
        not_empty(code, &field)?;
    }
    Ok((gtins, request.codes.clone()))
}

/// The refusal of a GTIN (the request's `gtin[index]`) that a valid certificate of the
/// product already covers.
pub(super) fn gtin_covered(index: usize, gtin: &str, product: &str, by: &str) -> PlatformError {
    PlatformError::Covered {
        certificate: by.into(),
        field: format!("gtin[{index}]"),
        message: format!(
            "GTIN {gtin} is covered by certificate {by}, valid, of {product}: one GTIN, one valid certificate of a product at a time (revoke it, or let it expire, first)"
        ),
    }
}

/// `text` itself, or a 422 naming `path` if it is blank.
pub(super) fn not_empty(text: &str, path: &str) -> Result<String, PlatformError> {
    if text.trim().is_empty() {
        return Err(PlatformError::field(
            path,
            format!("{path} must not be empty"),
        ));
    }
    Ok(text.to_string())
}
