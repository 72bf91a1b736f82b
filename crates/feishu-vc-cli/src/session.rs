//! The session a reserve or keep command runs in: the configured client, the per-call options
//! the connection flags ask for, the clock, the ledger's location and the printer. Every command
//! with a connection takes it (cargo's `GlobalContext`, gh's `Factory`); it imports nothing from
//! the commands.

use feishu_vc::model::ApiRequest;
use feishu_vc::{Client, Response};
use serde::Serialize;

use crate::args::{Connection, brand_of, timeout_of};
use crate::clock::Clock;
use crate::in_process::{self, InProcess};
use crate::ledger;
use crate::outcome::Failure;
use crate::output::{self, Effect, Printer};
use crate::term::note;
use crate::users;

/// The client's request timeout when --timeout is not given.
const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A configured client and the per-call options the flags ask for.
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) user_token: Option<feishu_vc::model::SecretString>,
    pub(crate) user_id_type: Option<feishu_vc::model::UserIdType>,
    pub(crate) default_owner: Option<String>,
    pub(crate) dry_run: bool,
    pub(crate) printer: Printer,
    /// "Now": the system's, or the emulator's.
    pub(crate) clock: Clock,
    /// Where the ledger is (an error only once a command needs it).
    ledger_at: Result<ledger::Location, Failure>,
    /// How long each request may take (--timeout, else the client's 30 s).
    pub(crate) timeout: std::time::Duration,
}

impl Session {
    pub(crate) fn new(
        cli: &Connection,
        emulator: Option<&InProcess>,
        offset: time::UtcOffset,
        clock: Clock,
        ledger_at: Result<ledger::Location, Failure>,
    ) -> Result<Self, Failure> {
        let dry_run = cli.dry_run;
        let mut builder = Client::builder().brand(brand_of(cli));
        let mut default_owner = None;
        if cli.emulator {
            // A dry run starts no emulator; the demo owner is still the default.
            default_owner = Some(in_process::DEMO_OWNER.to_owned());
        }
        if let Some(emulator) = emulator {
            builder = builder
                .base_url(emulator.base_url())
                .app_credentials(in_process::DEMO_APP_ID, in_process::DEMO_APP_SECRET);
        } else if cli.emulator {
            builder = builder.app_credentials(in_process::DEMO_APP_ID, in_process::DEMO_APP_SECRET);
        } else if let Some(name) = &cli.as_user {
            // The user owns what is booked; their token comes from the token file.
            if let Some(url) = &cli.base_url {
                builder = builder.base_url(url.clone()).allow_http(cli.allow_http);
            }
            builder = builder.token_provider(users::as_user(cli, name.as_deref())?);
        } else {
            if let Some(url) = &cli.base_url {
                builder = builder.base_url(url.clone()).allow_http(cli.allow_http);
            }
            match (&cli.app_id, &cli.app_secret, &cli.user_access_token) {
                // The user's token is the client's own, so that the ledger books as that user.
                (_, _, Some(token)) => {
                    builder = builder
                        .token_provider(std::sync::Arc::new(ledger::FixedUserToken(token.clone())));
                }
                (Some(id), Some(secret), None) => {
                    builder = builder.app_credentials(id.clone(), secret.clone())
                }
                (Some(_), None, None) | (None, Some(_), None) => {
                    return Err(Failure::credentials(
                        "give both --app-id and --app-secret (or FEISHU_APP_ID and FEISHU_APP_SECRET)",
                    ));
                }
                (None, None, None) if !dry_run => {
                    return Err(Failure::credentials(
                        "no credentials: set FEISHU_APP_ID and FEISHU_APP_SECRET, or FEISHU_USER_ACCESS_TOKEN; or try --emulator",
                    ));
                }
                (None, None, None) => {}
            }
        }
        let timeout = timeout_of(cli)?;
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        // Batches and keepers send many calls: paced to Feishu's documented quota.
        builder = builder
            .rate_limiter(std::sync::Arc::new(feishu_vc::InProcessRateLimiter::new(
                feishu_vc::RateQuota::documented(),
            )))
            .validation_clock(move || clock.timestamp());
        let client = builder.build().map_err(Failure::from)?;
        Ok(Self {
            client,
            user_token: cli.user_access_token.clone(),
            user_id_type: cli.user_id_type,
            default_owner,
            dry_run,
            printer: Printer::new(cli.output, offset),
            clock,
            ledger_at,
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
        })
    }

    /// The ledger's location, or why there is none.
    pub(crate) fn ledger_location(&self) -> Result<&ledger::Location, Failure> {
        self.ledger_at
            .as_ref()
            .map_err(|e| Failure::usage(e.message().to_owned()))
    }

    /// Opens the ledger.
    pub(crate) async fn ledger(&self) -> Result<feishu_vc_ledger::Ledger, Failure> {
        let store = self.ledger_location()?.open().await?;
        Ok(ledger::ledger(self.client.clone(), store, self.clock))
    }

