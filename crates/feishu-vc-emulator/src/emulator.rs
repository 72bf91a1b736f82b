//! The public handle of a running emulator ([`Emulator`]: what tests and scripts call, each
//! method delegating to a domain's rules on the hub) and the wiring that starts one
//! ([`EmulatorBuilder::start`]: state store, event notifier, listener, hub, writer, server).

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use feishu_vc_model::{Meeting, SecretString, Timestamp};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorBuilder;
use crate::control::types::{LeaveReason, MeetingSpec, ParticipantSpec, RecordingFile, Snapshot};
use crate::error::Error;
use crate::events::longconn::LongConnectionStats;
use crate::shared::Shared;

/// A running emulator. Dropping it stops the server in the background; [`Emulator::shutdown`]
/// stops it and waits until it has.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    writer: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field(
                "state_file",
                &self.shared.persister.as_ref().map(|p| &p.path),
            )
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder: apps, users, clock, rate limit, state file, address.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// An emulator with every default (see [`EmulatorBuilder`]): for tests.
    pub async fn start_default() -> Result<Self, Error> {
        Self::builder().start().await
    }

    /// Where it listens, such as `http://127.0.0.1:41234`: give it to
    /// `feishu_vc::ClientBuilder::base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The main app's id.
    pub fn app_id(&self) -> &str {
        &self.shared.apps[0].app_id
    }

    /// The main app's secret.
    pub fn app_secret(&self) -> &str {
        &self.shared.apps[0].app_secret
    }

    /// The state file, if there is one.
    pub fn state_file(&self) -> Option<&Path> {
        self.shared.persister.as_ref().map(|p| p.path.as_path())
    }

    /// The emulator's time: its clock plus every advance.
    pub fn now(&self) -> Timestamp {
        self.shared.now()
    }

    /// Moves the emulator's time forward by `by` (whole seconds): tokens (unless they run on wall
    /// time) and reservations expire accordingly. Returns the new time; an advance that would put
    /// the time more than 100 years ahead of the clock is refused with
    /// [`Error::ClockOutOfRange`], and the time is left as it was.
    pub async fn advance(&self, by: Duration) -> Result<Timestamp, Error> {
        self.shared.advance(by.as_secs()).await
    }

    /// A tenant token of the main app, as the token endpoint would give it.
    pub async fn mint_tenant_token(&self) -> Result<SecretString, Error> {
        let app = self.shared.apps[0].clone();
        let (token, _) = self.shared.tenant_token(&app).await?;
        Ok(SecretString::new(token))
    }

    /// A user token of the main app for the directory user with this id (open, union or user
    /// id). Calls made with it act as that user.
    pub async fn mint_user_token(&self, user_id: &str) -> Result<SecretString, Error> {
        let (token, _) = self.shared.user_token(user_id, None).await?;
        Ok(SecretString::new(token))
    }

    /// The OAuth authorize step, as if the directory user with this id (open, union or user id)
    /// had consented to the main app: an authorization code for
    /// `POST /open-apis/authen/v2/oauth/token`, single use, valid 5 minutes.
    pub fn authorize(&self, user_id: &str) -> Result<String, Error> {
        self.shared.authorize(user_id, None)
    }

    /// Starts the meeting of a live reservation; returns it as get_active_meeting would (open
    /// ids, participants included).
    pub async fn start_meeting(
        &self,
        reserve_id: &str,
        spec: MeetingSpec,
    ) -> Result<Meeting, Error> {
        self.shared.start_meeting(reserve_id, &spec).await
    }

    /// Ends the meeting in progress of a reservation: a screen share or recording under way
    /// ends, everyone still in it leaves (reason 2), then `meeting_ended` is pushed.
    pub async fn end_meeting(&self, reserve_id: &str) -> Result<(), Error> {
        self.shared.end_meeting(reserve_id).await
    }

    /// Someone joins the meeting in progress; returns the meeting as get_active_meeting would.
    pub async fn join_meeting(
        &self,
        reserve_id: &str,
        participant: ParticipantSpec,
    ) -> Result<Meeting, Error> {
        self.shared.join_meeting(reserve_id, &participant).await
    }

    /// Someone leaves the meeting in progress (their screen share, if any, ends first).
    pub async fn leave_meeting(
        &self,
        reserve_id: &str,
        user_id: &str,
        reason: LeaveReason,
    ) -> Result<Meeting, Error> {
        self.shared.leave_meeting(reserve_id, user_id, reason).await
    }

    /// A participant starts sharing their screen (one at a time).
    pub async fn start_screen_share(
        &self,
        reserve_id: &str,
        user_id: &str,
    ) -> Result<Meeting, Error> {
        self.shared.start_screen_share(reserve_id, user_id).await
    }

    /// The screen share under way ends.
    pub async fn end_screen_share(&self, reserve_id: &str) -> Result<Meeting, Error> {
        self.shared.end_screen_share(reserve_id).await
    }

    /// Recording starts, by `by` (a participant; the host when `None`).
    pub async fn start_recording(
        &self,
        reserve_id: &str,
        by: Option<&str>,
    ) -> Result<Meeting, Error> {
        self.shared.start_recording(reserve_id, by).await
    }

    /// The recording under way ends.
    pub async fn end_recording(&self, reserve_id: &str) -> Result<Meeting, Error> {
        self.shared.end_recording(reserve_id).await
    }

    /// The recording that ended last (in the meeting in progress, else the last meeting) becomes
    /// ready: `recording_ready` is pushed with `url` (a minutes link unless given) and the
    /// recorded length.
    pub async fn recording_ready(
        &self,
        reserve_id: &str,
        url: Option<String>,
    ) -> Result<RecordingFile, Error> {
        self.shared.recording_ready(reserve_id, url).await
    }

    /// Registers an event callback: sends it the URL-verification challenge and, once it has
    /// echoed it, pushes every later meeting event there too.
    pub async fn add_event_callback(&self, url: &str) -> Result<(), Error> {
        self.shared.events.register(url).await
    }

    /// What the long-connection server (`/callback/ws/endpoint`, `/ws`) has seen so far.
    pub fn long_connection_stats(&self) -> LongConnectionStats {
        self.shared.events.long_connections().stats()
    }

    /// Closes every long connection now, as a network failure would; their unacknowledged events
    /// are sent again once a client is back.
    pub fn drop_long_connections(&self) {
        self.shared.events.long_connections().drop_connections();
    }

    /// Closes the long connection that carries the `n`-th event sent from now, right after
    /// sending it and before its acknowledgement can arrive (a drop mid-stream).
    pub fn drop_long_connection_after(&self, n: u64) {
        self.shared.events.long_connections().drop_after(n);
    }

    /// The next `n` applies that book a reservation lose their answer: each is booked (and
    /// written to the state file), then its connection is closed without an HTTP answer, so the
    /// client cannot tell whether it was booked (this SDK reports `Error::OutcomeUnknown`).
    /// Replaces any count left from an earlier call; `0` ends the fault.
    pub fn drop_next_apply_answers(&self, n: u32) {
        self.shared.faults.drop_apply_answers(n);
    }

    /// Every apply's answer is held back for `delay` after the apply is carried out (booked or
    /// refused), as a slow Feishu would: the client's request stays in flight meanwhile.
    /// `Duration::ZERO` ends the fault.
    pub fn delay_apply_answers(&self, delay: Duration) {
        self.shared.faults.delay_apply_answers(delay);
    }

    /// The event callbacks, in order of registration.
    pub fn event_callbacks(&self) -> Vec<String> {
        self.shared.events.callbacks()
    }

    /// What the emulator holds now.
    pub fn state(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        shutdown.await;
        self.shutdown().await
    }

    /// Stops accepting connections, lets the requests under way finish, writes what is left to
    /// the state file, and returns when all of that is done.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = match self.server.take() {
            Some(server) => server
                .await
                .map_err(|e| Error::Server(std::io::Error::other(e.to_string())))
                .and_then(|r| r.map_err(Error::Server)),
            None => Ok(()),
        };
        self.shared.events.stop();
        if let Some(p) = &self.shared.persister {
            p.stop();
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.await;
        }
        served
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The requests under way still wait for the state file: stop its writer only once the
        // server has let them finish.
        let server = self.server.take();
        let shared = self.shared.clone();
        let stop_writer = move || {
            shared.events.stop();
            if let Some(p) = &shared.persister {
                p.stop();
            }
        };
        match (server, tokio::runtime::Handle::try_current()) {
            (Some(server), Ok(runtime)) => {
                runtime.spawn(async move {
                    let _ = server.await;
                    stop_writer();
                });
            }
            _ => stop_writer(),
        }
    }
}

