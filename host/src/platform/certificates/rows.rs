//! Certificates in the database: every statement that reads or writes the `certificates`
//! and `report_claims` tables, and the one mapping between a row and a [`Certificate`].
//! (The columns themselves are the migrations'.)

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use sqlx::Row;

use super::{
    Certificate, Revocation, RevocationReason,
    page::{Cursor, Filter, MAX_PAGE, Page},
};
use crate::{
    model::{Date, GradeLevel},
    platform::{PlatformError, credit_code},
    registry::{Backend, log::Entry, placeholders},
    wire::{CertificateStatus, EnterpriseCounts, ExposedEnterprise},
};

/// The columns of a certificate's row that `read_row` reads, as a literal so that queries
/// stay static strings.
macro_rules! row_columns {
    () => {
        "number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, revoked_reason, revoked_note, revoked_at, revoked_by, submission, outcome, issued_at, log_index, revocation_log_index"
    };
}

/// The columns `from_row` reads: the row's, and its leaf.
macro_rules! columns {
    () => {
        concat!(row_columns!(), ", log_entries.leaf AS leaf")
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
const SELECT_AFTER_LOG_INDEX: &str = concat!(
    "SELECT status, ",
    columns!(),
    from!(),
    " WHERE log_index > $1 ORDER BY log_index LIMIT $2"
);

/// Certificates (with their `status` column) whose log entry is after `$1`, in log
/// order, at most `$2`: what an audit reads beside the log.
pub(in crate::platform) fn select_certificates_after() -> &'static str {
    SELECT_AFTER_LOG_INDEX
}

const SELECT_UNLOGGED: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE log_index IS NULL ORDER BY seq LIMIT 500"
);

/// Certificates without a log leaf (issued before the log existed), oldest first.
pub(in crate::platform) fn select_unlogged() -> &'static str {
    SELECT_UNLOGGED
}

