//! `feishu-vc`: meeting reservations from a shell. See `feishu-vc --help`, the README's section on
//! the command line, and `docs/architecture.md` for how the modules divide the work.

mod args;
mod auth;
mod batch;
mod batch_file;
mod events;
mod input;
mod keep;
mod ledger;
mod list;
mod local;
mod outcome;
mod output;
mod token_file;
mod when;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use feishu_vc::model::{
    ApiRequest, ApplyReserveBody, ApplyReserveRequest, AssignHostUserType, DeleteReserveRequest,
    GetActiveMeetingRequest, GetReserveRequest, MeetingInitialType, Password, PstnSipInfo,
    ReserveAssignHost, ReserveCallSetting, ReserveCallee, ReserveMeetingSetting, UpdateReserveBody,
    UpdateReserveRequest, UserType,
};
use feishu_vc::{Brand, Client, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::args::{
    ApplyArgs, BrandArg, Cli, Command, Connection, EventsAction, Reserve, Settings, UpdateArgs,
};
use crate::outcome::Failure;
use crate::output::{Effect, Printer, note};

fn main() -> ExitCode {
    // Read while this is the only thread: the local offset cannot be read safely later.
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return clap_exit(&e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    if let Some(own) = own_flags_command(&cli.command) {
        // The emulator and events commands take what they need from their own flags; reserve
        // flags given before them would be ignored, so they are refused. (Their environment
        // variables are simply not read.)
        let connection = <Connection as clap::Args>::augment_args(clap::Command::new("reserve"));
        if let Some(flag) = connection
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .find(|id| matches.value_source(id) == Some(ValueSource::CommandLine))
        {
            return Failure::usage(format!(
                "--{} is for reserve commands; see `feishu-vc {own} --help` for its own flags",
                flag.replace('_', "-")
            ))
            .report();
        }
    }
    init_tracing(cli.verbose);
    // Events are printed in the order they were acknowledged: on one thread, the router's
    // handler tasks run in the order it spawned them.
    let mut runtime = match &cli.command {
        Command::Events { .. } => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return Failure::usage(format!("could not start the async runtime: {e}")).report();
        }
    };
    match runtime.block_on(run(cli, offset)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// The commands that refuse the reserve commands' connection flags, by name.
fn own_flags_command(command: &Command) -> Option<&'static str> {
    match command {
        Command::Emulator(_) => Some("emulator"),
        Command::Events { .. } => Some("events"),
        Command::Reserve(_) | Command::Auth(_) | Command::Keep(_) | Command::Completions { .. } => {
            None
        }
    }
}

/// The command line, with the flags of `reserve` and `auth` accepted after the operation as well.
fn command() -> clap::Command {
    let after = |command: clap::Command| {
        command.mut_args(|arg| {
            if arg.is_positional() {
                arg
            } else {
                arg.global(true)
            }
        })
    };
    // Flags only reserve commands use stay out of `auth --help` (auth refuses the ones that would
    // change something).
    let reserve_only = [
        "dry_run",
        "user_id_type",
        "emulator_state",
        "user_access_token",
        "as_user",
    ];
    Cli::command()
        .mut_subcommand("reserve", after)
        .mut_subcommand("keep", after)
        .mut_subcommand("auth", |auth| {
            after(auth).mut_args(|arg| {
                let hide = reserve_only.contains(&arg.get_id().as_str());
                arg.hide(hide)
            })
        })
}

/// The brand the flags choose (Feishu unless --brand lark).
pub(crate) fn brand_of(c: &Connection) -> Brand {
    match c.brand.unwrap_or(BrandArg::Feishu) {
        BrandArg::Feishu => Brand::Feishu,
        BrandArg::Lark => Brand::Lark,
    }
}

/// The timeout --timeout asks for, if any.
pub(crate) fn timeout_of(c: &Connection) -> Result<Option<Duration>, Failure> {
    match c.timeout {
        None => Ok(None),
        Some(secs) if secs.is_finite() && secs > 0.0 => Ok(Some(Duration::from_secs_f64(secs))),
        Some(_) => Err(Failure::usage(
            "--timeout takes a positive number of seconds",
        )),
    }
}

/// Prints clap's help, version or usage error (a closed stream is no reason to panic) and gives
/// its exit code (0 for help and version, 2 for usage).
fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(outcome::USAGE))
}

