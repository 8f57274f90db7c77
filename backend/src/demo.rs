//! `serve --demo`: a partner and an employee to try the API with at once.

use crate::domain::{Phone, now_millis};
use crate::error::Result;
use crate::service::partners::{self, PartnerInput};
use crate::store::{StaffState, Store};

pub const DEMO_INN: &str = "7707083893";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const DEMO_PHONE: &str = "+79001234567";

pub struct Demo {
    pub inn: String,
    pub password: String,
    pub token: String,
    pub staff_id: i64,
}

/// Creates the demo partner on first start; later starts issue it a fresh token (the old one
/// was printed and never stored in clear, so it cannot be shown again).
pub async fn ensure(store: &Store) -> Result<Demo> {
    let (partner, token) = match partners::by_inn(store, DEMO_INN).await {
        Ok(p) => {
            let token = crate::service::api_keys::rotate_main(store, p.id, 0).await?;
            (p, token)
        }
        Err(crate::error::Error::NotFound(_)) => {
            partners::create(
                store,
                PartnerInput {
                    inn: DEMO_INN,
                    short_name: "ООО Весна (демо)",
                    full_name: "Общество с ограниченной ответственностью «Весна» (демо)",
                    password: DEMO_PASSWORD,
                    approval_required: false,
                },
            )
            .await?
        }
        Err(e) => return Err(e),
    };
    let phone = Phone::parse(DEMO_PHONE)?;
    let staff = store
        .upsert_staff_on_login(
            partner.id,
            &phone,
            "Иванов Иван (демо)",
            "android",
            StaffState::Active,
            now_millis(),
        )
        .await?;
    Ok(Demo {
        inn: partner.inn,
        password: DEMO_PASSWORD.into(),
        token: token.expose().to_owned(),
        staff_id: staff.id,
    })
}