/// One certificate by number.
pub(in crate::platform) async fn by_number<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    number: &str,
) -> Result<Option<Certificate>, PlatformError> {
    sqlx::query(SELECT_CERTIFICATE_BY_NUMBER)
        .bind(number)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One page of the certificates `filter` selects, in the list order (the latest expiry
/// first, then the latest issued), after `after`, as of `today`. Each filter is a
/// condition on an index in that order (see the migration `0004_national_scale.sql`).
pub(in crate::platform) async fn page<'c>(
    db: impl sqlx::AnyExecutor<'c> + Copy,
    filter: &Filter,
    today: Date,
    after: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Certificate>, PlatformError> {
    let limit = limit.clamp(1, MAX_PAGE) as usize;
    let rows = match &filter.enterprise {
        None => list(db, filter, None, today, after, limit).await?,
        // Not a credit code: every stored code passed `credit_code::check` when it was
        // issued, so only a name can be this.
        Some(name) if credit_code::check(name).is_some() => {
            list(db, filter, Some((By::Name, name)), today, after, limit).await?
        }
        // A credit code or an exact name: each has its own index, so two keyset reads
        // (at once, on two connections) merged, never one read of the union sorted.
        Some(enterprise) => {
            let by = |column| Some((column, enterprise.as_str()));
            let (by_code, by_name) = tokio::join!(
                list(db, filter, by(By::CreditCode), today, after, limit),
                list(db, filter, by(By::Name), today, after, limit)
            );
            let mut rows = by_code?;
            rows.extend(by_name?);
            rows.sort_by(|a, b| (&b.1.key, b.1.seq).cmp(&(&a.1.key, a.1.seq)));
            rows.dedup_by(|a, b| a.1 == b.1);
            rows
        }
    };
    Ok(Page::of(rows, limit))
}

/// How a list names an enterprise.
#[derive(Clone, Copy)]
enum By {
    CreditCode,
    Name,
}

impl By {
    fn condition(self) -> &'static str {
        match self {
            By::CreditCode => "credit_code = ?",
            By::Name => "enterprise_name = ?",
        }
    }
}

/// Up to `limit + 1` rows of one keyset read of the list order.
async fn list<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    filter: &Filter,
    enterprise: Option<(By, &str)>,
    today: Date,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<(Certificate, Cursor)>, PlatformError> {
    list_query(filter, enterprise, today, after, limit)
        .read(db, |c| c.expires_on.to_string())
        .await
}

/// The query of one keyset read of the list order.
fn list_query(
    filter: &Filter,
    enterprise: Option<(By, &str)>,
    today: Date,
    after: Option<&Cursor>,
    limit: usize,
) -> Query {
    let mut sql = Where::default();
    if let Some(product) = &filter.product {
        sql.and("product = ?", [Bind::text(product)]);
    }
    if let Some((by, value)) = enterprise {
        sql.and(by.condition(), [Bind::text(value)]);
    }
    if let Some(gtin) = &filter.gtin {
        sql.and(
            "number IN (SELECT certificate FROM certificate_gtins WHERE gtin = ?)",
            [Bind::text(gtin)],
        );
    }
    let today = Bind::Text(today.to_string());
    match filter.status {
        None => {}
        Some(CertificateStatus::Valid) => sql.and("status = 'valid' AND expires_on >= ?", [today]),
        Some(CertificateStatus::Expired) => sql.and("status = 'valid' AND expires_on < ?", [today]),
        Some(CertificateStatus::Revoked) => sql.and("status = 'revoked'", []),
    }
    Query::new(sql, "expires_on", after, limit)
}

/// One page of the exposure list: revoked certificates, the latest revocation first.
pub(in crate::platform) async fn revoked<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    after: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Certificate>, PlatformError> {
    let limit = limit.clamp(1, MAX_PAGE) as usize;
    let rows = exposure_query(after, limit)
        .read(db, |c| {
            c.revocation
                .as_ref()
                .map(|r| r.at.clone())
                .unwrap_or_default()
        })
        .await?;
    Ok(Page::of(rows, limit))
}

fn exposure_query(after: Option<&Cursor>, limit: usize) -> Query {
    let mut sql = Where::default();
    sql.and("status = 'revoked'", []);
    Query::new(sql, "revoked_at", after, limit)
}

/// A keyset read: the certificates a WHERE clause selects, after a cursor, by a key
/// column and then `seq`, the latest first.
struct Query {
    text: String,
    values: Vec<Bind>,
}

impl Query {
    /// Up to `limit + 1` rows of `sql` after `after` by `key` (a column) and `seq`.
    fn new(mut sql: Where, key: &'static str, after: Option<&Cursor>, limit: usize) -> Query {
        if let Some(after) = after {
            // A row value: both backends read it as a range of the (key, seq) index.
            sql.and(
                &format!("({key}, seq) < (?, ?)"),
                [Bind::text(&after.key), Bind::Int(after.seq)],
            );
        }
        Query {
            // A list shows no certificate's evidence: no leaf is read (a leaf is kilobytes
            // of JSON; a page reads a hundred rows).
            text: format!(
                "SELECT seq, {} FROM certificates{} ORDER BY {key} DESC, seq DESC LIMIT {}",
                row_columns!(),
                sql.text,
                limit + 1
            ),
            values: sql.values,
        }
    }

    fn bound(&self, prefix: &str) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("{prefix}{}", self.text)));
        for value in &self.values {
            query = match value {
                Bind::Text(text) => query.bind(text.clone()),
                Bind::Int(n) => query.bind(*n),
            };
        }
        query
    }

    /// The rows, each with its cursor (`key_of` reads the key column's value).
    async fn read<'c>(
        &self,
        db: impl sqlx::AnyExecutor<'c>,
        key_of: impl Fn(&Certificate) -> String,
    ) -> Result<Vec<(Certificate, Cursor)>, PlatformError> {
        self.bound("")
            .fetch_all(db)
            .await?
            .iter()
            .map(|r| {
                let c = read_row(r, Evidence::Leave)?;
                let cursor = Cursor {
                    key: key_of(&c),
                    seq: r.try_get("seq")?,
                };
                Ok((c, cursor))
            })
            .collect()
    }
}

/// A WHERE clause of static conditions, their `?`s numbered in turn.
#[derive(Default)]
struct Where {
    text: String,
    values: Vec<Bind>,
}

/// A value a condition compares with.
enum Bind {
    Text(String),
    Int(i64),
}

