//! End-to-end tests of the mobile core (`simo-core`) as a real client of the real server
//! (`simo-backend` in-process on a loopback port), with a fake SMS gateway over HTTP and the
//! backend's fake FCM and APNs servers. One test binary: `cargo test -p simo-tests --test core`.

#[path = "../../../backend/tests/api/fakes/mod.rs"]
mod fakes;
mod helpers;
mod sms;

mod concurrency;
mod files;
mod login_and_sync;
mod offline;
mod push;
mod sessions;