/// `-v` / `RUST_LOG`: the SDK's spans and events on stderr. Without either, nothing is installed.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::format::FmtSpan;

    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let directives = match (from_env, verbose) {
        (Some(directives), _) => directives,
        (None, 0) => return,
        (None, 1) => "feishu_vc=debug".to_owned(),
        (None, _) => "feishu_vc=trace".to_owned(),
    };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        note(&format!(
            "feishu-vc: warning: RUST_LOG `{directives}` not understood ({e}); using feishu_vc=debug"
        ));
        EnvFilter::new("feishu_vc=debug")
    });
    // The call span closes once per call, carrying operation, attempt, status, code, log id and
    // latency: one line per call.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .log_internal_errors(false)
        .try_init();
}

async fn run(cli: Cli, offset: time::UtcOffset) -> Result<(), Failure> {
    let reserve = match cli.command {
        Command::Emulator(args) => return local::serve(&args).await,
        Command::Events {
            action: EventsAction::Listen(args),
        } => return events::listen(&args).await,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "feishu-vc", &mut script);
            return output::emit(&String::from_utf8_lossy(&script), Effect::Read, String::new);
        }
        Command::Auth(auth) => {
            return auth::run(&cli.connection.merged(&auth.connection), &auth.action).await;
        }
        Command::Reserve(reserve) => Work::Reserve(reserve),
        Command::Keep(keep) => Work::Keep(keep),
    };
    let connection = match &reserve {
        Work::Reserve(r) => cli.connection.merged(&r.connection),
        Work::Keep(k) => cli.connection.merged(&k.connection),
    };
    if connection.as_user.is_some() {
        if connection.emulator {
            return Err(Failure::usage(auth::NOT_WITH_EMULATOR));
        }
        if connection.user_access_token.is_some() {
            return Err(Failure::usage(
                "--as-user and --user-access-token (FEISHU_USER_ACCESS_TOKEN) each choose the user; give one",
            ));
        }
    }
    // The emulator lives as long as this command; its reservations stay in its state file.
    let emulator_state = if connection.emulator {
        Some(local::state_path(connection.emulator_state.as_deref())?)
    } else {
        None
    };
    let emulator = match &emulator_state {
        Some(state) if !connection.dry_run => Some(local::start_in_process(state).await?),
        _ => None,
    };
    let clock = match (&emulator, &connection.base_url) {
        (Some(emulator), _) => emulator.clock(),
        (None, Some(url)) if connection.emulator_clock == Some(true) => {
            ledger::Clock::of_emulator(url).await?
        }
        _ => ledger::Clock::default(),
    };
    let ledger_at = ledger::Location::resolve(
        connection
            .ledger
            .as_ref()
            .map(feishu_vc::model::SecretString::expose_secret),
        emulator_state.as_deref(),
    );
    let result = match Session::new(&connection, emulator.as_ref(), offset, clock, ledger_at) {
        Ok(session) => match &reserve {
            Work::Reserve(r) => session.run(&r.op).await,
            Work::Keep(k) => keep::run(&session, k).await,
        },
        Err(failure) => Err(failure),
    };
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    result
}

/// What a command with a connection does.
enum Work {
    Reserve(Box<args::ReserveCommand>),
    Keep(Box<args::KeepArgs>),
}

/// A configured client and the per-call options the flags ask for.
struct Session {
    client: Client,
    user_token: Option<feishu_vc::model::SecretString>,
    user_id_type: Option<feishu_vc::model::UserIdType>,
    default_owner: Option<String>,
    dry_run: bool,
    printer: Printer,
    /// "Now": the system's, or the emulator's.
    clock: ledger::Clock,
    /// Where the ledger is (an error only once a command needs it).
    ledger_at: Result<ledger::Location, Failure>,
}

impl Session {
    fn new(
        cli: &Connection,
        emulator: Option<&local::InProcess>,
        offset: time::UtcOffset,
        clock: ledger::Clock,
        ledger_at: Result<ledger::Location, Failure>,
    ) -> Result<Self, Failure> {
        let dry_run = cli.dry_run;
        let mut builder = Client::builder().brand(brand_of(cli));
        let mut default_owner = None;
        if cli.emulator {
            // A dry run starts no emulator; the demo owner is still the default.
            default_owner = Some(local::DEMO_OWNER.to_owned());
        }
        if let Some(emulator) = emulator {
            builder = builder
                .base_url(emulator.base_url())
                .app_credentials(local::DEMO_APP_ID, local::DEMO_APP_SECRET);
        } else if cli.emulator {
            builder = builder.app_credentials(local::DEMO_APP_ID, local::DEMO_APP_SECRET);
        } else if let Some(name) = &cli.as_user {
            // The user owns what is booked; their token comes from the token file.
            if let Some(url) = &cli.base_url {
                builder = builder.base_url(url.clone()).allow_http(cli.allow_http);
            }
            builder = builder.token_provider(auth::as_user(cli, name.as_deref())?);
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
        if let Some(timeout) = timeout_of(cli)? {
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
        })
    }

