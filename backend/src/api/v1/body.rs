//! Reading v1 request bodies the way existing integrations send them.
//!
//! The guide spells keys several ways (`staffid`, `staffId`, `staff_id`, `date_min`), 1C often
//! sends numbers where strings are documented, `getstaff` carries JSON on a GET, and some clients
//! omit the Content-Type. Keys are folded to lowercase without `_`, `-` or spaces, query
//! parameters fill in what the body lacks, and every failure is a 400 in the envelope.

use super::envelope::{ErrorEnvelope, V1Error, bad_request_because};
use crate::phrase::Phrase;
use crate::state::SharedState;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A v1 request body: documented in the spec as `T`, parsed leniently. `SIZE` marks the
/// methods that carry lists of IDs (`LISTS`: `createmessagebulk`, `schedulemessage`,
/// `recallmessage`: 10,000; `savegroup`: a whole staff), which may be larger than the usual
/// limit, up to `LIST_LIMIT`, and the one that carries a file (`FILE`: `uploadfile`, a file of
/// up to `SIMO_FILE_MAX_BYTES` in base64). A file's body is read in its upload's turn, held
/// until the handler is done with the body (`service::files::upload_turn`).
pub struct V1Body<T, const SIZE: u8 = PLAIN>(
    pub T,
    // Never read: held for its drop, which ends the upload's turn.
    #[allow(dead_code)] Option<tokio::sync::OwnedSemaphorePermit>,
);

pub const PLAIN: u8 = 0;
pub const LISTS: u8 = 1;
pub const FILE: u8 = 2;

/// A body of a list-carrying method: V1Body with the larger limit.
pub type V1ListBody<T> = V1Body<T, LISTS>;

/// The body of `uploadfile`: V1Body with room for a file.
pub type V1FileBody<T> = V1Body<T, FILE>;

const DEFAULT_LIMIT: usize = 64 * 1024;

/// 10,000 IDs written as strings of up to 19 digits take 220 KB; 100,000 members of a group of
/// 8-digit IDs, 1.1 MB. Above `max_body_bytes` when that is set lower.
pub const LIST_LIMIT: usize = 2 * 1024 * 1024;

/// `staffId`, `staff_id`, `Staff-ID` and `staff name` all become `staffid`.
pub fn canonical_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Folds keys; the same field given twice with different values is refused rather than guessed.
pub fn canonicalize(object: Map<String, Value>) -> Result<Map<String, Value>, Phrase> {
    let mut out = Map::with_capacity(object.len());
    for (key, value) in object {
        let canon = canonical_key(&key);
        match out.get(&canon) {
            Some(existing) if existing != &value => {
                return Err(phrase!(
                    "Поле «{canon}» указано несколько раз с разными значениями",
                    "Field “{canon}” is given more than once with different values"
                ));
            }
            _ => {
                out.insert(canon, value);
            }
        }
    }
    Ok(out)
}

pub fn parse_object(bytes: &[u8], query: Option<&str>) -> Result<Map<String, Value>, Phrase> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        phrase!(
            "Тело запроса не в кодировке UTF-8",
            "The request body is not UTF-8"
        )
    })?;
    // A BOM is what 1C's text writer puts first unless told otherwise.
    let text = text.trim_start_matches('\u{feff}').trim();
    let object = if text.is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(phrase!(
                    "Тело запроса должно быть JSON-объектом",
                    "The request body must be a JSON object"
                ));
            }
            Err(e) => return Err(phrase!("Неверный JSON: {e}", "Malformed JSON: {e}")),
        }
    };
    let mut object = canonicalize(object)?;
    if let Some(q) = query {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).map_err(|_| {
            phrase!(
                "Неверная строка параметров запроса",
                "Malformed query string"
            )
        })?;
        for (k, v) in pairs {
            object.entry(canonical_key(&k)).or_insert(Value::String(v));
        }
    }
    Ok(object)
}

