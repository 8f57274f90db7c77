//! `uploadfile` and `getfile` (additions): files sent with messages.

use super::body::{V1Body, V1FileBody, lenient};
use super::envelope::{V1Error, envelope};
use super::security::{Caller, TokenAuth};
use super::{V1Tag, given, missing, required, state};
use crate::domain::{FileId, FileName, MessageId};
use crate::service::files;
use crate::store::{FileData, FileRow};
use poem::Request;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

/// Request of `uploadfile`.
#[derive(Object, Deserialize)]
pub struct UploadFileRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Имя файла, как его увидит сотрудник, с расширением: pdf, jpg, jpeg, png, gif, webp,
    /// heic, txt, csv, rtf, doc, docx, xls, xlsx, ppt, pptx, odt, ods; до 150 символов.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// Содержимое файла в Base64 (с переносами строк, как у `Base64Строка` 1С, или без), до
    /// 5 МБ после декодирования (`SIMO_FILE_MAX_BYTES`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub content: Option<String>,
}

/// A stored file.
#[derive(Object, Debug)]
pub struct UploadedFile {
    /// Идентификатор файла для `fileids` в createmessage и createmessagebulk. Файл, не
    /// приложенный ни к одному сообщению, удаляется через сутки. Тот же файл, загруженный
    /// снова, получает тот же идентификатор.
    pub fileid: String,
    pub name: String,
    /// Размер в байтах.
    pub size: i64,
    /// Тип содержимого по расширению имени (например, `application/pdf`).
    pub contenttype: String,
    /// SHA-256 содержимого (hex): сверка с исходным файлом.
    pub sha256: String,
    /// Сколько байт занимают все файлы организации, с этим вместе.
    pub usedbytes: i64,
    /// Сколько байт файлов организация может хранить (`SIMO_FILE_QUOTA_BYTES`, 1 ГБ по
    /// умолчанию, или сколько дал ей оператор); загрузка сверх этого отклоняется (409). null —
    /// без ограничения.
    pub quotabytes: Option<i64>,
}

impl UploadedFile {
    fn new(f: FileRow, usedbytes: i64, quotabytes: Option<i64>) -> Self {
        Self {
            fileid: f.id.to_string(),
            name: f.name,
            size: f.size,
            contenttype: f.content_type,
            sha256: f.sha256,
            usedbytes,
            quotabytes,
        }
    }
}

envelope!(
    /// Answer of `uploadfile`.
    UploadFileEnvelope,
    UploadedFile
);

/// Request of `getfile`.
#[derive(Object, Deserialize)]
pub struct GetFileRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификатор файла (`fileid` из uploadfile или из `files` сообщения в getmessage).
    #[serde(default, deserialize_with = "lenient::string")]
    pub fileid: Option<String>,
    /// С токеном сотрудника обязателен: сообщение, к которому приложен файл. Файл
    /// отозванного сообщения не выдаётся.
    #[serde(default, deserialize_with = "lenient::string")]
    pub messageid: Option<String>,
}

#[derive(ApiResponse)]
pub enum FileAnswer {
    /// Содержимое файла; ошибки — в обычном конверте JSON.
    #[oai(status = 200)]
    File(
        Binary<Vec<u8>>,
        /// Тип содержимого файла (как `contenttype`).
        #[oai(header = "Content-Type")]
        String,
        /// `attachment` с именем файла (RFC 6266, имя в UTF-8 в `filename*`).
        #[oai(header = "Content-Disposition")]
        String,
        /// SHA-256 содержимого в кавычках: файл не меняется, приложение может его хранить.
        #[oai(header = "ETag")]
        String,
        #[oai(header = "X-Content-Type-Options")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

impl From<FileData> for FileAnswer {
    fn from(f: FileData) -> Self {
        Self::File(
            Binary(f.data),
            f.content_type,
            files::content_disposition(&f.name),
            format!("\"{}\"", f.sha256),
            "nosniff".into(),
            "private, max-age=31536000, immutable".into(),
        )
    }
}

pub struct FilesApi;

#[OpenApi(tag = "V1Tag::Messages")]
impl FilesApi {
    /// Загрузить файл для сообщений (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): файл (расчётный листок, график, приказ) сохраняется,
    /// и его `fileid` прикладывается к сообщениям полем `fileids` в createmessage и
    /// createmessagebulk (до 5 файлов в сообщении). Один файл можно приложить к любому числу
    /// сообщений: рассылка 10 000 сотрудникам хранит его один раз. Тот же файл (то же имя и
    /// содержимое), загруженный снова, получает прежний `fileid` и хранится ещё сутки.
    /// Сотрудник видит файлы под текстом сообщения и открывает их в приложении; скачанный файл
    /// доступен без сети. Файлы организации занимают не больше `quotabytes` (1 ГБ по
    /// умолчанию): загрузка сверх этого — ошибка 409, ничего не сохранено.
    #[oai(path = "/uploadfile", method = "post")]
    async fn upload_file(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1FileBody<UploadFileRequest>,
    ) -> Result<Json<UploadFileEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let name = FileName::parse(required(&b.name, "name")?)?;
        let data = files::decode_base64(required(&b.content, "content")?)?;
        let row = files::upload(state, partner, name, data, &auth.0.actor()).await?;
        let used = state.store.partner_file_bytes(partner.id).await?;
        let quota = files::room_of(&state.settings, partner.file_room_mb)?;
        Ok(UploadFileEnvelope::ok(UploadedFile::new(row, used, quota)))
    }

    /// Скачать файл сообщения (дополнение)
    ///
    /// С токеном сотрудника — файл его сообщения (`messageid` обязателен; отозванное сообщение
    /// файлов не отдаёт); с токеном партнёра — любой файл партнёра. Ответ — содержимое файла
    /// с его типом и именем в `Content-Disposition`.
    #[oai(path = "/getfile", method = "post")]
    async fn get_file(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetFileRequest>,
    ) -> Result<FileAnswer, V1Error> {
        let state = state(req)?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let file_id = FileId::parse(required(&b.fileid, "fileid")?)?;
        let file = match &auth.0 {
            Caller::Staff { staff, .. } => {
                let message =
                    MessageId::parse(given(&b.messageid).ok_or_else(|| missing("messageid"))?)?;
                files::staff_file(state, staff.id, message.0, file_id).await?
            }
            Caller::Partner(partner, _) => files::partner_file(state, partner.id, file_id).await?,
        };
        Ok(file.into())
    }
}
