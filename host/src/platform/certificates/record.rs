//! What a certificate is and says: its fields, its status on a day, its log record and
//! the JSON the API shows.

use serde_json::{Value, json};

use crate::{
    model::{Date, GradeLevel, IndicatorGroup},
    registry::log,
    wire::{
        CertificateBody, CertificateStatus, CertificateSummary, Enterprise, LogPosition, ModuleRef,
        ReportRef, RevocationBody,
    },
};

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

    /// The revocation as a certificate shows it.
    pub fn body(&self) -> RevocationBody {
        RevocationBody {
            reason: self.reason.as_str(),
            reason_zh: self.reason.zh(),
            note: self.note.clone(),
            at: self.at.clone(),
            by: self.by.clone(),
        }
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
    pub grade: GradeLevel,
    /// The enterprise's name.
    pub enterprise: String,
    /// Its unified social credit code.
    pub credit_code: String,
    /// The product model.
    pub model: String,
    /// The GTINs the label covers, each in its 14-digit form.
    pub gtin: Vec<String>,
    /// The enterprise's own model or batch codes the label covers.
    pub codes: Vec<String>,
    /// The lab account that submitted it.
    pub lab: String,
    /// The testing body named in the report.
    pub testing_body: String,
    /// The report's number.
    pub report_number: String,
    /// The report's date.
    pub report_date: Date,
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
    pub graded_on: Date,
    /// The last day it is valid.
    pub expires_on: Date,
    /// The revocation, if revoked.
    pub revocation: Option<Revocation>,
    /// The submission as JSON (null on a list's certificates, which are read without
    /// their evidence: `Platform::certificate` reads it).
    pub submission: Value,
    /// The grading result as JSON (indicators, fuel; null on a list's, as above).
    pub outcome: Value,
    /// When it was issued (UTC).
    pub issued_at: String,
    /// Its leaf in the transparency log, once issued.
    pub log_index: Option<u64>,
    /// The leaf of its revocation, if revoked.
    pub revocation_log_index: Option<u64>,
}

impl Certificate {
    /// Its status as of `today`.
    pub fn status(&self, today: Date) -> CertificateStatus {
        if self.revocation.is_some() {
            CertificateStatus::Revoked
        } else if self.expires_on < today {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        }
    }

    /// Each indicator group's grade, in the order of [`IndicatorGroup::ALL`]: the lowest
    /// grade its indicators reached, as the product's grade is the lowest of all; `None`
    /// for a group of pass/fail items only. Empty when the module names no groups.
    pub fn group_grades(&self) -> Vec<(IndicatorGroup, Option<GradeLevel>)> {
        let Some(indicators) = self.outcome["indicators"].as_object() else {
            return Vec::new();
        };
        IndicatorGroup::ALL
            .into_iter()
            .filter_map(|group| {
                let members: Vec<&Value> = indicators
                    .values()
                    .filter(|o| o["group"].as_str() == Some(group.as_str()))
                    .collect();
                let lowest = members
                    .iter()
                    .filter_map(|o| GradeLevel::parse(o["result"].as_str()?))
                    .min();
                (!members.is_empty()).then_some((group, lowest))
            })
            .collect()
    }

    /// Everything the certificate says, as its log leaf's body records it: every stored
    /// field but its number and issue time (the leaf's subject and time), its sequence
    /// and its status (a revocation is a leaf of its own). Known before the certificate is
    /// numbered, so the request that carries it can encode it.
    pub fn record(&self) -> Value {
        let mut record = json!({
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
        });
        // Only when named: a certificate without them records what it always did.
        for (key, list) in [("gtin", &self.gtin), ("codes", &self.codes)] {
            if !list.is_empty() {
                record[key] = json!(list);
            }
        }
        record
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
    pub fn body(&self, today: Date) -> CertificateBody {
        CertificateBody {
            summary: self.summary(today),
            lab: self.lab.clone(),
            testing_body: self.testing_body.clone(),
            catalog_revision: self.catalog_revision,
            fuel: self.fuel,
            indicators: self.outcome["indicators"].clone(),
            gtin: self.gtin.clone(),
            codes: self.codes.clone(),
            log: LogPosition {
                index: self.log_index,
                revocation_index: self.revocation_log_index,
            },
            superseded: None,
        }
    }

    /// What a list shows of it on `today`.
    pub fn summary(&self, today: Date) -> CertificateSummary {
        CertificateSummary {
            number: self.number.clone(),
            status: self.status(today),
            grade: self.grade,
            product: self.product.clone(),
            enterprise: self.enterprise(),
            model: self.model.clone(),
            report: self.report(),
            standard: self.standard.clone(),
            module: self.module(),
            graded_on: self.graded_on,
            expires_on: self.expires_on,
            revocation: self.revocation.as_ref().map(Revocation::body),
        }
    }

    fn report(&self) -> ReportRef {
        ReportRef {
            number: self.report_number.clone(),
            date: self.report_date,
        }
    }

    fn module(&self) -> ModuleRef {
        ModuleRef {
            product: self.product.clone(),
            version: self.module_version.clone(),
            sha256: self.module_digest.clone(),
        }
    }

    /// The enterprise it is for.
    pub fn enterprise(&self) -> Enterprise {
        Enterprise {
            name: self.enterprise.clone(),
            credit_code: self.credit_code.clone(),
        }
    }
}
