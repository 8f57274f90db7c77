//! The cabinet's CSV downloads, written for Excel with Russian regional settings: UTF-8 with a
//! BOM and `;` between columns (what it opens as columns), CRLF between records (RFC 4180).

use super::super::errors::{CabinetError, CabinetResult};
use crate::error::Error;
use poem::http::header;
use poem::{Body, Response};
use std::borrow::Cow;

/// Spreadsheets run a cell that begins with one of these as a formula (CSV injection: a title
/// sent through the API, or a name from the app, could run in the admin's Excel); a leading
/// apostrophe keeps it text.
pub(super) fn cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A writer into `out`, with the BOM first when `bom` (the file's first piece).
pub(super) fn writer(mut out: Vec<u8>, bom: bool) -> csv::Writer<Vec<u8>> {
    if bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// The response that downloads `body` as the file `name`.
pub(super) fn attachment(name: &str, body: Body) -> Response {
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

/// A small file written at once (its rows are in memory anyway), every cell escaped.
pub(super) fn download<const N: usize>(
    name: &str,
    records: impl IntoIterator<Item = [String; N]>,
) -> CabinetResult<Response> {
    let failed = |e: csv::Error| CabinetError::Internal(Error::Internal(format!("CSV: {e}")));
    let mut w = writer(Vec::new(), true);
    for record in records {
        w.write_record(record.iter().map(|s| cell(s).into_owned()))
            .map_err(failed)?;
    }
    let bytes = w.into_inner().map_err(|e| failed(e.into_error().into()))?;
    Ok(attachment(name, Body::from_vec(bytes)))
}
