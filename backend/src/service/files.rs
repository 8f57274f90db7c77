//! Files sent with messages: what may be uploaded, which files a message may carry, and who
//! may download them. The store's side is `store::files`.

use crate::config::{Knob, Settings};
use crate::domain::{FileId, FileName, FileUpload, Millis, now_millis};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{FileData, FileRow, FileStored, PartnerRow};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::time::Duration;

pub const FILE_KNOBS: &[Knob] = &[
    Knob {
        key: "file_max_bytes",
        default: "5242880",
        help: "largest file a message may carry (uploadfile, the cabinet's send form), in bytes; up to 5 files a message",
    },
    Knob {
        key: "file_uploads_at_once",
        default: "4",
        help: "uploads read at once (uploadfile, the cabinet's send form with files); the others wait their turn up to the request read timeout, then are answered 429",
    },
    Knob {
        key: "file_quota_bytes",
        default: "1073741824",
        help: "bytes of files one company may keep (its messages' files and those waiting to be attached or sent); an upload beyond it is refused (409); 0: no limit; the operator may give a company its own",
    },
];

/// Files one message carries at most: what a phone's screen lists under a message.
pub const MAX_PER_MESSAGE: usize = 5;

/// How long an uploaded file waits to be attached to a message; after that, unless a message
/// carries it, the housekeeping deletes it.
pub const KEEP_UNUSED: Duration = Duration::from_secs(24 * 3600);

/// The server's largest file (`SIMO_FILE_MAX_BYTES`).
pub fn max_bytes(settings: &Settings) -> Result<usize> {
    at_least_one(settings, "file_max_bytes")
}

/// How many uploads are read at once (`SIMO_FILE_UPLOADS_AT_ONCE`): each holds its file about
/// three times while it is read (body, JSON, bytes); 32 uploads of 5 MB at once took the
/// server to 586 MB, against 180 MB in 4 turns (README, "Files in messages").
pub fn uploads_at_once(settings: &Settings) -> Result<usize> {
    at_least_one(settings, "file_uploads_at_once")
}

/// The bytes of files one company may keep (`SIMO_FILE_QUOTA_BYTES`); `None`: no limit. A
/// company's files stay while its messages (or waiting sends) carry them, so without a limit
/// one company could fill the server's disk for all.
pub fn quota_bytes(settings: &Settings) -> Result<Option<i64>> {
    let quota: u64 = settings.module_number("file_quota_bytes")?;
    Ok((quota > 0).then(|| i64::try_from(quota).unwrap_or(i64::MAX)))
}

/// Most megabytes the operator may give one company: a terabyte.
const MAX_ROOM_MB: i64 = 1_048_576;

/// A company's room for files in bytes: the operator's for it (`own_mb`, in megabytes, 0 for
/// no limit), or the server's; `None`: no limit.
pub fn room_of(settings: &Settings, own_mb: Option<i64>) -> Result<Option<i64>> {
    match own_mb {
        Some(0) => Ok(None),
        Some(mb) => Ok(Some(mb.saturating_mul(1024 * 1024))),
        None => quota_bytes(settings),
    }
}

/// The operator's room for a company's files as typed: megabytes, 0 for no limit, or empty
/// (`default`) for the server's.
pub fn parse_room(raw: &str) -> std::result::Result<Option<i64>, crate::phrase::Phrase> {
    crate::service::throttle::parse_own_limit(raw, MAX_ROOM_MB).ok_or(phrase!(
        "Место для файлов — целое число мегабайт от 0 (без ограничения) до 1 048 576, или пусто (как у сервера)",
        "The room for files is a whole number of megabytes from 0 (no limit) to 1,048,576, or empty (the server's)"
    ))
}

