//! Integration tests of feishu-vc-events: one binary (see STYLE.md).

mod app_ticket;
mod decode;
mod dedup;
mod end_to_end;
mod facade;
mod longconn;
mod lookup;
mod router;
mod store_apps;
mod support;
