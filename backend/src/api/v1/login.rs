//! `auth`, `confirmsmscode`, `updatepushtoken`: the mobile app's login and push registration.

use super::body::{V1Body, lenient};
use super::envelope::{V1Error, envelope};
use super::security::{Caller, TokenAuth};
use super::{V1Tag, client_ip, given, required, state};
use crate::domain::{Device, PushToken, StaffId, now_millis};
use crate::service::login::{self, CodeRequest};
use crate::service::messaging;
use crate::store::{PartnerRow, StaffRow};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;

/// Request of `auth`.
#[derive(Object, Deserialize)]
pub struct AuthRequest {
    /// ИНН организации (партнёра), 10 или 12 цифр.
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Фамилия и инициалы сотрудника.
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffname: Option<String>,
    /// Телефон сотрудника в любом привычном виде: `+79233381638`, `89233381638`, `+7 (923) 338-16-38`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone: Option<String>,
    /// `android` или `apple`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub device: Option<String>,
}

/// A human-readable confirmation.
#[derive(Object, Debug)]
pub struct MessageData {
    pub message: String,
}

envelope!(
    /// Answer of `auth` and `updatepushtoken`.
    MessageEnvelope,
    MessageData
);

/// Request of `confirmsmscode`.
#[derive(Object, Deserialize)]
pub struct ConfirmRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone: Option<String>,
    /// Код из SMS.
    #[serde(default, deserialize_with = "lenient::string")]
    pub smscode: Option<String>,
}

/// The employee's profile with the new employee token.
#[derive(Object, Debug)]
pub struct ProfileData {
    /// Токен сотрудника для заголовка `Authorization`; прежний токен этого сотрудника перестаёт действовать.
    pub apitoken: String,
    #[oai(flatten)]
    pub profile: StaffProfileData,
}

envelope!(
    /// Answer of `confirmsmscode`.
    ProfileEnvelope,
    ProfileData
);

/// Request of `getprofile`.
#[derive(Object, Deserialize)]
pub struct GetProfileRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
}

/// The employee's profile as it is now: `confirmsmscode`'s fields but the token.
#[derive(Object, Debug)]
pub struct StaffProfileData {
    pub inn: String,
    /// Краткое название организации.
    pub firstname: String,
    /// Полное название организации.
    pub companyname: String,
    pub staffname: String,
    pub staffid: String,
    pub device: String,
    pub phone: String,
    /// Addition: `active`, `disabled` or `pending` (awaiting the admin's approval).
    pub state: String,
}

envelope!(
    /// Answer of `getprofile`.
    StaffProfileEnvelope,
    StaffProfileData
);

/// Request of `updatepushtoken`.
#[derive(Object, Deserialize)]
pub struct PushTokenRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификатор сотрудника (also `staffid`, `staff_id`).
    #[oai(rename = "staffId")]
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
    /// Push-токен FCM или APNs (до 4096 видимых символов ASCII, без пробелов); пустая строка
    /// удаляет токен.
    #[serde(default, deserialize_with = "lenient::string")]
    pub pushtoken: Option<String>,
    /// `android` или `apple`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub device: Option<String>,
}

pub struct LoginApi;

