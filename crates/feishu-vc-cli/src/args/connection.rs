//! The connection flags: where and as whom commands call, how answers are printed, and the
//! environment variables the command reads for them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use feishu_vc::model::{SecretString, UserIdType};

use feishu_vc::Brand;

use crate::env::{LEDGER_ENV, STATE_ENV, TOKENS_ENV};
use crate::outcome::Failure;

/// Where and as whom reserve commands call; given before `reserve` or after the operation.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection and output")]
pub(crate) struct Connection {
    /// Which Open Platform to call [default: feishu].
    #[arg(long, value_enum)]
    pub(crate) brand: Option<BrandArg>,

    /// A base URL instead of the brand's (a gateway, an emulator).
    #[arg(long, env = "FEISHU_BASE_URL")]
    pub(crate) base_url: Option<String>,

    /// Accept a plain-http --base-url on a host that is not loopback (tokens then travel in clear).
    #[arg(long)]
    pub(crate) allow_http: bool,

    /// The self-built app's id.
    #[arg(long, env = "FEISHU_APP_ID")]
    pub(crate) app_id: Option<String>,

    /// The self-built app's secret (prefer the environment variable: arguments show in `ps`).
    #[arg(long, env = "FEISHU_APP_SECRET", hide_env_values = true)]
    pub(crate) app_secret: Option<SecretString>,

    /// Act as a user with this user_access_token instead of as the app.
    #[arg(long, env = "FEISHU_USER_ACCESS_TOKEN", hide_env_values = true)]
    pub(crate) user_access_token: Option<SecretString>,

    /// Act as a user logged in with `feishu-vc auth login`: `--as-user` for the only one stored,
    /// `--as-user=NAME` to choose. Their token is refreshed when due and the new one saved; the
    /// user owns what is booked, so --owner is not needed.
    #[arg(
        long,
        value_name = "NAME",
        num_args = 0..=1,
        require_equals = true
    )]
    pub(crate) as_user: Option<Option<String>>,

    /// The file where `auth login` keeps users' tokens [default: the user data directory's
    /// feishu-vc/users/<app id>.json, such as ~/.local/share/feishu-vc/users/cli_xxx.json].
    #[arg(long, value_name = "FILE", env = TOKENS_ENV)]
    pub(crate) user_tokens: Option<PathBuf>,

    /// How user ids are read and written: open_id (default), union_id or user_id.
    #[arg(long, value_parser = parse_user_id_type)]
    pub(crate) user_id_type: Option<UserIdType>,

    /// Timeout of each attempt, in seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,

    /// Run against the built-in emulator with demo credentials: nothing is booked on Feishu. Its
    /// reservations are kept between commands in a per-user state file (see --emulator-state);
    /// `feishu-vc emulator reset` empties it.
    #[arg(long)]
    pub(crate) emulator: bool,

    /// The built-in emulator's state file [default: the user data directory's
    /// feishu-vc/emulator-state, such as ~/.local/share/feishu-vc/emulator-state].
    #[arg(long, value_name = "FILE", env = STATE_ENV)]
    pub(crate) emulator_state: Option<PathBuf>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(short, long, value_enum)]
    pub(crate) output: Option<OutputFormat>,

    /// Print the method, URL and JSON body that would be sent, and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// The ledger of what was booked: a SQLite file, or a postgres:// URL for several machines
    /// [default: the user data directory's feishu-vc/ledger.sqlite3; with --emulator, a file
    /// beside the emulator's state].
    #[arg(long, value_name = "FILE|URL", env = LEDGER_ENV, hide_env_values = true)]
    pub(crate) ledger: Option<SecretString>,

    /// Run by a served emulator's clock (read once from `GET <base-url>/_emulator/clock`), for
    /// tests against an emulator whose time was advanced.
    #[arg(long, hide = true, env = "FEISHU_VC_EMULATOR_CLOCK", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub(crate) emulator_clock: Option<bool>,
}

impl Connection {
    /// These flags with `inner`'s (given after the operation) taking precedence.
    pub(crate) fn merged(&self, inner: &Connection) -> Connection {
        let c = inner.clone();
        Connection {
            brand: c.brand.or(self.brand),
            base_url: c.base_url.or_else(|| self.base_url.clone()),
            allow_http: c.allow_http || self.allow_http,
            app_id: c.app_id.or_else(|| self.app_id.clone()),
            app_secret: c.app_secret.or_else(|| self.app_secret.clone()),
            user_access_token: c
                .user_access_token
                .or_else(|| self.user_access_token.clone()),
            as_user: c.as_user.or_else(|| self.as_user.clone()),
            user_tokens: c.user_tokens.or_else(|| self.user_tokens.clone()),
            user_id_type: c.user_id_type.or(self.user_id_type),
            timeout: c.timeout.or(self.timeout),
            emulator: c.emulator || self.emulator,
            emulator_state: c.emulator_state.or_else(|| self.emulator_state.clone()),
            output: c.output.or(self.output),
            dry_run: c.dry_run || self.dry_run,
            ledger: c.ledger.or_else(|| self.ledger.clone()),
            emulator_clock: c.emulator_clock.or(self.emulator_clock),
        }
    }
}

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// The answer's `data`, as JSON.
    Json,
    /// The fields a person reads, times in local time.
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BrandArg {
    /// open.feishu.cn
    Feishu,
    /// open.larksuite.com
    Lark,
}

fn parse_user_id_type(text: &str) -> Result<UserIdType, String> {
    text.parse()
        .map_err(|e: feishu_vc::model::ParseEnumError| e.to_string())
}

/// The brand the flags choose (Feishu unless --brand lark).
pub(crate) fn brand_of(c: &Connection) -> Brand {
    match c.brand.unwrap_or(BrandArg::Feishu) {
        BrandArg::Feishu => Brand::Feishu,
        BrandArg::Lark => Brand::Lark,
    }
}

/// The timeout --timeout asks for, if any.
pub(crate) fn timeout_of(c: &Connection) -> Result<Option<std::time::Duration>, Failure> {
    match c.timeout {
        None => Ok(None),
        Some(secs) if secs.is_finite() && secs > 0.0 => {
            Ok(Some(std::time::Duration::from_secs_f64(secs)))
        }
        Some(_) => Err(Failure::usage(
            "--timeout takes a positive number of seconds",
        )),
    }
}
