//! The ledger's own tests.

mod conformance;
