//! The company's own staff list: employees added by phone and name (the API's `addstaff`, the
//! cabinet's form), who then log in with nothing to approve; with the `ListOnly` registration
//! policy, nobody else may.

use crate::domain::{Phone, StaffName, StaffSyncId, now_millis};
use crate::error::{Error, Result};
use crate::phrase::Phrase;
use crate::state::AppState;
use crate::store::{Listed, PartnerRow, StaffListed, StaffSyncRow, SyncFinished};
use std::collections::HashSet;

/// Employees per call (and per transaction): a large company's whole staff, as
/// `createmessagebulk` takes.
pub const MAX_LIST: usize = 10_000;

/// Employees in one list pasted or uploaded in the cabinet: added `MAX_LIST` a transaction.
pub const MAX_CABINET_LIST: usize = 100_000;

/// The login's refusal under the `ListOnly` policy. It says what to do: only the company can
/// put a phone on its list.
pub fn not_on_list() -> Phrase {
    phrase!(
        "Вашего номера нет в списке сотрудников компании. Обратитесь к её администратору",
        "Your number is not on the company's staff list. Ask its administrator"
    )
}

/// Where an entry was in what the caller sent, for its refusal: the API's `staff[2]`, the
/// cabinet's line 3.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    Entry(usize),
    Line(usize),
}

fn at(place: Place, why: &Phrase) -> Phrase {
    match place {
        Place::Entry(i) => Phrase::new(
            format!("staff[{i}]: {}", why.ru()),
            format!("staff[{i}]: {}", why.en()),
        ),
        Place::Line(n) => Phrase::new(
            format!("Строка {n}: {}", why.ru()),
            format!("Line {n}: {}", why.en()),
        ),
    }
}

/// Parses one entry; the refusal names its place.
pub fn entry(place: Place, phone: &str, name: &str) -> Result<(Phone, StaffName)> {
    let phone = Phone::parse(phone).map_err(|e| Error::Invalid(at(place, &e.0)))?;
    let name = StaffName::parse(name).map_err(|e| Error::Invalid(at(place, &e.0)))?;
    Ok((phone, name))
}

/// The entries with each phone once (the first wins: a list pasted twice over adds nobody
/// twice), between one and `max` of them.
pub fn distinct(entries: Vec<(Phone, StaffName)>, max: usize) -> Result<Vec<(Phone, StaffName)>> {
    let mut seen = HashSet::with_capacity(entries.len());
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|(p, _)| seen.insert(p.as_str().to_owned()))
        .collect();
    if entries.is_empty() {
        return Err(Error::invalid(phrase!(
            "Список сотрудников пуст: укажите телефон и ФИО хотя бы одного",
            "The staff list is empty: give at least one phone and name"
        )));
    }
    if entries.len() > max {
        let (ru, en) = (grouped(max, ' '), grouped(max, ','));
        return Err(Error::invalid(phrase!(
            "Не больше {ru} сотрудников за один раз",
            "At most {en} employees at a time"
        )));
    }
    Ok(entries)
}

/// `100000` as `100 000` (Russian, `sep` a space) or `100,000`.
fn grouped(n: usize, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// The cabinet's pasted list: a line per employee, phone and name in either order, separated
/// by a tab (a copy from Excel), `;` or `,` (CSV), or just a space after the phone. Blank lines
/// and a header line (no digits at all) are skipped.
pub fn parse_lines(text: &str) -> Result<Vec<(Phone, StaffName)>> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || (i == 0 && !line.chars().any(|c| c.is_ascii_digit())) {
            continue;
        }
        let (phone, name) = split_line(line);
        entries.push(entry(Place::Line(i + 1), &phone, &name)?);
    }
    distinct(entries, MAX_CABINET_LIST)
}