impl<'a, T, const SIZE: u8> ApiExtractor<'a> for V1Body<T, SIZE>
where
    T: Type + DeserializeOwned + Send,
{
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: "application/json",
                schema: T::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = request.data::<SharedState>();
        let limit = state.map_or(DEFAULT_LIMIT, |s| s.settings.max_body_bytes);
        let limit = match SIZE {
            LISTS => limit.max(LIST_LIMIT),
            FILE => limit.max(state.map_or(DEFAULT_LIMIT, |s| {
                crate::service::files::body_limit(&s.settings)
            })),
            _ => limit,
        };
        let too_large = || {
            V1Error::PayloadTooLarge(ErrorEnvelope::new(&phrase!(
                "Слишком большой запрос: не более {limit} байт",
                "The request is too large: {limit} bytes at most"
            )))
        };
        let timeout = crate::serve::request_read_timeout(request);
        // The turn is waited for up to the read's timeout, and the body then has its own: the
        // wait is the server's, not the client's slowness.
        let turn = match (SIZE, state) {
            (FILE, Some(s)) => Some(
                crate::service::files::upload_turn(s, timeout)
                    .await
                    .map_err(V1Error::from)?,
            ),
            _ => None,
        };
        let bytes = match body.take() {
            // A body already in costs no timer: the read is done before the timeout's is armed.
            Ok(b) => match tokio::time::timeout(timeout, b.into_bytes_limit(limit)).await {
                Ok(read) => read.map_err(|e| match e {
                    poem::error::ReadBodyError::PayloadTooLarge => too_large(),
                    other => V1Error::bad_request(phrase!(
                        "Не удалось прочитать тело запроса: {other}",
                        "The request body could not be read: {other}"
                    )),
                })?,
                Err(_) => {
                    let secs = timeout.as_secs();
                    return Err(V1Error::RequestTimeout(ErrorEnvelope::new(&phrase!(
                        "Тело запроса не получено за {secs} с",
                        "The request body did not arrive within {secs} s"
                    )))
                    .into());
                }
            },
            Err(_) => Default::default(),
        };
        let query = request.uri().query();
        let object = parse_object(&bytes, query).map_err(V1Error::bad_request)?;
        match serde_json::from_value(Value::Object(object)) {
            Ok(value) => Ok(Self(value, turn)),
            // Read again, tracking the path, only to say which field was wrong: every call
            // that reads well pays nothing for it.
            Err(plain) => Err(V1Error::bad_request(
                parse_object(&bytes, query)
                    .ok()
                    .and_then(|object| {
                        serde_path_to_error::deserialize::<_, T>(Value::Object(object)).err()
                    })
                    .map_or_else(
                        || bad_request_because(&plain.to_string()),
                        |e| refused_field(&e),
                    ),
            )
            .into()),
        }
    }
}

/// "Wrong request: “staffid”: a string expected": the field named (as folded: `staffid` for
/// `staffId`; `staff[3].phone` inside a list), so that a body of twenty fields says which one.
fn refused_field(e: &serde_path_to_error::Error<serde_json::Error>) -> Phrase {
    let detail = e.inner().to_string();
    match e.path().to_string().as_str() {
        "." | "" => bad_request_because(&detail),
        path => phrase!(
            "Неверный запрос: «{path}»: {detail}",
            "Wrong request: “{path}”: {detail}"
        ),
    }
}

/// Deserializers that take what 1C and hand-written clients actually send.
pub mod lenient {
    use super::super::envelope::lang;
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    fn expected<E: Error>(what: crate::phrase::Phrase) -> E {
        E::custom(what.get(lang()))
    }

    fn a_string<E: Error>() -> E {
        expected(phrase!("ожидалась строка", "a string expected"))
    }

    fn an_integer<E: Error>() -> E {
        expected(phrase!("ожидалось целое число", "an integer expected"))
    }

    fn a_list<E: Error>() -> E {
        expected(phrase!(
            "ожидался список идентификаторов",
            "a list of IDs expected"
        ))
    }

    /// A scalar as text: a string, a number or `true`/`false`; `null` and absent mean "not
    /// given"; a list or an object is `wrong`.
    fn scalar<'de, D: Deserializer<'de>>(
        d: D,
        wrong: fn() -> D::Error,
    ) -> Result<Option<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(wrong()),
        }
    }

    /// A string field that may arrive as a number; `null` and absent mean "not given".
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        scalar(d, a_string::<D::Error>)
    }

    /// A yes-or-no field as text, for `flag` to read (`true`/`false` as JSON or as text,
    /// `1`/`0`). A list or an object is refused by what a yes or no is, not as a string.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        scalar(d, || {
            expected::<D::Error>(phrase!(
                "ожидалось true или false",
                "true or false expected"
            ))
        })
    }

    /// An integer that may arrive as a string; `""` and `null` mean "not given".
    pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(an_integer::<D::Error>),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| an_integer::<D::Error>()),
            Some(_) => Err(an_integer::<D::Error>()),
        }
    }

    /// A list of ids: an array of strings or numbers, or one comma-separated string.
    pub fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(a_list::<D::Error>()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(s)) => Ok(Some(
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            )),
            Some(Value::Number(n)) => Ok(Some(vec![n.to_string()])),
            Some(_) => Err(a_list::<D::Error>()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_documented_key_variants() {
        let m = parse_object(
            br#"{"staffId": "1", "date_min": "", "Staff name": "x"}"#,
            None,
        )
        .unwrap();
        assert!(
            m.contains_key("staffid") && m.contains_key("datemin") && m.contains_key("staffname")
        );
    }

    #[test]
    fn refuses_conflicting_duplicates_and_non_objects() {
        assert!(parse_object(br#"{"staffid": "1", "staff_id": "2"}"#, None).is_err());
        assert!(parse_object(br#"{"staffid": "1", "staff_id": "1"}"#, None).is_ok());
        assert!(parse_object(b"[1,2]", None).is_err());
        assert!(parse_object(b"\xff\xfe", None).is_err());
    }

    #[test]
    fn query_fills_what_the_body_lacks() {
        let m = parse_object(b"", Some("inn=7707083893&staff%5Fid=5")).unwrap();
        assert_eq!(m["inn"], "7707083893");
        assert_eq!(m["staffid"], "5");
    }
}