/// Bytes as megabytes with one decimal, for the words of a refusal.
fn mb(bytes: i64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn at_least_one(settings: &Settings, key: &str) -> Result<usize> {
    match settings.module_number(key)? {
        0 => Err(Error::Config(format!(
            "SIMO_{}: must be at least 1",
            key.to_uppercase()
        ))),
        n => Ok(n),
    }
}

/// Waits for an upload's turn (see `uploads_at_once`), up to `wait`; the turn is held until
/// the permit is dropped, after the file is stored.
pub async fn upload_turn(
    state: &AppState,
    wait: Duration,
) -> Result<tokio::sync::OwnedSemaphorePermit> {
    match tokio::time::timeout(wait, state.uploads.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(closed)) => Err(Error::Internal(format!("upload turns: {closed}"))),
        Err(_) => Err(Error::TooManyRequests {
            message: phrase!(
                "Сервер сейчас принимает другие файлы. Повторите загрузку через несколько секунд",
                "The server is taking other files right now. Repeat the upload in a few seconds"
            ),
            retry_after_secs: UPLOAD_RETRY_SECS,
        }),
    }
}

/// The pause an upload refused for its turn is told to take.
const UPLOAD_RETRY_SECS: u64 = 5;

/// The largest body of `uploadfile`: the file in base64 (4 bytes for every 3, and 1C's line
/// breaks every 76 characters, each `\r\n` written in JSON as four characters) and the rest of
/// the request.
pub fn body_limit(settings: &Settings) -> usize {
    let max = max_bytes(settings).unwrap_or(5 * 1024 * 1024);
    let base64 = max.div_ceil(3) * 4;
    base64 + base64 / 76 * 4 + 64 * 1024
}

/// The bytes of a file sent in base64: the standard alphabet or the URL-safe one, padded or
/// not, with line breaks (1C's `Base64Строка` breaks its lines) or without.
pub fn decode_base64(raw: &str) -> Result<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let compact: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let unpadded = compact.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(unpadded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(unpadded))
        .map_err(|_| {
            Error::invalid(phrase!(
                "Поле «content» должно содержать файл в кодировке Base64",
                "“content” must hold the file in Base64"
            ))
        })
}

/// Stores a file of the partner, to be attached to messages within `KEEP_UNUSED`.
pub async fn upload(
    state: &AppState,
    partner: &PartnerRow,
    name: FileName,
    data: Vec<u8>,
    uploaded_by: &str,
) -> Result<FileRow> {
    let file = FileUpload::new(name, data, max_bytes(&state.settings)?)
        .map_err(|e| Error::Invalid(e.0))?;
    store(state, partner, file, uploaded_by).await
}

/// Stores a file already checked (`FileUpload::new`), if the partner's room for files
/// (`room_of`) holds it.
pub async fn store(
    state: &AppState,
    partner: &PartnerRow,
    file: FileUpload,
    uploaded_by: &str,
) -> Result<FileRow> {
    let partner_id = partner.id;
    let sha256 = hex::encode(Sha256::digest(&file.data));
    let room = room_of(&state.settings, partner.file_room_mb)?;
    let stored = state
        .store
        .insert_file(partner_id, &file, &sha256, uploaded_by, now_millis(), room)
        .await?;
    let row = match (stored, room) {
        (FileStored::Stored(row), _) => row,
        (FileStored::NoRoom { used }, room) => {
            let room = room.unwrap_or_default();
            tracing::info!(partner_id, used, room, "upload refused: no room for files");
            return Err(Error::Conflict(phrase!(
                "Файлы организации занимают {} МБ из {} МБ, и файл в {} МБ не помещается. \
                 Файл, не приложенный к сообщению, удаляется через сутки после загрузки, файл \
                 сообщений — вместе с ними (срок хранения сообщений)",
                "The company's files take {} MB of {} MB, and a file of {} MB does not fit. A \
                 file no message carries is deleted a day after its upload, a message's file \
                 with its messages (their retention)",
                mb(used),
                mb(room),
                mb(file.data.len() as i64)
            )));
        }
    };
    tracing::info!(
        partner_id,
        file_id = row.id,
        size = row.size,
        "file uploaded"
    );
    Ok(row)
}