impl Bind {
    fn text(s: &str) -> Bind {
        Bind::Text(s.to_string())
    }
}

impl Where {
    fn and<const N: usize>(&mut self, condition: &str, values: [Bind; N]) {
        self.text.push_str(if self.text.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        let mut values = values.into_iter();
        for (i, part) in condition.split('?').enumerate() {
            if i > 0 {
                self.values
                    .push(values.next().expect("a value for each placeholder"));
                self.text.push_str(&format!("${}", self.values.len()));
            }
            self.text.push_str(part);
        }
    }
}

/// The stored status (`valid` or `revoked`; expiry is a matter of the day) of a
/// certificate, if there is one.
pub(in crate::platform) async fn stored_status<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    number: &str,
) -> Result<Option<String>, PlatformError> {
    let row = sqlx::query("SELECT status FROM certificates WHERE number = $1")
        .bind(number)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.try_get("status")).transpose()?)
}

/// Record `revocation` (its log leaf at `index`) on certificate `number`, which is not
/// revoked yet, and count it out of the statistics.
pub(in crate::platform) async fn mark_revoked(
    tx: &mut sqlx::AnyConnection,
    number: &str,
    revocation: &Revocation,
    index: u64,
) -> Result<(), PlatformError> {
    sqlx::query(
        "UPDATE certificate_counts SET n = n - 1 WHERE (product, grade, expires_on) = (SELECT product, grade, expires_on FROM certificates WHERE number = $1)",
    )
    .bind(number)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE certificates SET status = 'revoked', revoked_reason = $1, revoked_note = $2, revoked_at = $3, revoked_by = $4, revocation_log_index = $5 WHERE number = $6",
    )
    .bind(revocation.reason.as_str())
    .bind(&revocation.note)
    .bind(&revocation.at)
    .bind(&revocation.by)
    .bind(index as i64)
    .bind(number)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Valid certificates per product and grade on `today`, from the counts kept with each
/// certificate and revocation.
pub(in crate::platform) async fn statistics<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    today: Date,
) -> Result<Vec<(String, String, i64)>, PlatformError> {
    let rows = sqlx::query(
        "SELECT product, grade, CAST(SUM(n) AS BIGINT) AS n FROM certificate_counts WHERE expires_on >= $1 GROUP BY product, grade HAVING SUM(n) > 0 ORDER BY product, grade",
    )
    .bind(today.to_string())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("product")?, r.try_get("grade")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlatformError::from)
}

/// One enterprise's certificates counted by status on `today`, and a name they carry; `None`
/// when it has none. One read of the credit-code index.
pub(in crate::platform) async fn enterprise_counts<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    credit_code: &str,
    today: Date,
) -> Result<Option<EnterpriseCounts>, PlatformError> {
    let row = sqlx::query(
        "SELECT MAX(enterprise_name) AS name, CAST(COUNT(*) AS BIGINT) AS total, \
         CAST(COALESCE(SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END), 0) AS BIGINT) AS revoked, \
         CAST(COALESCE(SUM(CASE WHEN status <> 'revoked' AND expires_on < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS expired \
         FROM certificates WHERE credit_code = $1",
    )
    .bind(credit_code)
    .bind(today.to_string())
    .fetch_one(db)
    .await?;
    let total: i64 = row.try_get("total")?;
    if total == 0 {
        return Ok(None);
    }
    let (revoked, expired): (i64, i64) = (row.try_get("revoked")?, row.try_get("expired")?);
    Ok(Some(EnterpriseCounts {
        name: row.try_get("name")?,
        valid: (total - revoked - expired) as u64,
        revoked: revoked as u64,
        expired: expired as u64,
    }))
}

/// The revoked rows are set apart first (a materialised CTE, which both backends honour):
/// asked in one statement, SQLite would rather walk the whole table in credit-code order
/// than sort the groups.
const EXPOSED_ENTERPRISES: &str = "WITH revoked AS MATERIALIZED (SELECT credit_code, enterprise_name, revoked_at FROM certificates WHERE status = 'revoked') SELECT credit_code, MAX(enterprise_name) AS name, CAST(COUNT(*) AS BIGINT) AS n, MIN(revoked_at) AS first, MAX(revoked_at) AS latest FROM revoked GROUP BY credit_code ORDER BY MAX(revoked_at) DESC, credit_code";

