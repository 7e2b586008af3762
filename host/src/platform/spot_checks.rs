//! Spot checks (监督抽查): an inspector records a market sample's test results against the
//! certificate its label names. The platform grades the sample with the exact module that
//! issued the certificate (by digest), as of its own day, and records the finding —
//! consistent, overstated (低级高标: a lower grade, each indicator that fell named) or
//! failed (a floor or prerequisite missed) — as a log leaf (`certificate.spot-check`),
//! public on the certificate's page. An overstated or failed finding revokes the
//! certificate in the same transaction when the inspector asks, or is left for review.
//!
//! The leaf is the record: the `spot_checks` table numbers spot checks and points at their
//! leaves, and what is shown is read back from the leaf.

use serde_json::Value;
use sqlx::Row;

use super::{
    Account, Platform, PlatformError, Revocation, RevocationReason, Role,
    accounts::{check_text, require},
    certificates::{MAX_NOTE, no_certificate, not_empty, revoke_in, rows},
    idempotency::{Answer, IdempotencyKey},
};
use crate::{
    clock,
    grading::Submission,
    registry::log::{self, Entry},
    text::Shape,
    wire::{self, FallenIndicator, Finding, GradedBody, ModuleRef, SpotCheck, SpotCheckRequest},
};

/// Longest sampling place.
const MAX_PLACE: usize = 200;

/// Most spot checks an enterprise's record shows (the API's and the page's): its latest
/// findings, which the record shows whole rather than a page at a time.
pub const FINDINGS: u32 = 100;

/// The log leaf kind of a spot check.
pub const KIND: &str = "certificate.spot-check";

/// Spot checks with their leaves (a WHERE clause follows).
macro_rules! select_leaves {
    () => {
        "SELECT spot_checks.log_index AS idx, log_entries.leaf AS leaf FROM spot_checks JOIN log_entries ON log_entries.idx = spot_checks.log_index"
    };
}

