//! The company's own staff list: employees added by phone and name (the API's `addstaff`, the
//! cabinet's form), who then log in with nothing to approve; with the `ListOnly` registration
//! policy, nobody else may.

use crate::domain::{Phone, StaffName, StaffSyncId, fold, now_millis};
use crate::error::{Error, Result};
use crate::phrase::Phrase;
use crate::state::AppState;
use crate::store::{Listed, PartnerRow, StaffListed, StaffState, StaffSyncRow, SyncFinished};
use std::collections::{HashMap, HashSet};

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
    parsed_entry(place, phone, name).map_err(|s| Error::Invalid(s.why))
}

/// An entry of the list that could not be taken, set aside at the caller's request (the API's
/// `skipinvalid`) instead of refusing the list.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub place: Place,
    /// As given.
    pub phone: String,
    /// As given.
    pub name: String,
    /// Why, its place named.
    pub why: Phrase,
    /// The phone, when only the name was wrong: its employee, if there is one, is on the list
    /// all the same (not disabled by a whole-staff list, kept by a sync), left as they are.
    pub readable: Option<Phone>,
    /// When the phone could not be read but the name could, and the list is the whole staff:
    /// the employees of that name it keeps (see `keep_by_name`).
    pub kept_by_name: Vec<i64>,
}

fn parsed_entry(
    place: Place,
    phone: &str,
    name: &str,
) -> std::result::Result<(Phone, StaffName), Box<Skipped>> {
    let skipped = |why: &Phrase, readable| {
        Box::new(Skipped {
            place,
            phone: phone.to_owned(),
            name: name.to_owned(),
            why: at(place, why),
            readable,
            kept_by_name: Vec::new(),
        })
    };
    let parsed_phone = Phone::parse(phone).map_err(|e| skipped(&e.0, None))?;
    let parsed_name =
        StaffName::parse(name).map_err(|e| skipped(&e.0, Some(parsed_phone.clone())))?;
    Ok((parsed_phone, parsed_name))
}

/// A list read with its wrong entries set aside: what can be added, and what was skipped.
#[derive(Debug, Default)]
pub struct Lenient {
    pub entries: Vec<(Phone, StaffName)>,
    pub skipped: Vec<Skipped>,
}

impl Lenient {
    /// Reads the entries, the wrong ones set aside. A list with nothing right in it is still
    /// refused, naming its first mistake: adding nothing is never what was meant.
    pub fn read<'a>(
        raw: impl IntoIterator<Item = (Place, &'a str, &'a str)>,
        max: usize,
    ) -> Result<Self> {
        let mut out = Self::default();
        for (place, phone, name) in raw {
            match parsed_entry(place, phone, name) {
                Ok(entry) => out.entries.push(entry),
                Err(skipped) => out.skipped.push(*skipped),
            }
        }
        if out.entries.is_empty()
            && let Some(first) = out.skipped.first()
        {
            return Err(Error::Invalid(Phrase::new(
                format!("Ни одной верной записи. {}", first.why.ru()),
                format!("No entry is right. {}", first.why.en()),
            )));
        }
        out.entries = distinct(std::mem::take(&mut out.entries), max)?;
        Ok(out)
    }

    /// The phones of the skipped entries whose employees stay on the list (see
    /// `Skipped::readable`), the ones already among the entries left out.
    pub fn kept(&self) -> Vec<Phone> {
        let listed: HashSet<&str> = self.entries.iter().map(|(p, _)| p.as_str()).collect();
        let mut seen = HashSet::new();
        self.skipped
            .iter()
            .filter_map(|s| s.readable.clone())
            .filter(|p| !listed.contains(p.as_str()) && seen.insert(p.as_str().to_owned()))
            .collect()
    }
}