/// The fields of one line as CSV with this delimiter: a quoted name may hold the delimiter.
fn fields(line: &str, delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn phone_char(c: char) -> bool {
    c.is_ascii_digit() || "+-() ".contains(c)
}

/// The phone and the name of a line; which is which is told by the digits.
fn split_line(line: &str) -> (String, String) {
    let fields: Vec<String> = [b'\t', b';', b',']
        .into_iter()
        .find(|sep| line.as_bytes().contains(sep))
        .map(|sep| fields(line, sep))
        .unwrap_or_default()
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect();
    if fields.len() >= 2 {
        // The phone is the field made of phone characters; the name is the first other one.
        let phone_at = fields
            .iter()
            .position(|f| f.chars().all(phone_char) && f.chars().any(|c| c.is_ascii_digit()))
            .unwrap_or(0);
        let name = fields
            .iter()
            .enumerate()
            .find(|(i, _)| *i != phone_at)
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        return (fields[phone_at].clone(), name);
    }
    // No separator: the phone is the run of phone characters at the start or at the end.
    let head = line.len() - line.trim_start_matches(phone_char).len();
    if line[..head].chars().any(|c| c.is_ascii_digit()) {
        return (
            line[..head].trim().to_owned(),
            line[head..].trim().to_owned(),
        );
    }
    let tail = line.trim_end_matches(phone_char).len();
    (
        line[tail..].trim().to_owned(),
        line[..tail].trim().to_owned(),
    )
}

/// How many of each outcome, for the journal and the cabinet's note.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub approved: usize,
    pub existing: usize,
    /// Not on a list given as the whole staff: disabled now.
    pub disabled: usize,
}

impl Counts {
    /// The journal's detail, or `None` when the list changed nothing (nothing to record).
    pub fn journal_detail(&self) -> Option<String> {
        (self.added + self.approved > 0).then(|| {
            crate::phrase::stored::AUDIT_STAFF_ADDED.fill(&[
                &self.added.to_string(),
                &self.approved.to_string(),
                &self.existing.to_string(),
            ])
        })
    }

    pub fn of(result: &StaffListed) -> Self {
        let mut c = Self {
            disabled: result.disabled.len(),
            ..Self::default()
        };
        for l in &result.listed {
            match l.outcome {
                Listed::Added => c.added += 1,
                Listed::Approved => c.approved += 1,
                Listed::Existing => c.existing += 1,
            }
        }
        c
    }
}

/// What a list is of the partner's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Employees to add: the others stay as they are.
    Addition,
    /// The whole staff (an HR system's full export): the employees not on it are disabled in
    /// the same transaction, the dismissed stop receiving messages, their history kept.
    WholeStaff,
    /// A part of the whole staff, sent in several lists: the sync's finish disables the
    /// employees none of them named.
    PartOf(StaffSyncId),
}

/// Adds the list to the partner's staff in one transaction, as `scope` says.
pub async fn add(
    state: &AppState,
    partner: &PartnerRow,
    entries: &[(Phone, StaffName)],
    scope: Scope,
) -> Result<StaffListed> {
    let sync = match scope {
        Scope::PartOf(id) => Some(id.0),
        Scope::Addition | Scope::WholeStaff => None,
    };
    let result = state
        .store
        .add_staff(
            partner.id,
            entries,
            scope == Scope::WholeStaff,
            sync,
            now_millis(),
        )
        .await?;
    let c = Counts::of(&result);
    tracing::info!(
        partner_id = partner.id,
        added = c.added,
        approved = c.approved,
        existing = c.existing,
        disabled = c.disabled,
        sync,
        sync_listed = result.sync_listed,
        "staff list added"
    );
    Ok(result)
}

/// Opens a sync of the partner's whole staff (see `store::staff_sync`).
pub async fn begin_sync(state: &AppState, partner: &PartnerRow) -> Result<StaffSyncRow> {
    let sync = state
        .store
        .begin_staff_sync(partner.id, now_millis())
        .await?;
    tracing::info!(partner_id = partner.id, sync = sync.id, "staff sync begun");
    Ok(sync)
}

/// Finishes the sync: the employees it did not list, who were there before it began, are
/// disabled. With `expected`, refused (and nothing disabled) unless it listed exactly that many.
pub async fn finish_sync(
    state: &AppState,
    partner: &PartnerRow,
    id: StaffSyncId,
    expected: Option<i64>,
) -> Result<SyncFinished> {
    let done = state
        .store
        .finish_staff_sync(partner.id, id.0, expected, now_millis())
        .await?;
    tracing::info!(
        partner_id = partner.id,
        sync = id.0,
        listed = done.listed,
        disabled = done.disabled.len(),
        "staff sync finished"
    );
    Ok(done)
}

