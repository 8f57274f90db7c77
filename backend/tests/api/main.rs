//! API v1 over real HTTP on loopback, each test on SQLite and on PostgreSQL.

mod helpers;

mod cli;
mod login;
mod messages;
mod openapi;
mod robustness;
mod staff;