    /// The ledger's location, or why there is none.
    fn ledger_location(&self) -> Result<&ledger::Location, Failure> {
        self.ledger_at
            .as_ref()
            .map_err(|e| Failure::usage(e.message().to_owned()))
    }

    /// Opens the ledger.
    async fn ledger(&self) -> Result<feishu_vc_ledger::Ledger, Failure> {
        let store = self.ledger_location()?.open().await?;
        Ok(ledger::ledger(self.client.clone(), store, self.clock))
    }

    /// Checks `request` as the facade would before sending (so that nothing is recorded for a
    /// request that cannot be sent), naming each violation by the flag that set it.
    fn check<R: feishu_vc::validate::Validate>(
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
    fn token_kind(&self) -> feishu_vc::model::TokenKind {
        self.client
            .transport()
            .token_kind(&self.options())
            .unwrap_or(feishu_vc::model::TokenKind::Tenant)
    }

    fn options(&self) -> feishu_vc::CallOptions {
        let options = feishu_vc::CallOptions::new();
        match &self.user_token {
            Some(token) => options.with_user_access_token(token.clone()),
            None => options,
        }
    }

    async fn run(&self, op: &Reserve) -> Result<(), Failure> {
        let reserves = self.client.reserves();
        let t = self.user_id_type;
        match op {
            Reserve::Apply(args) if args.batch.is_some() => batch::run(self, args).await,
            Reserve::Apply(args) => {
                let flags = |path: &str| flag_of(path, &args.settings, args.owner.is_some());
                let request = self.apply_request(args)?;
                if self.dry_run {
                    return self.dry_run(&request, flags);
                }
                self.check(&request, flags)?;
                let location = self.ledger_location()?;
                let key = args.key.clone().unwrap_or_else(ledger::fresh_key);
                let (record, error) = self
                    .ledger()
                    .await?
                    .book_with_error(
                        feishu_vc_ledger::IntentKey::new(key),
                        request,
                        feishu_vc_ledger::BookOptions::default().keep(args.keep),
                    )
                    .await
                    .map_err(|e| ledger::book_failure(location, e))?;
                // Not booked, pending again: ends as its error does (a user's login that must be
                // renewed, a network failure, rate limiting), saying it was not booked.
                if let (feishu_vc_ledger::State::Pending, Some(error)) = (record.state, error) {
                    return Err(list::not_booked(record.key(), Failure::from(error)));
                }
                list::show_booked(&self.printer, &record)
            }
            Reserve::List(args) => list::run(self, args).await,
            Reserve::Get { id } => {
                let mut request = GetReserveRequest::new(id.as_str());
                request.user_id_type = t;
                if self.dry_run {
                    return self.dry_run(&request, no_flags);
                }
                let mut call = reserves.get(id.clone()).with_options(self.options());
                if let Some(t) = t {
                    call = call.set_user_id_type(t);
                }
                self.show(call.await, no_flags, None, Effect::Read)
            }
            Reserve::Update(args) => {
                let flags = |path: &str| flag_of(path, &args.settings, false);
                let request = self.update_request(args)?;
                if self.dry_run {
                    return self.dry_run(&request, flags);
                }
                let renews = request.body.end_time.is_some();
                let reserve_id = request.reserve_id.clone();
                let call = reserves
                    .update(request.reserve_id.clone(), request.body)
                    .with_options(self.options());
                let call = match request.user_id_type {
                    Some(t) => call.set_user_id_type(t),
                    None => call,
                };
                let answer = call.await;
                match &answer {
                    Ok(response) if renews => {
                        if let Some(end) = response.data.end_time {
                            self.record(&reserve_id, Change::EndTime(end)).await;
                        }
                    }
                    Err(e) if is_gone(e) => {
                        self.record(&reserve_id, Change::Ended(feishu_vc_ledger::State::Gone))
                            .await;
                    }
                    _ => {}
                }
                self.show(answer, flags, None, Effect::Changed("updated"))
            }
            Reserve::Delete { id, yes } => {
                if self.dry_run {
                    return self.dry_run(&DeleteReserveRequest::new(id.as_str()), no_flags);
                }
                if !yes && std::io::stdin().is_terminal() && !confirm(id)? {
                    return Err(Failure::usage("not deleted; nothing was sent"));
                }
                let answer = reserves
                    .delete(id.clone())
                    .with_options(self.options())
                    .await;
                let reserve_id = feishu_vc::model::ReserveId::from(id.as_str());
                let ended = match &answer {
                    Ok(_) => Some(feishu_vc_ledger::State::Deleted),
                    Err(e) if is_gone(e) => Some(feishu_vc_ledger::State::Gone),
                    Err(_) => None,
                };
                if let Some(state) = ended {
                    self.record(&reserve_id, Change::Ended(state)).await;
                }
                self.show(answer, no_flags, Some(id), Effect::Changed("deleted"))
            }
            Reserve::Active {
                id,
                with_participants,
            } => {
                let mut request = GetActiveMeetingRequest::new(id.as_str())
                    .set_with_participants(*with_participants);
                request.user_id_type = t;
                if self.dry_run {
                    return self.dry_run(&request, no_flags);
                }
                let mut call = reserves
                    .get_active_meeting(id.clone())
                    .with_options(self.options())
                    .set_with_participants(*with_participants);
                if let Some(t) = t {
                    call = call.set_user_id_type(t);
                }
                self.show(call.await, no_flags, None, Effect::Read)
            }
        }
    }

    /// Records a change in the ledger, when the reservation was booked through it. A ledger that
    /// cannot be opened or written is reported on stderr: the change on Feishu is done, and its
    /// answer is still printed.
    async fn record(&self, reserve_id: &feishu_vc::model::ReserveId, change: Change) {
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
            match change {
                Change::EndTime(end) => store.set_end_time(reserve_id, end, at).await,
                Change::Ended(state) => store.set_ended(reserve_id, state, at).await,
            }
            .map(drop)
            .map_err(failed)
        };
        if let Err(failure) = outcome.await {
            note(&format!(
                "feishu-vc: warning: the ledger was not updated: {}",
                failure.message()
            ));
        }
    }

