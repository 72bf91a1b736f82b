//! The environment variables the command reads beyond clap's own declarations: named once here,
//! for the flags that read them and the messages that mention them. A leaf.

/// The environment variable naming the ledger (a SQLite file or a PostgreSQL URL).
pub(crate) const LEDGER_ENV: &str = "FEISHU_VC_LEDGER";

/// The environment variable naming the user-token file.
pub(crate) const TOKENS_ENV: &str = "FEISHU_VC_USER_TOKENS";

/// The environment variable that points `--emulator` at another state file.
pub(crate) const STATE_ENV: &str = "FEISHU_VC_EMULATOR_STATE";
