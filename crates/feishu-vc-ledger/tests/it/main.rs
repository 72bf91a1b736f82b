//! The ledger against the emulator, over loopback, and the in-memory store against the
//! conformance suite.

mod batch;
mod book;
mod conformance;
mod events;
mod keep;
mod support;