#[OpenApi(tag = "V1Tag::MobileAuth")]
impl LoginApi {
    /// Вход сотрудника: шаг 1, SMS с кодом
    ///
    /// Создаёт сотрудника партнёра с этим ИНН (или находит его по телефону) и отправляет код.
    /// Повторный вход с того же телефона сохраняет staffid и историю.
    #[oai(path = "/auth", method = "post")]
    async fn auth(
        &self,
        req: &Request,
        body: V1Body<AuthRequest>,
    ) -> Result<Json<MessageEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        let ip = client_ip(req, state.settings.trust_forwarded_for);
        login::request_code(
            state,
            CodeRequest {
                inn: required(&b.inn, "inn")?,
                phone: required(&b.phone, "phone")?,
                name: required(&b.staffname, "staffname")?,
                device: given(&b.device).unwrap_or("android"),
                client_ip: &ip,
            },
        )
        .await?;
        Ok(MessageEnvelope::ok(MessageData {
            message: "Вам отправлен код подтверждения телефона".into(),
        }))
    }

    /// Вход сотрудника: шаг 2, подтверждение кода
    ///
    /// Не более 5 попыток на код; код действует 5 минут.
    #[oai(path = "/confirmsmscode", method = "post")]
    async fn confirm_sms_code(
        &self,
        req: &Request,
        body: V1Body<ConfirmRequest>,
    ) -> Result<Json<ProfileEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        let c = login::confirm_code(
            state,
            required(&b.inn, "inn")?,
            required(&b.phone, "phone")?,
            required(&b.smscode, "smscode")?,
        )
        .await?;
        Ok(ProfileEnvelope::ok(ProfileData {
            apitoken: c.token.expose().to_owned(),
            profile: staff_profile(&c.partner, &c.staff),
        }))
    }

    /// Обновить push-токен устройства
    ///
    /// С токеном сотрудника (из `confirmsmscode`); токен партнёра тоже принимается, тогда `staffId` обязателен.
    #[oai(path = "/updatepushtoken", method = "post")]
    async fn update_push_token(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<PushTokenRequest>,
    ) -> Result<Json<MessageEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        auth.0.refuse_limited_key()?;
        let staff =
            match &auth.0 {
                Caller::Staff { staff, .. } => {
                    if let Some(id) = given(&b.staffid)
                        && StaffId::parse(id)? != staff.staff_id()
                    {
                        return Err(V1Error::forbidden(phrase!(
                            "Токен сотрудника не позволяет менять данные другого сотрудника",
                            "An employee's token cannot change another employee's data"
                        )));
                    }
                    staff.clone()
                }
                Caller::Partner(p, _) => {
                    let id = StaffId::parse(required(&b.staffid, "staffId")?)?;
                    state.store.staff_by_id(p.id, id).await?.ok_or_else(|| {
                        crate::error::Error::not_found(messaging::staff_not_found(id))
                    })?
                }
            };
        let device = match given(&b.device) {
            Some(d) => Device::parse(d)?.as_str(),
            None => staff
                .device
                .as_deref()
                .and_then(|d| Device::parse(d).ok())
                .unwrap_or(Device::Android)
                .as_str(),
        };
        let push = given(&b.pushtoken).map(PushToken::parse).transpose()?;
        state
            .store
            .set_push_token(staff.staff_id(), push.as_ref(), device, now_millis())
            .await?;
        Ok(MessageEnvelope::ok(MessageData {
            message: "Push token успешно обновлен.".into(),
        }))
    }

    /// Профиль сотрудника (дополнение)
    ///
    /// Для мобильного приложения (токен сотрудника): ФИО, телефон, организация и состояние,
    /// как они сейчас на сервере. Приложение узнаёт при синхронизации, что компания изменила
    /// ФИО или телефон сотрудника или отключила его от рассылки, без нового входа.
    #[oai(path = "/getprofile", method = "post")]
    async fn get_profile(
        &self,
        auth: TokenAuth,
        body: V1Body<GetProfileRequest>,
    ) -> Result<Json<StaffProfileEnvelope>, V1Error> {
        auth.0.check_inn(given(&body.0.inn))?;
        let Caller::Staff { staff, partner } = &auth.0 else {
            return Err(V1Error::forbidden(phrase!(
                "Метод доступен только с токеном сотрудника",
                "This method takes an employee's token only"
            )));
        };
        Ok(StaffProfileEnvelope::ok(staff_profile(partner, staff)))
    }
}

/// The employee and their organisation as `confirmsmscode` and `getprofile` answer them.
fn staff_profile(partner: &PartnerRow, staff: &StaffRow) -> StaffProfileData {
    StaffProfileData {
        inn: partner.inn.clone(),
        firstname: partner.short_name.clone(),
        companyname: partner.full_name.clone(),
        staffname: staff.name.clone(),
        staffid: staff.id.to_string(),
        device: staff.device.clone().unwrap_or_default(),
        phone: staff.phone.clone(),
        state: staff.state().as_str().to_owned(),
    }
}
