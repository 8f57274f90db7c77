//! API v1 over real HTTP on loopback, each test on SQLite and on PostgreSQL.

mod fakes;
mod helpers;

mod acknowledgment;
mod admins;
mod api_keys;
mod cabinet;
mod cabinet_fuzz;
mod cli;
mod employee_card;
mod erase;
mod fuzz;
mod groups;
mod history;
mod login;
mod messages;
mod metrics;
mod openapi;
mod operator_journal;
mod personal;
mod push;
mod push_faults;
mod recall;
mod reminders;
mod robustness;
mod schedule;
mod schedule_edit;
mod sealed;
mod second_factor;
mod send_tally;
mod sent_by;
mod staff;
mod staff_list;
mod staff_sync;
mod templates;
mod webhook;
