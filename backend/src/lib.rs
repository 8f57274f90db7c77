//! SiMO server: the documented partner API v1 over SQLite or PostgreSQL.
//!
//! Layers: `api` (wire) → `service` (rules) → `store` (SQL); `domain` holds the parsed values
//! that cross them.

// First, so that every module below may write `phrase!`.
#[macro_use]
pub mod phrase;

pub mod api;
pub mod cabinet;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod push;
pub mod serve;
pub mod service;
pub mod sms;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod webhook;
