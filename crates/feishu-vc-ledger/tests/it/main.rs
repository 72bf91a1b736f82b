//! The ledger's own tests: the conformance suite on the in-memory store, and the ledger against
//! the emulator, over loopback.

mod batch;
mod book;
mod conformance;
mod events;
mod keep;
mod support;
