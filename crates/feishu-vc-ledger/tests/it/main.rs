//! The ledger's own tests: the store contract, and the ledger against the emulator over loopback.

mod batch;
mod book;
mod calendar;
mod conformance;
mod events;
mod keep;
mod not_booked;
mod postgres;
mod report;
mod sqlite;
mod support;
