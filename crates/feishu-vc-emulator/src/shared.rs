//! The hub every handler shares (axum's app state): the apps, the directory, the clock, the state
//! under its mutex, the state store, and each domain's own state (events, OAuth grants, store
//! apps, faults). It holds the primitives every domain uses (the time, the lock, waiting for the
//! store, the rate limit) and nothing else: the domains' operations on it live in their `rules.rs`,
//! above it, and the types of its fields in modules that never name it.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use feishu_vc_model::{ErrorCode, Timestamp};

use crate::answer::Failure;
use crate::apps::App;
use crate::auth::grants::Grants;
use crate::auth::state::Caller;
use crate::auth::store_apps::StoreApps;
use crate::clock::{Clock, SystemClock};
use crate::control::faults::Faults;
use crate::directory::Directory;
use crate::error::Error;
use crate::events::notifier::Notifier;
use crate::hosts::Hosts;
use crate::ratelimit::RateLimiter;
use crate::store::memory::State;
use crate::store::sqlite::Persister;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) apps: Vec<App>,
    pub(crate) directory: Directory,
    clock: Arc<dyn Clock>,
    /// Seconds the emulator's time runs ahead of its clock (moved by `control/rules.rs`).
    pub(crate) offset: AtomicI64,
    /// The meeting numbers handed out (`reserves/rules.rs`).
    pub(crate) pool: RangeInclusive<u32>,
    limiter: Option<RateLimiter>,
    state: Mutex<State>,
    pub(crate) persister: Option<Persister>,
    /// Tokens are issued and checked by the system clock, not the emulator's time.
    pub(crate) tokens_on_wall_time: bool,
    /// Where links point: Feishu's hosts or Lark's.
    pub(crate) hosts: Hosts,
    /// Where meeting events go.
    pub(crate) events: Notifier,
    /// OAuth codes and refresh tokens issued.
    pub(crate) oauth: Grants,
    /// Store apps, their tickets and app tokens.
    pub(crate) store_apps: StoreApps,
    /// Faults a test asked for.
    pub(crate) faults: Faults,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        apps: Vec<App>,
        directory: Directory,
        clock: Arc<dyn Clock>,
        offset: i64,
        pool: RangeInclusive<u32>,
        limiter: Option<RateLimiter>,
        state: State,
        persister: Option<Persister>,
        events: Notifier,
    ) -> Self {
        Self {
            apps,
            directory,
            clock,
            offset: AtomicI64::new(offset),
            pool,
            limiter,
            state: Mutex::new(state),
            persister,
            tokens_on_wall_time: false,
            hosts: Hosts::FEISHU,
            events,
            oauth: Grants::default(),
            store_apps: StoreApps::default(),
            faults: Faults::default(),
        }
    }

    /// The emulator's time: the clock plus every advance.
    pub(crate) fn now(&self) -> Timestamp {
        let base = self.clock.now().unix_seconds();
        Timestamp::from_unix_seconds(base.saturating_add(self.clock_offset()))
    }

    pub(crate) fn clock_offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// The state. Critical sections are short and never await.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the change numbered `version` is on disk (at once without a state file).
    async fn persisted(&self, version: u64) -> Result<(), String> {
        match &self.persister {
            Some(p) => p.wait(version).await,
            None => Ok(()),
        }
    }

    /// [`Shared::persisted`], as an Open API operation answers a failure: 121001.
    pub(crate) async fn commit(&self, version: u64) -> Result<(), Failure> {
        self.persisted(version)
            .await
            .map_err(|e| Failure::internal(format!("the change could not be persisted: {e}")))
    }

    /// [`Shared::persisted`], as the control API answers a failure.
    pub(crate) async fn commit_control(&self, version: u64) -> Result<(), Error> {
        self.persisted(version).await.map_err(Error::Persist)
    }

    /// The time tokens are issued and checked by: the emulator's time, or the system's when
    /// tokens run on wall time.
    pub(crate) fn token_now(&self) -> i64 {
        if self.tokens_on_wall_time {
            SystemClock.now().unix_seconds()
        } else {
            self.now().unix_seconds()
        }
    }

    /// Counts a call against the rate limit, if one is on.
    pub(crate) fn throttle(&self, caller: &Caller, operation: &'static str) -> Result<(), Failure> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter
            .check(&caller.app_id, &caller.tenant_key, operation)
            .map_err(|t| {
                let mut f = Failure::new(ErrorCode::RateLimited, "request trigger frequency limit");
                f.throttled = Some(t);
                f
            })
    }

    pub(crate) fn app(&self, app_id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.app_id == app_id)
    }
}
