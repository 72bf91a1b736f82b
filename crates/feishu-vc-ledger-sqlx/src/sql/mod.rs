//! What SQLite and PostgreSQL share: the statements (`statements.rs`), the row's columns and
//! their meaning (`row.rs`), the embedded migrations (`migrate.rs`), and the `LedgerStore`
//! methods, written once and expanded for each backend's pool by `ledger_store!`
//! (`store.rs`). The children import one another, never this file.

mod migrate;
pub(crate) mod row;
pub(crate) mod statements;
pub(crate) mod store;

pub(crate) use migrate::{Embedded, migrator};
pub(crate) use store::ledger_store;
