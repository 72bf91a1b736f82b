//! `feishu-vc`: meeting reservations from a shell. See `feishu-vc --help`.

mod args;
mod local;
mod outcome;
mod when;

use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Parser;
use feishu_vc::model::{
    ApiRequest, ApplyReserveBody, ApplyReserveRequest, AssignHostUserType, MeetingInitialType,
    Password, PstnSipInfo, ReserveAssignHost, ReserveCallSetting, ReserveCallee,
    ReserveMeetingSetting, UpdateReserveBody, UpdateReserveRequest, UserType,
};
use feishu_vc::{Brand, Client, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::args::{ApplyArgs, BrandArg, Cli, Command, Reserve, Settings, UpdateArgs};
use crate::outcome::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return Failure::usage(format!("could not start the async runtime: {e}")).report();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Emulator(args) = &cli.command {
        return local::serve(args, cli.app_id.as_deref(), cli.app_secret.as_deref()).await;
    }
    let Command::Reserve(op) = &cli.command else {
        unreachable!("handled above")
    };
    let dry_run = match op {
        Reserve::Apply(a) => a.settings.dry_run,
        Reserve::Update(u) => u.settings.dry_run,
        _ => false,
    };
    // The emulator lives as long as this command.
    let emulator = if cli.emulator && !dry_run {
        Some(local::start_in_process().await?)
    } else {
        None
    };
    let session = Session::new(&cli, emulator.as_ref(), dry_run)?;
    let result = session.run(op).await;
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    result
}

/// A configured client and the per-call options the flags ask for.
struct Session {
    client: Client,
    user_token: Option<String>,
    user_id_type: Option<feishu_vc::model::UserIdType>,
    default_owner: Option<String>,
}

impl Session {
    fn new(cli: &Cli, emulator: Option<&local::InProcess>, dry_run: bool) -> Result<Self, Failure> {
        let mut builder = Client::builder();
        builder = match cli.brand {
            BrandArg::Feishu => builder.brand(Brand::Feishu),
            BrandArg::Lark => builder.brand(Brand::Lark),
        };
        let mut default_owner = None;
        if let Some(emulator) = emulator {
            builder = builder
                .base_url(emulator.base_url())
                .app_credentials(local::DEMO_APP_ID, local::DEMO_APP_SECRET);
            default_owner = Some(local::DEMO_OWNER.to_owned());
        } else {
            if let Some(url) = &cli.base_url {
                builder = builder.base_url(url.clone());
            }
            match (&cli.app_id, &cli.app_secret, &cli.user_access_token) {
                (Some(id), Some(secret), _) => {
                    builder = builder.app_credentials(id.clone(), secret.clone())
                }
                (_, _, Some(_)) => {}
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
        if let Some(secs) = cli.timeout {
            if !(secs.is_finite() && secs > 0.0) {
                return Err(Failure::usage(
                    "--timeout takes a positive number of seconds",
                ));
            }
            builder = builder.timeout(Duration::from_secs_f64(secs));
        }
        let client = builder.build().map_err(Failure::from)?;
        Ok(Self {
            client,
            user_token: cli.user_access_token.clone(),
            user_id_type: cli.user_id_type,
            default_owner,
        })
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
        match op {
            Reserve::Apply(args) => {
                let request = self.apply_request(args)?;
                if args.settings.dry_run {
                    return self.dry_run(&request);
                }
                print(reserves.apply(request).with_options(self.options()).await?)
            }
            Reserve::Get { id } => {
                let mut call = reserves.get(id.clone()).with_options(self.options());
                if let Some(t) = self.user_id_type {
                    call = call.set_user_id_type(t);
                }
                print(call.await?)
            }
            Reserve::Update(args) => {
                let request = self.update_request(args)?;
                if args.settings.dry_run {
                    return self.dry_run(&request);
                }
                let call = reserves
                    .update(request.reserve_id.clone(), request.body)
                    .with_options(self.options());
                let call = match request.user_id_type {
                    Some(t) => call.set_user_id_type(t),
                    None => call,
                };
                print(call.await?)
            }
            Reserve::Delete { id } => print(
                reserves
                    .delete(id.clone())
                    .with_options(self.options())
                    .await?,
            ),
            Reserve::Active {
                id,
                with_participants,
            } => {
                let mut call = reserves
                    .get_active_meeting(id.clone())
                    .with_options(self.options());
                call = call.set_with_participants(*with_participants);
                if let Some(t) = self.user_id_type {
                    call = call.set_user_id_type(t);
                }
                print(call.await?)
            }
        }
    }

    fn apply_request(&self, args: &ApplyArgs) -> Result<ApplyReserveRequest, Failure> {
        let mut body: ApplyReserveBody = match &args.settings.body {
            Some(path) => read_body(path)?,
            None => ApplyReserveBody::new(ReserveMeetingSetting::default()),
        };
        if let Some(end) = &args.settings.end_time {
            body.end_time = Some(when::parse_when(end, SystemTime::now()).map_err(Failure::usage)?);
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
            body.end_time = Some(when::parse_when(end, SystemTime::now()).map_err(Failure::usage)?);
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
    fn dry_run<R>(&self, request: &R) -> Result<(), Failure>
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
            .map_err(|v| Failure::from(feishu_vc::Error::from(v)))?;
        let http = request
            .to_http()
            .map_err(|e| Failure::from(feishu_vc::Error::from(e)))?;
        let url = self
            .client
            .transport()
            .url_of(&http)
            .map_err(Failure::from)?;
        println!("{} {url}", http.method);
        if let Some(body) = &http.body {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| Failure::usage(e.to_string()))?;
            println!("{}", pretty(&value)?);
        }
        Ok(())
    }
}

/// Whether any flag that changes meeting settings was given.
fn settings_given(s: &Settings) -> bool {
    s.topic.is_some()
        || s.password.is_some()
        || s.no_password
        || !s.hosts.is_empty()
        || s.auto_record
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
    if let Some(digits) = &flags.password {
        settings.password = Some(Password::digits(digits.clone()));
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
    if flags.auto_record {
        settings.auto_record = Some(true);
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

/// Reads a JSON body from a file, or from stdin for `-`.
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
    serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("the body is not a valid request body: {e}")))
}

fn pretty(value: &impl Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Failure::usage(format!("could not print the answer: {e}")))
}

/// Prints the answer's data on stdout and its warnings on stderr.
fn print<T: Serialize>(response: Response<T>) -> Result<(), Failure> {
    for warning in &response.warnings {
        eprintln!("warning: {warning}");
    }
    println!("{}", pretty(&response.data)?);
    Ok(())
}