impl EmulatorBuilder {
    /// Loads the state file (if any), binds the address and starts serving, in milliseconds.
    pub async fn start(self) -> Result<Emulator, Error> {
        self.check().map_err(Error::Config)?;
        let (state, offset, persister) = match &self.state_file {
            Some(path) => {
                let path = path.clone();
                let opened = tokio::task::spawn_blocking(move || crate::store::sqlite::open(&path))
                    .await
                    .map_err(|e| Error::Server(std::io::Error::other(e.to_string())))??;
                (opened.state, opened.clock_offset, Some(opened.persister))
            }
            None => (crate::store::memory::State::default(), 0, None),
        };
        let events = crate::events::notifier::Notifier::new(&self.events)?;
        for url in &self.events.callbacks {
            events.register(url).await.map_err(|e| match e {
                Error::BadRequest(why) => Error::Config(why),
                other => other,
            })?;
        }
        let address = format!("{}:{}", self.host, self.port);
        let listener = tokio::net::TcpListener::bind((self.host.as_str(), self.port))
            .await
            .map_err(|source| Error::Bind {
                address: address.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            address: address.clone(),
            source,
        })?;
        let mut shared = Shared::new(
            self.apps,
            crate::directory::Directory::new(self.directory),
            self.clock,
            offset,
            self.meeting_no_pool,
            self.rate_limit.map(crate::ratelimit::RateLimiter::new),
            state,
            persister,
            events,
        );
        shared.tokens_on_wall_time = self.tokens_on_wall_time;
        shared.hosts = crate::hosts::Hosts::of(self.brand);
        shared.store_apps = crate::auth::store_apps::StoreApps::new(self.store_apps);
        let shared = Arc::new(shared);
        crate::auth::rules::schedule(Arc::downgrade(&shared), self.app_ticket_interval);
        let writer = shared
            .persister
            .is_some()
            .then(|| tokio::spawn(crate::store::writer::run(shared.clone())));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = crate::http::router::router(shared.clone());
        let limits = crate::http::serve::ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
        };
        let server = tokio::spawn(crate::http::serve::serve(
            listener,
            app,
            limits,
            async move {
                let _ = stopped.await;
            },
        ));
        let base_url = match addr {
            SocketAddr::V6(v6) => format!("http://[{}]:{}", v6.ip(), v6.port()),
            SocketAddr::V4(v4) => format!("http://{v4}"),
        };
        tracing::info!(base_url, "feishu-vc emulator listening");
        Ok(Emulator {
            shared,
            addr,
            base_url,
            stop: Some(stop),
            server: Some(server),
            writer,
        })
    }
}

/// Starts an emulator as `builder` says and serves until `shutdown` resolves, then shuts down
/// gracefully: the entry point of `feishu-vc emulator`. The address is logged (`tracing`, info);
/// to print it yourself, use [`EmulatorBuilder::start`], [`Emulator::base_url`] and
/// [`Emulator::run_until`].
pub async fn serve(
    builder: EmulatorBuilder,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    builder.start().await?.run_until(shutdown).await
}
