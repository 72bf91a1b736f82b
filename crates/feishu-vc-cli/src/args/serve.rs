//! The flags of the commands that bring their own: `emulator` and `events listen`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use feishu_vc::model::SecretString;

use super::connection::BrandArg;
use crate::env::STATE_ENV;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    pub(crate) action: Option<EmulatorAction>,

    /// The app the token endpoint accepts [default: the demo app, printed at start].
    #[arg(long, requires = "app_secret")]
    pub(crate) app_id: Option<String>,

    /// That app's secret.
    #[arg(long, requires = "app_id")]
    pub(crate) app_secret: Option<SecretString>,

    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// The port (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,

    /// Persist every change to this file, and load it at start.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,

    /// Push meeting events (vc.meeting.*) to this URL, as Feishu pushes them to an app's request
    /// URL; repeatable. Each URL must answer the URL-verification challenge at start.
    #[arg(long = "event-callback", value_name = "URL")]
    pub(crate) event_callbacks: Vec<String>,

    /// Encrypt (AES-256-CBC) and sign every pushed event and challenge with this Encrypt Key.
    #[arg(long, value_name = "KEY")]
    pub(crate) encrypt_key: Option<SecretString>,

    /// The Verification Token sent in every pushed event and challenge.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) verification_token: Option<SecretString>,

    /// Throttle as Feishu does: each app may call each operation 50 times a second and 1000
    /// times a minute per tenant; past that, HTTP 429 with code 99991400.
    #[arg(long)]
    pub(crate) rate_limit: bool,
}

/// `feishu-vc events ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum EventsAction {
    /// Receive meeting events and print one JSON line per event on stdout (its envelope's header
    /// without the verification token, the event, and `reserve_id` when known) until Ctrl-C.
    /// By default over Feishu's long connection with the app's credentials: the command dials
    /// out, no public URL needed. With --webhook, refused deliveries are answered as Feishu
    /// expects and reported on stderr.
    Listen(ListenArgs),
}

/// How `feishu-vc events listen` receives events.
///
/// Without --webhook or --emulator it opens Feishu's long connection with the app's credentials:
/// the command dials out, so no public URL is needed.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// Serve the app's request URL on this address, such as 0.0.0.0:8080: Feishu POSTs each event
    /// to `/` there. With --emulator: run the demo over webhooks served there (such as
    /// 127.0.0.1:0) instead of over the long connection.
    #[arg(long, value_name = "ADDR")]
    pub(crate) webhook: Option<String>,

    /// A local demo instead: an in-memory emulator books a meeting, starts it, a participant joins
    /// and leaves, the meeting ends; the events come over the long connection (or --webhook) and
    /// are printed as they arrive, and the command ends after the meeting-ended event.
    #[arg(long)]
    pub(crate) emulator: bool,

    /// The self-built app's id, for the long connection.
    #[arg(long, env = "FEISHU_APP_ID")]
    pub(crate) app_id: Option<String>,

    /// The self-built app's secret, for the long connection (prefer the environment variable:
    /// arguments show in `ps`).
    #[arg(long, env = "FEISHU_APP_SECRET", hide_env_values = true)]
    pub(crate) app_secret: Option<SecretString>,

    /// Which Open Platform the long connection is opened on [default: feishu].
    #[arg(long, value_enum)]
    pub(crate) brand: Option<BrandArg>,

    /// A base URL instead of the brand's, for the long connection (a gateway, an emulator).
    #[arg(long, env = "FEISHU_BASE_URL")]
    pub(crate) base_url: Option<String>,

    /// The app's Encrypt Key: deliveries must then be signed and are decrypted (prefer the
    /// environment variable: arguments show in `ps`).
    #[arg(
        long,
        value_name = "KEY",
        env = "FEISHU_ENCRYPT_KEY",
        hide_env_values = true
    )]
    pub(crate) encrypt_key: Option<SecretString>,

    /// The app's Verification Token: every delivery must carry it.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FEISHU_VERIFICATION_TOKEN",
        hide_env_values = true
    )]
    pub(crate) verification_token: Option<SecretString>,
}

/// What `feishu-vc emulator` does instead of serving.
#[derive(Debug, Subcommand)]
pub(crate) enum EmulatorAction {
    /// Empty the state that `--emulator` keeps between commands (delete its state file).
    Reset {
        /// The state file [default: as for --emulator-state].
        #[arg(long, value_name = "FILE", env = STATE_ENV)]
        state: Option<PathBuf>,
    },
}