/// For a list that disables whom it does not name (the whole staff, a part of a sync): the
/// employees an entry skipped for its unreadable phone was meant for, by the name it gives
/// (case, ё and spaces aside), not otherwise on the list and not disabled already. A typo in a
/// phone must not switch the employee off; where two have the name, both are kept, since the
/// list cannot say which it meant. Answers their phones, to keep with `Lenient::kept`'s, and
/// notes the IDs on each entry. The staff is read only when some entry needs it.
pub async fn keep_by_name(
    state: &AppState,
    partner: &PartnerRow,
    list: &mut Lenient,
) -> Result<Vec<Phone>> {
    let name_key = |name: &str| fold(&name.split_whitespace().collect::<Vec<_>>().join(" "));
    let wanted: Vec<(usize, String)> = list
        .skipped
        .iter()
        .enumerate()
        .filter(|(_, s)| s.readable.is_none())
        .filter_map(|(i, s)| {
            StaffName::parse(&s.name)
                .ok()
                .map(|n| (i, name_key(n.as_str())))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let listed: HashSet<String> = list
        .entries
        .iter()
        .map(|(p, _)| p.as_str().to_owned())
        .chain(list.kept().iter().map(|p| p.as_str().to_owned()))
        .collect();
    let mut by_name: HashMap<String, Vec<(i64, Phone)>> = HashMap::new();
    for row in state.store.list_staff(partner.id).await? {
        if row.state() == StaffState::Disabled || listed.contains(&row.phone) {
            continue;
        }
        if let Ok(phone) = Phone::parse(&row.phone) {
            by_name
                .entry(name_key(&row.name))
                .or_default()
                .push((row.id, phone));
        }
    }
    let mut phones: Vec<Phone> = Vec::new();
    let mut seen = HashSet::new();
    for (i, key) in wanted {
        let Some(meant) = by_name.get(&key) else {
            continue;
        };
        list.skipped[i].kept_by_name = meant.iter().map(|(id, _)| *id).collect();
        phones.extend(
            meant
                .iter()
                .filter(|(id, _)| seen.insert(*id))
                .map(|(_, p)| p.clone()),
        );
    }
    Ok(phones)
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
    let entries = raw_lines(text)
        .iter()
        .map(|(place, phone, name)| entry(*place, phone, name))
        .collect::<Result<Vec<_>>>()?;
    distinct(entries, MAX_CABINET_LIST)
}

/// `parse_lines` with the wrong lines set aside (the cabinet's "skip lines with mistakes").
pub fn parse_lines_lenient(text: &str) -> Result<Lenient> {
    let raw = raw_lines(text);
    Lenient::read(
        raw.iter()
            .map(|(place, phone, name)| (*place, phone.as_str(), name.as_str())),
        MAX_CABINET_LIST,
    )
}

/// The lines that hold an entry, its phone and name as written.
fn raw_lines(text: &str) -> Vec<(Place, String, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || (i == 0 && !line.chars().any(|c| c.is_ascii_digit())) {
            continue;
        }
        let (phone, name) = split_line(line);
        out.push((Place::Line(i + 1), phone, name));
    }
    out
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
    // No separator, or one field between separators: the phone is the run of phone
    // characters at the start or at the end. A separator left at the name's edge is not a
    // name ("+79001112233;" has none).
    let name = |s: &str| {
        s.trim_matches(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '\t'))
            .to_owned()
    };
    let head = line.len() - line.trim_start_matches(phone_char).len();
    if line[..head].chars().any(|c| c.is_ascii_digit()) {
        return (line[..head].trim().to_owned(), name(&line[head..]));
    }
    let tail = line.trim_end_matches(phone_char).len();
    (line[tail..].trim().to_owned(), name(&line[..tail]))
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

/// Adds the list to the partner's staff in one transaction, as `scope` says; `kept` are the
/// phones of entries skipped for their names alone (see `Skipped::readable`).
pub async fn add(
    state: &AppState,
    partner: &PartnerRow,
    entries: &[(Phone, StaffName)],
    kept: &[Phone],
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
            kept,
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
        kept = kept.len(),
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
    kept: &[Phone],
    whole_staff: bool,
) -> Result<Counts> {
    if entries.len() <= MAX_LIST {
        let scope = match whole_staff {
            true => Scope::WholeStaff,
            false => Scope::Addition,
        };
        return Ok(Counts::of(
            &add(state, partner, entries, kept, scope).await?,
        ));
    }
    let sync = match whole_staff {
        true => Some(StaffSyncId(begin_sync(state, partner).await?.id)),
        false => None,
    };
    let scope = sync.map_or(Scope::Addition, Scope::PartOf);
    let mut total = Counts::default();
    for (i, part) in entries.chunks(MAX_LIST).enumerate() {
        // The kept phones go with the first part: the sync's marks are all the finish reads.
        let kept = if i == 0 { kept } else { &[] };
        let c = Counts::of(&add(state, partner, part, kept, scope).await?);
        total.added += c.added;
        total.approved += c.approved;
        total.existing += c.existing;
    }
    if let Some(id) = sync {
        // The count catches a part lost between a caller and us; here none can be, and a kept
        // phone counts only if it is an employee's, which the list cannot say.
        let expected = kept.is_empty().then_some(entries.len() as i64);
        let done = finish_sync(state, partner, id, expected).await?;
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
        for no_name in [
            "+79001112234",
            "+79001112234;",
            ";+79001112234",
            "+79001112234,\t",
        ] {
            let e = parse_lines(&format!("+79001112233;Петрова\n{no_name}")).unwrap_err();
            assert!(
                e.phrase()
                    .unwrap()
                    .ru()
                    .starts_with("Строка 2: Не указано ФИО"),
                "{no_name:?}: {e}"
            );
        }
        let e = parse_lines("ФИО;Телефон\n\n").unwrap_err();
        assert!(e.phrase().unwrap().ru().contains("пуст"), "{e}");
        let e = entry(Place::Entry(4), "+79001112233", "").unwrap_err();
        assert!(e.phrase().unwrap().ru().starts_with("staff[4]: "), "{e}");
    }

    /// Skipped lines are set aside in order; their readable phones are kept once each, and
    /// not when the same phone is on a good line too.
    #[test]
    fn a_lenient_list_sets_its_mistakes_aside_and_keeps_the_readable_phones() {
        let list = parse_lines_lenient(
            "+79001112233;Петрова\n12345;Иванов\n+79001112234;\n+79001112234;\n+79001112233;\n",
        )
        .unwrap();
        assert_eq!(list.entries.len(), 1);
        let lines: Vec<String> = list.skipped.iter().map(|s| s.why.ru().to_owned()).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].starts_with("Строка 2: Неверный"), "{lines:?}");
        assert!(
            lines[1].starts_with("Строка 3: Не указано ФИО"),
            "{lines:?}"
        );
        let kept: Vec<String> = list.kept().iter().map(|p| p.as_str().to_owned()).collect();
        assert_eq!(kept, ["+79001112234"]);
        let e = parse_lines_lenient("12345;Иванов\n").unwrap_err();
        assert_eq!(
            e.phrase().unwrap().ru(),
            "Ни одной верной записи. Строка 1: Неверный номер телефона"
        );
    }
}