/// The files a message is asked to carry: at most `MAX_PER_MESSAGE`, each once, each one of
/// the partner's files; in the order given.
pub async fn attachable(
    state: &AppState,
    partner_id: i64,
    raw: Option<Vec<String>>,
) -> Result<Vec<FileId>> {
    let raw = raw.unwrap_or_default();
    if raw.len() > MAX_PER_MESSAGE {
        return Err(Error::invalid(phrase!(
            "К сообщению можно приложить не более {MAX_PER_MESSAGE} файлов",
            "A message carries {MAX_PER_MESSAGE} files at most"
        )));
    }
    let mut ids = Vec::with_capacity(raw.len());
    for id in &raw {
        let id = FileId::parse(id).map_err(|e| Error::Invalid(e.0))?;
        if ids.contains(&id) {
            return Err(Error::invalid(phrase!(
                "Файл {id} указан дважды",
                "File {id} is given twice"
            )));
        }
        ids.push(id);
    }
    let plain: Vec<i64> = ids.iter().map(|f| f.0).collect();
    let found = state.store.partner_files(partner_id, &plain).await?;
    if let Some(missing) = ids.iter().find(|id| found.iter().all(|f| f.id != id.0)) {
        return Err(file_not_found(*missing));
    }
    Ok(ids)
}

pub fn file_not_found(id: FileId) -> Error {
    Error::not_found(phrase!(
        "Файл {id} не найден: загрузите его снова (uploadfile); файл, не приложенный ни к одному сообщению, хранится сутки",
        "File {id} not found: upload it again (uploadfile); a file no message carries is kept for a day"
    ))
}

/// A file of one of the employee's messages, as their app downloads it; not when the message
/// was recalled, nor another employee's.
pub async fn staff_file(
    state: &AppState,
    staff_id: i64,
    message_id: i64,
    file_id: FileId,
) -> Result<FileData> {
    state
        .store
        .staff_file(staff_id, message_id, file_id.0)
        .await?
        .ok_or_else(|| {
            Error::not_found(phrase!(
                "У сообщения {message_id} нет файла {file_id} (или сообщение отозвано)",
                "Message {message_id} has no file {file_id} (or it was recalled)"
            ))
        })
}

/// One of the partner's files, as its system or its cabinet downloads it.
pub async fn partner_file(state: &AppState, partner_id: i64, file_id: FileId) -> Result<FileData> {
    state
        .store
        .partner_file(partner_id, file_id.0)
        .await?
        .ok_or_else(|| file_not_found(file_id))
}

/// When unused files are old enough to delete.
pub fn unused_before(now: Millis) -> Millis {
    now - KEEP_UNUSED.as_millis() as Millis
}

/// `Content-Disposition` for a download: the name in UTF-8 (RFC 6266, 5987) and an ASCII
/// stand-in for clients that read only `filename`.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_turns_or_no_bytes_stop_the_start_with_the_variable_named() {
        let mut s = Settings::default();
        assert_eq!(uploads_at_once(&s).unwrap(), 4);
        s.apply("file_uploads_at_once", "0").unwrap();
        let refused = uploads_at_once(&s).unwrap_err().to_string();
        assert!(refused.contains("SIMO_FILE_UPLOADS_AT_ONCE"), "{refused}");
        s.apply("file_max_bytes", "0").unwrap();
        let refused = max_bytes(&s).unwrap_err().to_string();
        assert!(refused.contains("SIMO_FILE_MAX_BYTES"), "{refused}");
    }

    #[test]
    fn base64_as_1c_and_others_write_it() {
        let bytes = b"%PDF-1.7 \xFF\xFE payslip".repeat(10);
        let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let broken: String = standard
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        for text in [&standard, &broken, &url_safe] {
            assert_eq!(decode_base64(text).unwrap(), bytes);
        }
        assert!(decode_base64("не base64!").is_err());
    }

    #[test]
    fn disposition_keeps_the_name_in_utf8() {
        assert_eq!(
            content_disposition("Листок \"март\".pdf"),
            "attachment; filename=\"______ ______.pdf\"; filename*=UTF-8''%D0%9B%D0%B8%D1%81%D1%82%D0%BE%D0%BA%20%22%D0%BC%D0%B0%D1%80%D1%82%22.pdf"
        );
    }

    #[test]
    fn the_body_has_room_for_the_largest_file() {
        let settings = Settings::default();
        let max = max_bytes(&settings).unwrap();
        assert_eq!(max, 5 * 1024 * 1024);
        assert!(body_limit(&settings) > max * 4 / 3 + 4 * (max * 4 / 3 / 76));
    }
}
