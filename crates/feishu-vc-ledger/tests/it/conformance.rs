//! The in-memory store passes the conformance suite every store passes.

use std::sync::Arc;

use feishu_vc_ledger::{InMemoryLedger, LedgerStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_ledger_passes_the_conformance_suite() {
    feishu_vc_ledger::testing::conformance(|| async {
        Arc::new(InMemoryLedger::new()) as Arc<dyn LedgerStore>
    })
    .await;
}
