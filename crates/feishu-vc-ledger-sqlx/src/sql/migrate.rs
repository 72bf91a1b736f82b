//! The schema's migrations, embedded in the binary, and the migrator that applies them.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use feishu_vc_ledger::LedgerError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// The schema's migrations, embedded in the binary: one set per backend.
#[derive(Debug)]
pub(crate) struct Embedded(pub(crate) &'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 's>>
    {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// The migrator for `migrations`. Versions are dated, and versions it does not know are left
/// alone, so the ledger can share a database whose own schema is migrated by sqlx too.
pub(crate) async fn migrator(migrations: Embedded) -> Result<Migrator, LedgerError> {
    let mut migrator = Migrator::new(migrations)
        .await
        .map_err(|e| LedgerError::backend("cannot load the ledger's migrations", e))?;
    migrator.set_ignore_missing(true);
    Ok(migrator)
}
