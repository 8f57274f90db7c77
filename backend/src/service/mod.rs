//! Business rules, free of HTTP: the v1 API, the cabinet and the CLI all call these.

pub mod accounts;
pub mod admins;
pub mod api_keys;
pub mod files;
pub mod groups;
pub mod housekeeping;
pub mod login;
pub mod messaging;
pub mod partners;
pub mod passwords;
pub mod reminders;
pub mod schedule;
pub mod second_factor;
pub mod sms_fallback;
pub mod staff_edit;
pub mod staff_list;
pub mod throttle;