    /// Checks `request` as the facade would before sending (so that nothing is recorded for a
    /// request that cannot be sent), naming each violation by the flag that set it.
    pub(crate) fn check<R: feishu_vc::validate::Validate>(
        &self,
        request: &R,
        flags: impl Fn(&str) -> Option<String>,
    ) -> Result<(), Failure> {
        let context =
            feishu_vc::validate::Context::new(self.token_kind()).at(self.clock.timestamp());
        request
            .validate(&context)
            .map(drop)
            .map_err(|v| Failure::invalid(feishu_vc::Error::from(v), flags))
    }

    /// The kind of token calls carry.
    pub(crate) fn token_kind(&self) -> feishu_vc::model::TokenKind {
        self.client
            .transport()
            .token_kind(&self.options())
            .unwrap_or(feishu_vc::model::TokenKind::Tenant)
    }

    pub(crate) fn options(&self) -> feishu_vc::CallOptions {
        let options = feishu_vc::CallOptions::new();
        match &self.user_token {
            Some(token) => options.with_user_access_token(token.clone()),
            None => options,
        }
    }

    /// Records a change in the ledger, when the reservation was booked through it. A ledger that
    /// cannot be opened or written is reported on stderr: the change on Feishu is done, and its
    /// answer is still printed.
    pub(crate) async fn record(&self, reserve_id: &feishu_vc::model::ReserveId, change: Change) {
        let Ok(location) = self.ledger_location() else {
            return;
        };
        let outcome = async {
            let store = location.open().await?;
            let failed = |e: feishu_vc_ledger::LedgerError| ledger::store_failure(location, &e);
            if store
                .by_reserve_id(reserve_id)
                .await
                .map_err(failed)?
                .is_none()
            {
                return Ok(());
            }
            let at = self.clock.timestamp();
            let moved = match change {
                Change::EndTime(end) => store.set_end_time(reserve_id, end, at).await,
                Change::Ended(state) => store.set_ended(reserve_id, state, at).await,
            }
            .map_err(failed)?;
            if moved.calendar.is_none() {
                return Ok(());
            }
            // Its calendar event follows: the new end, or deleted with it.
            let ledger = self.ledger().await?;
            let followed = match change {
                Change::EndTime(_) => ledger.follow_calendar(reserve_id).await,
                Change::Ended(_) => ledger.remove_from_calendar(reserve_id).await,
            };
            followed.map(drop).map_err(|e| {
                Failure::api(format!(
                    "the reservation changed, but its calendar event did not follow: {}; run the same command again to retry",
                    ledger::describe(&e)
                ))
            })
        };
        if let Err(failure) = outcome.await {
            note(&format!(
                "feishu-vc: warning: the ledger was not updated: {}",
                failure.message()
            ));
        }
    }

    /// Prints an answer, or turns its error into a failure that names the flags.
    pub(crate) fn show<T: Serialize>(
        &self,
        answer: feishu_vc::Result<Response<T>>,
        flags: impl Fn(&str) -> Option<String>,
        reserve_id: Option<&str>,
        effect: Effect,
    ) -> Result<(), Failure> {
        let response = answer.map_err(|e| Failure::invalid(e, flags))?;
        for warning in &response.warnings {
            note(&format!("feishu-vc: warning: {warning}"));
        }
        let data = serde_json::to_value(&response.data)
            .map_err(|e| Failure::usage(format!("could not print the answer: {e}")))?;
        self.printer.answer(&data, reserve_id, effect)
    }

    /// Prints what would be sent; validates first, so that a dry run fails as the real one would.
    pub(crate) fn dry_run<R>(
        &self,
        request: &R,
        flags: impl Fn(&str) -> Option<String>,
    ) -> Result<(), Failure>
    where
        R: ApiRequest + feishu_vc::validate::Validate,
    {
        let kind = self
            .client
            .transport()
            .token_kind(&self.options())
            .unwrap_or(feishu_vc::model::TokenKind::Tenant);
        request
            .validate(&feishu_vc::validate::Context::new(kind))
            .map_err(|v| Failure::invalid(feishu_vc::Error::from(v), flags))?;
        let http = request
            .to_http()
            .map_err(|e| Failure::from(feishu_vc::Error::from(e)))?;
        let url = self
            .client
            .transport()
            .url_of(&http)
            .map_err(Failure::from)?;
        let mut text = format!("{} {url}\n", http.method);
        if let Some(body) = &http.body {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| Failure::usage(e.to_string()))?;
            text.push_str(&output::json(&value)?);
        }
        output::emit(&text, Effect::Read, String::new)
    }
}

/// What a change on Feishu changes in the ledger.
pub(crate) enum Change {
    /// Renewed (or shortened) to this end time.
    EndTime(feishu_vc::model::Timestamp),
    /// Ended: deleted here, or gone.
    Ended(feishu_vc_ledger::State),
}

/// Whether Feishu no longer knows the reservation (121004).
pub(crate) fn is_gone(e: &feishu_vc::Error) -> bool {
    e.code() == Some(feishu_vc::model::ErrorCode::DataNotExist)
}