    /// Prints an answer, or turns its error into a failure that names the flags.
    fn show<T: Serialize>(
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

    fn apply_request(&self, args: &ApplyArgs) -> Result<ApplyReserveRequest, Failure> {
        let mut body: ApplyReserveBody = match &args.settings.body {
            Some(path) => read_body(path)?,
            None => ApplyReserveBody::new(ReserveMeetingSetting::default()),
        };
        if let Some(end) = &args.settings.end_time {
            body.end_time = Some(when::parse_when(end, self.clock.now()).map_err(Failure::usage)?);
        }
        let owner = args.owner.clone().or_else(|| {
            // On the emulator with its demo app, the demo user owns what is booked.
            body.owner_id
                .is_none()
                .then(|| self.default_owner.clone())
                .flatten()
                .filter(|_| self.user_token.is_none())
        });
        if let Some(owner) = owner {
            body.owner_id = Some(owner.into());
        }
        body.meeting_settings = apply_settings(body.meeting_settings, &args.settings)?;
        let mut request = ApplyReserveRequest::from_body(body);
        if let Some(t) = self.user_id_type {
            request = request.set_user_id_type(t);
        }
        Ok(request)
    }

    fn update_request(&self, args: &UpdateArgs) -> Result<UpdateReserveRequest, Failure> {
        let mut body: UpdateReserveBody = match &args.settings.body {
            Some(path) => read_body(path)?,
            None => UpdateReserveBody::default(),
        };
        if let Some(end) = &args.settings.end_time {
            body.end_time = Some(when::parse_when(end, self.clock.now()).map_err(Failure::usage)?);
        }
        let touches_settings = args.clear_hosts || settings_given(&args.settings);
        if touches_settings {
            let mut settings =
                apply_settings(body.meeting_settings.unwrap_or_default(), &args.settings)?;
            if args.clear_hosts {
                // Sent as `[]`: an update clears what it sends empty.
                settings.assign_host_list = Some(Vec::new());
            }
            body.meeting_settings = Some(settings);
        }
        let mut request = UpdateReserveRequest::from_body(args.id.clone(), body);
        if let Some(t) = self.user_id_type {
            request = request.set_user_id_type(t);
        }
        Ok(request)
    }

    /// Prints what would be sent; validates first, so that a dry run fails as the real one would.
    fn dry_run<R>(&self, request: &R, flags: impl Fn(&str) -> Option<String>) -> Result<(), Failure>
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
enum Change {
    /// Renewed (or shortened) to this end time.
    EndTime(feishu_vc::model::Timestamp),
    /// Ended: deleted here, or gone.
    Ended(feishu_vc_ledger::State),
}

/// Whether Feishu no longer knows the reservation (121004).
fn is_gone(e: &feishu_vc::Error) -> bool {
    e.code() == Some(feishu_vc::model::ErrorCode::DataNotExist)
}

/// Asks on the terminal whether to delete; true for `y` or `yes`.
fn confirm(id: &str) -> Result<bool, Failure> {
    confirm_with(id, &mut std::io::stdin().lock(), &mut std::io::stderr())
        .map_err(|e| Failure::usage(format!("reading the answer: {e}")))
}

/// Asks on `ask` whether to delete `id` and reads the answer from `answer`.
fn confirm_with(
    id: &str,
    answer: &mut impl std::io::BufRead,
    ask: &mut impl std::io::Write,
) -> std::io::Result<bool> {
    // The question is a courtesy: a closed stderr must not stop the answer being read.
    let _ = write!(ask, "Delete reservation {id} for good? [y/N] ");
    let _ = ask.flush();
    let mut line = String::new();
    answer.read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// No flag sets any field of get, delete and active but the id.
fn no_flags(_: &str) -> Option<String> {
    None
}

/// The flag that set the field at `path`, when one was given; else, when a body file was given,
/// the body (`--body`).
fn flag_of(path: &str, flags: &Settings, owner: bool) -> Option<String> {
    let given = |flag: &str, is: bool| is.then(|| flag.to_owned());
    let settings = path.strip_prefix("meeting_settings.");
    let by_flag = match (path, settings) {
        ("end_time", _) => given("--end-time", flags.end_time.is_some()),
        ("owner_id", _) => given("--owner", owner),
        (_, Some("topic")) => given("--topic", flags.topic.is_some()),
        (_, Some("password")) => given("--password", flags.password.is_some())
            .or_else(|| given("--no-password", flags.no_password)),
        (_, Some("auto_record")) => given("--auto-record", flags.auto_record.is_some()),
        (_, Some(s)) if s.starts_with("assign_host_list") => {
            given("--host", !flags.hosts.is_empty())
        }
        (_, Some(s)) if s.ends_with("nickname") => given("--nickname", flags.nickname.is_some()),
        (_, Some(s)) if s.starts_with("call_setting") || s == "meeting_initial_type" => {
            given("--call", flags.call.is_some())
        }
        _ => None,
    };
    by_flag.or_else(|| flags.body.as_ref().map(|_| "--body".to_owned()))
}

/// Whether any flag that changes meeting settings was given.
fn settings_given(s: &Settings) -> bool {
    s.topic.is_some()
        || s.password.is_some()
        || s.no_password
        || !s.hosts.is_empty()
        || s.auto_record.is_some()
        || s.call.is_some()
}

/// Applies the setting flags over `settings`.
fn apply_settings(
    mut settings: ReserveMeetingSetting,
    flags: &Settings,
) -> Result<ReserveMeetingSetting, Failure> {
    if let Some(topic) = &flags.topic {
        settings.topic = Some(topic.clone());
    }
    if let Some(password) = &flags.password {
        settings.password = Some(password.clone());
    }
    if flags.no_password {
        settings.password = Some(Password::no_password());
    }
    if !flags.hosts.is_empty() {
        settings.assign_host_list = Some(
            flags
                .hosts
                .iter()
                .map(|id| {
                    ReserveAssignHost::default()
                        .set_id(id.as_str())
                        .set_user_type(AssignHostUserType::LarkUser)
                })
                .collect(),
        );
    }
    if let Some(on) = flags.auto_record {
        settings.auto_record = Some(on);
    }
    if let Some(number) = &flags.call {
        let mut pstn = PstnSipInfo::new(number.clone());
        if let Some(nickname) = &flags.nickname {
            pstn = pstn.set_nickname(nickname.clone());
        }
        settings.meeting_initial_type = Some(MeetingInitialType::Call);
        settings.call_setting = Some(ReserveCallSetting::new(
            ReserveCallee::new(UserType::PstnUser).set_pstn_sip_info(pstn),
        ));
    }
    Ok(settings)
}

/// Reads a JSON body from a file, or from stdin for `-`; a field the API does not know is refused.
fn read_body<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, Failure> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("reading the body from stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("reading {}: {e}", path.display())))?
    };
    input::parse_strict(&text, "--body").map_err(Failure::usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_goes_ahead_only_on_yes() {
        for (typed, goes) in [
            ("y\n", true),
            ("YES\n", true),
            ("\n", false),
            ("n\n", false),
            ("", false),
        ] {
            let mut asked = Vec::new();
            let answer = confirm_with("691", &mut typed.as_bytes(), &mut asked).unwrap();
            assert_eq!(answer, goes, "{typed:?}");
            assert!(String::from_utf8(asked).unwrap().contains("691"));
        }
    }
}