/// The cabinet's list, which may be longer than one transaction takes: up to `MAX_LIST` it is
/// `add` as it is; above, it goes `MAX_LIST` a transaction, and as the whole staff through a
/// sync, whose finish disables the others once every part is in. Answers the counts of all
/// the parts.
pub async fn add_in_parts(
    state: &AppState,
    partner: &PartnerRow,
    entries: &[(Phone, StaffName)],
    whole_staff: bool,
) -> Result<Counts> {
    if entries.len() <= MAX_LIST {
        let scope = match whole_staff {
            true => Scope::WholeStaff,
            false => Scope::Addition,
        };
        return Ok(Counts::of(&add(state, partner, entries, scope).await?));
    }
    let sync = match whole_staff {
        true => Some(StaffSyncId(begin_sync(state, partner).await?.id)),
        false => None,
    };
    let scope = sync.map_or(Scope::Addition, Scope::PartOf);
    let mut total = Counts::default();
    for part in entries.chunks(MAX_LIST) {
        let c = Counts::of(&add(state, partner, part, scope).await?);
        total.added += c.added;
        total.approved += c.approved;
        total.existing += c.existing;
    }
    if let Some(id) = sync {
        let done = finish_sync(state, partner, id, Some(entries.len() as i64)).await?;
        total.disabled = done.disabled.len();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Vec<(String, String)> {
        parse_lines(text)
            .unwrap()
            .into_iter()
            .map(|(p, n)| (p.as_str().to_owned(), n.as_str().to_owned()))
            .collect()
    }

    #[test]
    fn pasted_lists_are_read_whatever_their_separator_and_order() {
        let got = parsed(
            "Телефон\tФИО\n\
             +7 923 338-16-38\tИванов Иван\n\
             Петрова Анна;89001112233\n\
             \"Сидоров, Пётр\",+79001112234\n\
             \n\
             8 (900) 111-22-35 Кузнецова Мария Ивановна\n\
             Орлов Олег +79001112236\n\
             +79233381638\tДубль",
        );
        assert_eq!(
            got,
            [
                ("+79233381638", "Иванов Иван"),
                ("+79001112233", "Петрова Анна"),
                ("+79001112234", "Сидоров, Пётр"),
                ("+79001112235", "Кузнецова Мария Ивановна"),
                ("+79001112236", "Орлов Олег"),
            ]
            .map(|(p, n)| (p.to_owned(), n.to_owned()))
        );
    }

    #[test]
    fn a_list_above_the_limit_is_refused_naming_it() {
        let entries = |n: u32| -> Vec<(Phone, StaffName)> {
            (0..n)
                .map(|i| {
                    let phone = format!("+7900111{i:04}");
                    entry(Place::Entry(0), &phone, "Иванов").unwrap()
                })
                .collect()
        };
        assert_eq!(distinct(entries(3), 3).unwrap().len(), 3);
        let e = distinct(entries(4), 3).unwrap_err();
        assert_eq!(e.phrase().unwrap().en(), "At most 3 employees at a time");
        let e = distinct(entries(4), 1_000).map(|v| v.len()).unwrap();
        assert_eq!(e, 4);
        assert_eq!(grouped(100_000, ','), "100,000");
        assert_eq!(grouped(10_000, ' '), "10 000");
        assert_eq!(grouped(999, ','), "999");
    }

    #[test]
    fn a_bad_line_is_named_and_an_empty_list_refused() {
        let e = parse_lines("+79001112233;Петрова\n12345;Иванов").unwrap_err();
        let p = e.phrase().unwrap();
        assert_eq!(p.ru(), "Строка 2: Неверный номер телефона");
        assert_eq!(p.en(), "Line 2: Wrong phone number");
        let e = parse_lines("+79001112233;Петрова\n+79001112234").unwrap_err();
        assert!(
            e.phrase()
                .unwrap()
                .ru()
                .starts_with("Строка 2: Не указано ФИО"),
            "{e}"
        );
        let e = parse_lines("ФИО;Телефон\n\n").unwrap_err();
        assert!(e.phrase().unwrap().ru().contains("пуст"), "{e}");
        let e = entry(Place::Entry(4), "+79001112233", "").unwrap_err();
        assert!(e.phrase().unwrap().ru().starts_with("staff[4]: "), "{e}");
    }
}
