//! Domain types: every value here was parsed at the edge and is valid by construction.

mod device;
mod file;
mod ids;
mod inn;
mod phone;
mod push_token;
mod registration;
mod repeat;
mod text;
mod time;
mod token;

pub use device::Device;
pub use file::{FileName, FileUpload, extensions as file_extensions, megabytes};
pub use ids::{FileId, GroupId, IdempotencyKey, MessageId, StaffId, StaffSyncId};
pub use inn::Inn;
pub use phone::Phone;
pub use push_token::PushToken;
pub use registration::Registration;
pub use repeat::Repeat;
pub use text::{
    GroupName, MessageText, NAME_PLACEHOLDERS, PartnerName, StaffName, Title, clean, fold,
    has_name_placeholder, personalized, shortened,
};
pub use time::{Millis, TimeFormat, doubled_delay, now_millis};
pub use token::{SecretToken, TokenHash, TokenKind};

use crate::phrase::Phrase;

/// Why a value failed to parse; API users read the Russian, the cabinet its visitor's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub Phrase);

impl ParseError {
    pub fn new(msg: Phrase) -> Self {
        Self(msg)
    }
}
