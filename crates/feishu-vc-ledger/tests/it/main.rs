//! The ledger against the emulator, over loopback.

mod batch;
mod book;
mod events;
mod keep;
mod support;