/// Every enterprise with a revoked certificate: its credit code, a name it used, how many
/// were revoked, the first and the latest revocation — the latest first. One read of a
/// revoked certificates' partial index (the query-plan test holds it to that); the groups,
/// a handful beside the certificates, are sorted by their latest revocation.
pub(in crate::platform) async fn exposed_enterprises<'c>(
    db: impl sqlx::AnyExecutor<'c>,
) -> Result<Vec<ExposedEnterprise>, PlatformError> {
    let rows = sqlx::query(EXPOSED_ENTERPRISES).fetch_all(db).await?;
    rows.iter()
        .map(|r| {
            Ok(ExposedEnterprise {
                credit_code: r.try_get("credit_code")?,
                name: r.try_get("name")?,
                revoked: r.try_get::<i64, _>("n")? as u64,
                first_revoked_at: r.try_get("first")?,
                latest_revoked_at: r.try_get("latest")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlatformError::from)
}

pub(in crate::platform) fn from_row(r: &sqlx::any::AnyRow) -> Result<Certificate, PlatformError> {
    read_row(r, Evidence::Required)
}

/// A certificate row as an audit reads it: a submission or outcome that is in neither the
/// row nor a readable leaf is null (the audit reports the leaf), not an error.
pub(in crate::platform) fn from_row_for_audit(
    r: &sqlx::any::AnyRow,
) -> Result<Certificate, PlatformError> {
    read_row(r, Evidence::IfReadable)
}

/// What a row read makes of a certificate's submission and outcome (its evidence).
#[derive(Clone, Copy, PartialEq)]
enum Evidence {
    /// From the row or its leaf, or an error.
    Required,
    /// From the row or its leaf; null when neither holds it.
    IfReadable,
    /// Left out (null): a list, which reads no leaf.
    Leave,
}

fn read_row(r: &sqlx::any::AnyRow, evidence: Evidence) -> Result<Certificate, PlatformError> {
    let number: String = r.try_get("number")?;
    // Read from the leaf once, and only for a logged certificate.
    let mut leaf_body: Option<Value> = None;
    let mut json = |col: &str| -> Result<Value, PlatformError> {
        if evidence == Evidence::Leave {
            return Ok(Value::Null);
        }
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
            None if evidence == Evidence::IfReadable => Ok(Value::Null),
            None => Err(PlatformError::Internal(format!(
                "certificate {number}: its {col} is in neither its row nor its log leaf"
            ))),
        }
    };
    let submission = json("submission")?;
    let outcome = json("outcome")?;
    // The identifiers the label covers are in the leaf only (and only when named).
    let identifiers = |key: &str| -> Vec<String> {
        leaf_body
            .as_ref()
            .and_then(|b| b[key].as_array())
            .map_or_else(Vec::new, |items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
    };
    let (gtin, codes) = (identifiers("gtin"), identifiers("codes"));
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
        grade: stored(r, "grade", GradeLevel::parse)?,
        enterprise: r.try_get("enterprise_name")?,
        credit_code: r.try_get("credit_code")?,
        model: r.try_get("model")?,
        gtin,
        codes,
        lab: r.try_get("lab")?,
        testing_body: r.try_get("testing_body")?,
        report_number: r.try_get("report_number")?,
        report_date: stored(r, "report_date", Date::parse)?,
        module_version: r.try_get("module_version")?,
        module_digest: r.try_get("module_digest")?,
        standard: r.try_get("standard")?,
        catalog_revision: r.try_get::<i64, _>("catalog_revision")? as u32,
        fuel: r.try_get::<i64, _>("fuel")? as u64,
        graded_on: stored(r, "graded_on", Date::parse)?,
        expires_on: stored(r, "expires_on", Date::parse)?,
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

/// The certificates the batch's reports already back, by (product, body, number).
pub(in crate::platform) async fn claims(
    tx: &mut sqlx::AnyConnection,
    drafts: &[&Certificate],
) -> Result<HashMap<(String, String, String), String>, PlatformError> {
    let mut claimed = HashMap::new();
    for chunk in drafts.chunks(200) {
        // A row-value IN on the primary key: one index probe per report.
        let sql = format!(
            "SELECT product, testing_body, report_number, certificate FROM report_claims WHERE (product, testing_body, report_number) IN (VALUES {})",
            placeholders(&*tx, chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            query = query
                .bind(&d.product)
                .bind(&d.testing_body)
                .bind(&d.report_number);
        }
        for row in query.fetch_all(&mut *tx).await? {
            claimed.insert(
                (
                    row.try_get("product")?,
                    row.try_get("testing_body")?,
                    row.try_get("report_number")?,
                ),
                row.try_get("certificate")?,
            );
        }
    }
    Ok(claimed)
}

/// The valid certificates (on `today`) that already cover a GTIN the batch names, by
/// (product, GTIN).
pub(in crate::platform) async fn covered(
    tx: &mut sqlx::AnyConnection,
    drafts: &[&Certificate],
    today: Date,
) -> Result<HashMap<(String, String), String>, PlatformError> {
    let gtins: Vec<&String> = drafts.iter().flat_map(|d| &d.gtin).collect();
    let mut covered = HashMap::new();
    for chunk in gtins.chunks(500) {
        let sql = format!(
            "SELECT g.product, g.gtin, g.certificate FROM certificate_gtins g JOIN certificates c ON c.number = g.certificate WHERE g.gtin IN ({}) AND c.status = 'valid' AND c.expires_on >= ${}",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", "),
            chunk.len() + 1
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for gtin in chunk {
            query = query.bind(gtin.as_str());
        }
        for row in query.bind(today.to_string()).fetch_all(&mut *tx).await? {
            covered.insert(
                (row.try_get("product")?, row.try_get("gtin")?),
                row.try_get("certificate")?,
            );
        }
    }
    Ok(covered)
}

/// Store the issued certificates, the reports they claim and the GTINs they cover, and
/// count them into the statistics: one statement per table.
pub(in crate::platform) async fn insert(
    tx: &mut sqlx::AnyConnection,
    issued: &[(usize, Certificate, i64)],
) -> Result<(), PlatformError> {
    count_in(tx, issued.iter().map(|(_, c, _)| c)).await?;
    for chunk in issued.chunks(200) {
        let sql = format!(
            "INSERT INTO certificates (seq, number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, status, submission, outcome, issued_at, log_index) VALUES {}",
            placeholders(&*tx, chunk.len(), 23)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, c, seq) in chunk {
            query = query
                .bind(*seq)
                .bind(&c.number)
                .bind(&c.product)
                .bind(c.grade.as_str())
                .bind(&c.enterprise)
                .bind(&c.credit_code)
                .bind(&c.model)
                .bind(&c.lab)
                .bind(&c.testing_body)
                .bind(&c.report_number)
                .bind(c.report_date.to_string())
                .bind(&c.module_version)
                .bind(&c.module_digest)
                .bind(&c.standard)
                .bind(i64::from(c.catalog_revision))
                .bind(c.fuel as i64)
                .bind(c.graded_on.to_string())
                .bind(c.expires_on.to_string())
                .bind("valid")
                // A logged certificate's submission and outcome are in its leaf.
                .bind(match c.log_index {
                    Some(_) => String::new(),
                    None => c.submission.to_string(),
                })
                .bind(match c.log_index {
                    Some(_) => String::new(),
                    None => c.outcome.to_string(),
                })
                .bind(&c.issued_at)
                .bind(c.log_index.map(|i| i as i64));
        }
        query.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO report_claims (product, testing_body, report_number, certificate) VALUES {}",
            placeholders(&*tx, chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, c, _) in chunk {
            query = query
                .bind(&c.product)
                .bind(&c.testing_body)
                .bind(&c.report_number)
                .bind(&c.number);
        }
        query.execute(&mut *tx).await?;
    }
    let gtins: Vec<(&Certificate, &String)> = issued
        .iter()
        .flat_map(|(_, c, _)| c.gtin.iter().map(move |g| (c, g)))
        .collect();
    for chunk in gtins.chunks(300) {
        let sql = format!(
            "INSERT INTO certificate_gtins (gtin, product, certificate) VALUES {}",
            placeholders(&*tx, chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (c, gtin) in chunk {
            query = query.bind(gtin.as_str()).bind(&c.product).bind(&c.number);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Add `issued` to the counts of valid certificates by product, grade and expiry.
async fn count_in(
    tx: &mut sqlx::AnyConnection,
    issued: impl Iterator<Item = &Certificate>,
) -> Result<(), PlatformError> {
    let mut counts: BTreeMap<(&str, &str, String), i64> = BTreeMap::new();
    for c in issued {
        *counts
            .entry((&c.product, c.grade.as_str(), c.expires_on.to_string()))
            .or_default() += 1;
    }
    let counts: Vec<_> = counts.into_iter().collect();
    for chunk in counts.chunks(200) {
        let sql = format!(
            "INSERT INTO certificate_counts (product, grade, expires_on, n) VALUES {} ON CONFLICT (product, grade, expires_on) DO UPDATE SET n = certificate_counts.n + excluded.n",
            placeholders(&*tx, chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((product, grade, expires_on), n) in chunk {
            query = query.bind(*product).bind(*grade).bind(expires_on).bind(*n);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// A column stored as text, parsed into the host's type.
fn stored<T>(
    r: &sqlx::any::AnyRow,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, PlatformError> {
    let text: String = r.try_get(column)?;
    parse(&text).ok_or_else(|| PlatformError::Internal(format!("stored {column} {text:?}")))
}

/// The database's plan for each kind of list read (every filter, with and without a
/// cursor, and the exposure list), named: what the indexes of `0004_national_scale.sql`
/// were chosen from, and what the scale benchmark prints and the tests hold to.
pub async fn query_plans(
    db: &mut sqlx::AnyConnection,
    backend: Backend,
    today: Date,
) -> Result<Vec<(String, String)>, PlatformError> {
    let after = Cursor {
        key: today.to_string(),
        seq: 1,
    };
    let product = || Some("down-jacket".to_string());
    let mut lists: Vec<(String, Query)> = Vec::new();
    let statuses = [
        None,
        Some(CertificateStatus::Valid),
        Some(CertificateStatus::Expired),
        Some(CertificateStatus::Revoked),
    ];
    for status in statuses {
        for product in [None, product()] {
            for enterprise in [None, Some(By::CreditCode), Some(By::Name)] {
                let filter = Filter {
                    product: product.clone(),
                    enterprise: None,
                    status,
                    gtin: None,
                };
                for cursor in [None, Some(&after)] {
                    let name = format!(
                        "certificates product={} enterprise={} status={} cursor={}",
                        product.is_some(),
                        enterprise.map_or("-", |by| match by {
                            By::CreditCode => "credit_code",
                            By::Name => "enterprise_name",
                        }),
                        status.map_or("-", |s| s.as_str()),
                        cursor.is_some()
                    );
                    let by = enterprise.map(|by| (by, "91350100M000100Y43"));
                    lists.push((name, list_query(&filter, by, today, cursor, 100)));
                }
            }
        }
    }
    for cursor in [None, Some(&after)] {
        lists.push((
            format!("exposure cursor={}", cursor.is_some()),
            exposure_query(cursor, 100),
        ));
        let scanned = Filter {
            gtin: Some("06901234567892".into()),
            ..Filter::default()
        };
        lists.push((
            format!("certificates gtin cursor={}", cursor.is_some()),
            list_query(&scanned, None, today, cursor, 100),
        ));
    }
    lists.push((
        "exposure enterprises".into(),
        Query {
            text: EXPOSED_ENTERPRISES.into(),
            values: Vec::new(),
        },
    ));
    let explain = match backend {
        Backend::Sqlite => "EXPLAIN QUERY PLAN ",
        Backend::Postgres => "EXPLAIN ",
    };
    let mut plans = Vec::new();
    for (name, query) in lists {
        let rows = query.bound(explain).fetch_all(&mut *db).await?;
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                // SQLite: (id, parent, notused, detail); PostgreSQL: one text column.
                r.try_get::<String, _>("detail")
                    .or_else(|_| r.try_get::<String, _>(0))
            })
            .collect::<Result<_, _>>()?;
        plans.push((name, lines.join("\n")));
    }
    Ok(plans)
}
