//! Lists of certificates a page at a time, continued from a cursor (keyset pagination).
//!
//! A page is the rows after the last one the client saw in the list's order, not the rows
//! after an offset: it costs the same at the millionth certificate as at the first, and
//! a certificate issued or revoked meanwhile neither repeats nor skips one.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{platform::PlatformError, wire::CertificateStatus};

/// Most certificates on one page.
pub const MAX_PAGE: u32 = 1000;

/// Certificates on a page when the reader does not say how many: what a person reads on a
/// phone (the public pages) and what a client gets without `limit`. Every row a page shows
/// is a row read at random among millions, so a page is not larger than someone reads: with
/// a hundred rows, lists were most of a national read load's cost (the scale benchmark's
/// enterprise lists and searches). A client that walks a whole list asks `limit` up to
/// [`MAX_PAGE`].
pub const PAGE: u32 = 20;

/// Where a page starts: after the row whose ordering key (its expiry date, or its
/// revocation time on the exposure list) and sequence number these are. Clients see it
/// as an opaque string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub(super) key: String,
    pub(super) seq: i64,
}

impl Cursor {
    /// The string a client passes back as `cursor`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.key, self.seq))
    }

    /// A cursor from a client: refused (naming `cursor`) unless this platform made it.
    pub fn decode(text: &str) -> Result<Cursor, PlatformError> {
        let refused = || {
            PlatformError::field(
                "cursor",
                "cursor is the `next` of an earlier page, passed back unchanged",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| refused())?;
        let text = String::from_utf8(bytes).map_err(|_| refused())?;
        let (key, seq) = text.rsplit_once('|').ok_or_else(refused)?;
        let seq = seq.parse().map_err(|_| refused())?;
        // Keys are dates and RFC 3339 timestamps: digits and a few separators.
        if key.is_empty()
            || key.len() > 40
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-:.+".contains(&b))
        {
            return Err(refused());
        }
        Ok(Cursor {
            key: key.into(),
            seq,
        })
    }
}

/// Which certificates a list holds: each filter only when given.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The product code.
    pub product: Option<String>,
    /// The enterprise, by credit code or exact name.
    pub enterprise: Option<String>,
    /// The status on the platform's day.
    pub status: Option<CertificateStatus>,
    /// A GTIN the label covers, in its 14-digit form.
    pub gtin: Option<String>,
}

/// One page of a list, and the cursor of the next when there is more.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The first `limit` of `rows` (read one past the page to know whether there is
    /// more), continued after the last one's key.
    pub(super) fn of(mut rows: Vec<(T, Cursor)>, limit: usize) -> Page<T> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|(_, c)| c.clone())
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(|(t, _)| t).collect(),
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_comes_back_as_it_went_and_nothing_else_passes() {
        let cursor = Cursor {
            key: "2029-06-01".into(),
            seq: 12_345,
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        let revoked = Cursor {
            key: "2026-11-27T08:00:00Z".into(),
            seq: 7,
        };
        assert_eq!(Cursor::decode(&revoked.encode()).unwrap(), revoked);
        for bad in [
            "",
            "not base64!",
            &URL_SAFE_NO_PAD.encode("2029-06-01"),
            &URL_SAFE_NO_PAD.encode("2029-06-01|x"),
            &URL_SAFE_NO_PAD.encode("' OR 1=1 --|5"),
        ] {
            let err = Cursor::decode(bad).unwrap_err();
            assert!(
                matches!(&err, PlatformError::BadField { field, .. } if field == "cursor"),
                "{bad}: {err:?}"
            );
        }
    }
}