impl Platform {
    /// Record a spot check of certificate `number` (inspectors only), revoking it if the
    /// request asks and the finding is overstated or failed.
    pub async fn spot_check(
        &self,
        by: &Account,
        number: &str,
        request: &SpotCheckRequest,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Answer<SpotCheck>, PlatformError> {
        require(by, &[Role::Inspector], "record spot checks")?;
        check_text(
            "sampled.place",
            &request.sampled.place,
            Shape::Line,
            MAX_PLACE,
        )?;
        not_empty(&request.sampled.place, "sampled.place")?;
        check_text("note", &request.note, Shape::Paragraph, MAX_NOTE)?;
        let today = self.today();
        let certificate = self.certificate(number).await?;
        let sampled = request.sampled.date;
        if sampled > today {
            return Err(PlatformError::field(
                "sampled.date",
                format!("the sample was taken on {sampled}, after the platform's day {today}"),
            ));
        }
        if sampled < certificate.graded_on {
            return Err(PlatformError::field(
                "sampled.date",
                format!(
                    "the sample was taken on {sampled}, before certificate {number} was graded ({})",
                    certificate.graded_on
                ),
            ));
        }
        if crate::model::Date::parse(&request.report.date).is_some_and(|d| d < sampled) {
            return Err(PlatformError::field(
                "report.date",
                format!(
                    "the report is dated {}, before the sample was taken ({sampled})",
                    request.report.date
                ),
            ));
        }
        refuse_unless_valid(number, &certificate.status(today))?;

        // The certificate's submission, with the sample's evidence in place of its own.
        let mut submission = certificate.submission.clone();
        submission["measurements"] = Value::Object(request.measurements.clone());
        submission["report"] = wire::to_value(&request.report);
        if let Some(conformity) = &request.conformity {
            submission["conformity"] = Value::Array(conformity.clone());
        }
        let parsed = Submission::from_value(&submission)?;
        let module = self.module_by_digest(&certificate.module_digest).await?;
        let graded = self.grade_current(module, &parsed, today).await?;
        let body = GradedBody::from(&graded);
        let indicators = wire::to_value(&body.indicators);
        let finding = match graded.grade {
            Some(found) if found >= certificate.grade => Finding::Consistent,
            Some(_) => Finding::Overstated,
            None => Finding::Failed,
        };

        let mut tx = self.registry.write().await?;
        if let Some(key) = &idempotency
            && let Some(answer) = key.stored(&mut tx).await?
        {
            return Ok(Answer::Replayed(answer));
        }
        // Checked again inside the write lock: it may have been revoked meanwhile.
        match rows::stored_status(&mut *tx, number).await?.as_deref() {
            Some("revoked") => refuse_unless_valid(number, &wire::CertificateStatus::Revoked)?,
            None => return Err(no_certificate(number)),
            Some(_) => {}
        }
        let last: Option<i64> = sqlx::query("SELECT MAX(seq) AS last FROM spot_checks")
            .fetch_one(&mut *tx)
            .await?
            .try_get("last")?;
        let id = last.unwrap_or(0) as u64 + 1;
        let revoke = request.revoke && finding != Finding::Consistent;
        let mut check = SpotCheck {
            id,
            certificate: number.to_string(),
            finding,
            labelled: certificate.grade,
            found: graded.grade,
            reason: body.reason.as_ref().map(|r| r.message.clone()),
            fell: fell(&certificate.outcome["indicators"], &indicators),
            sampled: request.sampled.clone(),
            report: request.report.clone(),
            submission: parsed.to_json(),
            indicators,
            module: ModuleRef {
                product: certificate.product.clone(),
                version: certificate.module_version.clone(),
                sha256: certificate.module_digest.clone(),
            },
            graded_on: today,
            inspector: by.id.clone(),
            note: request.note.clone(),
            recorded_at: clock::now(),
            revoked: revoke,
            log_index: None,
        };
        let event = log::Event {
            kind: KIND,
            actor: by.id.clone(),
            subject: number.to_string(),
            at: check.recorded_at.clone(),
            body: wire::to_value(&check).into(),
        };
        let index = log::append(&mut tx, &[event]).await?[0];
        check.log_index = Some(index);
        sqlx::query(
            "INSERT INTO spot_checks (seq, certificate, finding, log_index, recorded_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id as i64)
        .bind(number)
        .bind(finding.as_str())
        .bind(index as i64)
        .bind(&check.recorded_at)
        .execute(&mut *tx)
        .await?;
        if revoke {
            let revocation = Revocation {
                reason: RevocationReason::OverstatedLabel,
                note: revocation_note(&check),
                at: check.recorded_at.clone(),
                by: by.id.clone(),
            };
            revoke_in(&mut tx, number, &revocation).await?;
        }
        if let Some(key) = &idempotency {
            key.store(&mut tx, 201, &wire::to_value(&check)).await?;
        }
        tx.commit().await?;
        if revoke {
            self.public_changed().await;
        }
        Ok(Answer::New(check))
    }

    /// Every spot check of certificate `number`, oldest first, as their leaves record them.
    pub async fn spot_checks(&self, number: &str) -> Result<Vec<SpotCheck>, PlatformError> {
        let rows = sqlx::query(concat!(
            select_leaves!(),
            " WHERE spot_checks.certificate = $1 ORDER BY spot_checks.seq"
        ))
        .bind(number)
        .fetch_all(self.registry.pool())
        .await?;
        rows.iter().map(from_leaf).collect()
    }

    /// The latest spot checks of one enterprise's certificates (at most `limit`), the
    /// latest first: the findings on its record.
    pub async fn enterprise_spot_checks(
        &self,
        credit_code: &str,
        limit: u32,
    ) -> Result<Vec<SpotCheck>, PlatformError> {
        let rows = sqlx::query(concat!(
            select_leaves!(),
            " JOIN certificates ON certificates.number = spot_checks.certificate WHERE certificates.credit_code = $1 ORDER BY spot_checks.seq DESC LIMIT $2"
        ))
        .bind(credit_code)
        .bind(i64::from(limit))
        .fetch_all(self.registry.pool())
        .await?;
        rows.iter().map(from_leaf).collect()
    }
}

/// A spot check as its leaf records it, with the leaf's index.
fn from_leaf(row: &sqlx::any::AnyRow) -> Result<SpotCheck, PlatformError> {
    let index: i64 = row.try_get("idx")?;
    let leaf: Vec<u8> = row.try_get("leaf")?;
    let unreadable = || PlatformError::Internal(format!("spot check leaf {index} is unreadable"));
    let entry = Entry::parse(&leaf).filter(|e| e.kind == KIND);
    let mut check: SpotCheck =
        serde_json::from_value(entry.ok_or_else(unreadable)?.body).map_err(|_| unreadable())?;
    check.log_index = Some(index as u64);
    Ok(check)
}

/// A spot check is of a certificate in force: a revoked or expired one no longer backs a
/// label.
fn refuse_unless_valid(
    number: &str,
    status: &wire::CertificateStatus,
) -> Result<(), PlatformError> {
    match status {
        wire::CertificateStatus::Valid => Ok(()),
        other => Err(PlatformError::Conflict(format!(
            "certificate {number} is {}: a spot check is of a certificate in force",
            other.as_str()
        ))),
    }
}

/// The note of a revocation a spot check makes: what it found, and the inspector's note.
fn revocation_note(check: &SpotCheck) -> String {
    let found = match (check.found, &check.reason) {
        (Some(grade), _) => format!("the sample grades {grade}"),
        (None, Some(reason)) => format!("the sample fails: {reason}"),
        (None, None) => "the sample reaches no grade".to_string(),
    };
    let mut note = format!(
        "spot check {} ({}, {}): labelled {}, {found}",
        check.id,
        check.finding.as_str(),
        check.finding.zh(),
        check.labelled
    );
    if !check.note.trim().is_empty() {
        note.push_str("; ");
        note.push_str(check.note.trim());
    }
    note
}

/// Each indicator whose result for the sample is lower than at certification.
fn fell(labelled: &Value, found: &Value) -> Vec<FallenIndicator> {
    let Some(labelled) = labelled.as_object() else {
        return Vec::new();
    };
    labelled
        .iter()
        .filter_map(|(id, before)| {
            let after = found.get(id).unwrap_or(&Value::Null);
            let (was, is) = (result(before), result(after));
            let (Some(was_rank), Some(is_rank)) = (rank(&was), rank(&is)) else {
                return None;
            };
            (is_rank < was_rank).then(|| FallenIndicator {
                indicator: id.clone(),
                steps: (on_ladder(&was) && on_ladder(&is)).then_some(was_rank - is_rank),
                labelled_value: before.get("value").cloned().filter(|v| !v.is_null()),
                found_value: after.get("value").cloned().filter(|v| !v.is_null()),
                threshold: after["threshold"].as_str().map(str::to_string),
                labelled: was,
                found: is,
            })
        })
        .collect()
}

fn result(outcome: &Value) -> String {
    outcome["result"]
        .as_str()
        .unwrap_or("not measured")
        .to_string()
}

/// A result's place, for telling a fall: a grade by its letters, `below A`, `fail` and
/// `not measured` under every grade, `pass` (floors met, no ladder) as good as the best.
fn rank(result: &str) -> Option<u8> {
    match result {
        "below A" | "fail" | "not measured" => Some(0),
        "pass" => Some(5),
        grade => crate::model::GradeLevel::parse(grade).map(|g| g.as_str().len() as u8),
    }
}

/// Whether a result is a step of a ladder (a grade, or below the lowest).
fn on_ladder(result: &str) -> bool {
    result == "below A" || crate::model::GradeLevel::parse(result).is_some()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_fall_names_the_indicator_and_its_steps() {
        let labelled = json!({
            "a": { "result": "AAAAA", "value": 91 },
            "b": { "result": "AAA", "value": 3 },
            "c": { "result": "pass", "value": 1 },
            "d": { "result": "AAAA", "value": 7 },
        });
        let found = json!({
            "a": { "result": "AAA", "value": 82, "threshold": "≥ 80 %" },
            "b": { "result": "AAAA", "value": 4 },
            "c": { "result": "fail", "value": -7, "threshold": "≥ -5 %" },
            "d": { "result": "below A", "value": 1 },
        });
        let fell = fell(&labelled, &found);
        let summary: Vec<_> = fell
            .iter()
            .map(|f| (f.indicator.as_str(), f.found.as_str(), f.steps))
            .collect();
        assert_eq!(
            summary,
            [
                ("a", "AAA", Some(2)),
                ("c", "fail", None),
                ("d", "below A", Some(4))
            ]
        );
        assert_eq!(fell[0].labelled_value, Some(json!(91)));
        assert_eq!(fell[0].found_value, Some(json!(82)));
        assert_eq!(fell[0].threshold.as_deref(), Some("≥ 80 %"));
    }
}
