//! What the emulator does, apart from HTTP: tokens, the five reserve operations, the control API.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use feishu_vc_model::{
    ApplyReserveData, ApplyReserveRequest, DeleteReserveData, ErrorCode, GetActiveMeetingData,
    GetReserveData, ReserveAssignHost, ReserveCorrectionCheckInfo, ReserveMeetingSetting,
    Timestamp, TokenKind, UpdateReserveBody, UpdateReserveData, UpdateReserveRequest, UserId,
    UserIdType,
};
use feishu_vc_validate::{Context, MAX_AHEAD, Validate};

use crate::answer::{Failure, Outcome, data, first_violation};
use crate::auth::state::{Caller, Kind, TokenRecord};
use crate::clock::{Clock, MAX_CLOCK_OFFSET, SystemClock};
use crate::config::{App, TOKEN_LIFETIME};
use crate::control::{ReservationSummary, Snapshot};
use crate::directory::Directory;
use crate::error::Error;
use crate::events::Notifier;
use crate::hosts::Hosts;
use crate::ids;
use crate::persist::Persister;
use crate::ratelimit::RateLimiter;
use crate::reserves::state::{Reservation, View};
use crate::store::memory::State;

/// A tenant token with at least this long to live is handed out again rather than replaced:
/// Feishu issues a new one only when less than 30 minutes are left.
const REUSE_TENANT_TOKEN_FOR: i64 = 30 * 60;

/// How user tokens begin (`t-` for tenant tokens), as Feishu's legacy tokens do.
const USER_TOKEN_PREFIX: &str = "u-";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) apps: Vec<App>,
    pub(crate) directory: Directory,
    clock: Arc<dyn Clock>,
    offset: AtomicI64,
    pool: RangeInclusive<u32>,
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
    pub(crate) oauth: crate::oauth::Grants,
    /// Store apps, their tickets and app tokens.
    pub(crate) store_apps: crate::store_apps::StoreApps,
    /// Faults a test asked for.
    pub(crate) faults: crate::faults::Faults,
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
            oauth: crate::oauth::Grants::default(),
            store_apps: crate::store_apps::StoreApps::default(),
            faults: crate::faults::Faults::default(),
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

    async fn commit(&self, version: u64) -> Result<(), Failure> {
        self.persisted(version)
            .await
            .map_err(|e| Failure::internal(format!("the change could not be persisted: {e}")))
    }

    pub(crate) async fn commit_control(&self, version: u64) -> Result<(), Error> {
        self.persisted(version).await.map_err(Error::Persist)
    }

    // ---- tokens ----

    /// The caller behind an `Authorization: Bearer <token>` header.
    pub(crate) fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, Failure> {
        let token = authorization
            .and_then(|h| {
                let (scheme, rest) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Failure::new(
                    ErrorCode::AuthorizationMissing,
                    "Missing access token for authorization. Please make a request with token attached.",
                )
            })?;
        let now = self.token_now();
        let state = self.lock();
        match state.tokens.get(token) {
            Some(t) if t.expires_at > now => Ok(Caller {
                kind: match t.kind {
                    Kind::Tenant => TokenKind::Tenant,
                    Kind::User => TokenKind::User,
                },
                app_id: t.app_id.clone(),
                tenant_key: t.tenant_key.clone(),
                user: t.user.clone(),
            }),
            // Feishu tells an expired user token (99991677, refresh it) from an invalid one
            // (99991668); tenant tokens and tokens of no known kind are 99991663.
            Some(t) if t.kind == Kind::User => Err(Failure::new(
                ErrorCode::UserAccessTokenExpired,
                "Authentication token expired. Please refresh the user_access_token.",
            )),
            None if token.starts_with(USER_TOKEN_PREFIX) => Err(Failure::new(
                ErrorCode::UserAccessTokenInvalid,
                "Invalid access token for authorization. Please make a request with token attached.",
            )),
            _ => Err(Failure::new(
                ErrorCode::AccessTokenInvalid,
                "Invalid access token for authorization. Please make a request with token attached.",
            )),
        }
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

    /// A tenant token for `app` in its tenant: the current one while it has 30 minutes or more to live, else a
    /// new one (the old one stays valid until it expires). Returns the token and its seconds left.
    pub(crate) async fn tenant_token(&self, app: &App) -> Result<(String, i64), Error> {
        let now = self.token_now();
        let (version, token, expire) = {
            let mut state = self.lock();
            let current = state
                .tokens
                .iter()
                .filter(|(_, t)| {
                    t.kind == Kind::Tenant
                        && t.app_id == app.app_id
                        && t.tenant_key == app.tenant_key
                })
                .max_by_key(|(_, t)| t.expires_at)
                .filter(|(_, t)| t.expires_at - now >= REUSE_TENANT_TOKEN_FOR)
                .map(|(token, t)| (token.clone(), t.expires_at - now));
            if let Some((token, left)) = current {
                return Ok((token, left));
            }
            state.purge_tokens(now);
            let token = ids::token("t-");
            let lifetime = TOKEN_LIFETIME.as_secs() as i64;
            state.insert_token(
                token.clone(),
                TokenRecord {
                    kind: Kind::Tenant,
                    app_id: app.app_id.clone(),
                    tenant_key: app.tenant_key.clone(),
                    user: None,
                    expires_at: now.saturating_add(lifetime),
                },
            );
            (state.touch(), token, lifetime)
        };
        self.commit_control(version).await?;
        Ok((token, expire))
    }

    /// A user token for the directory user with this id (of any kind), issued to `app_id` (the
    /// main app unless given).
    pub(crate) async fn user_token(
        &self,
        user_id: &str,
        app_id: Option<&str>,
    ) -> Result<(String, i64), Error> {
        let user = self
            .directory
            .find_any(user_id)
            .ok_or_else(|| Error::UnknownUser(user_id.to_owned()))?;
        let app = match app_id {
            Some(id) => self
                .app(id)
                .ok_or_else(|| Error::UnknownApp(id.to_owned()))?,
            None => &self.apps[0],
        };
        let now = self.token_now();
        let lifetime = TOKEN_LIFETIME.as_secs() as i64;
        let token = ids::token(USER_TOKEN_PREFIX);
        let version = {
            let mut state = self.lock();
            state.purge_tokens(now);
            state.insert_token(
                token.clone(),
                TokenRecord {
                    kind: Kind::User,
                    app_id: app.app_id.clone(),
                    tenant_key: user.tenant_key().to_owned(),
                    user: Some(user.open_id().to_owned()),
                    expires_at: now.saturating_add(lifetime),
                },
            );
            state.touch()
        };
        self.commit_control(version).await?;
        Ok((token, lifetime))
    }

    // ---- the five operations ----

    /// Books a reservation. `request` has passed validation.
    pub(crate) async fn apply(
        &self,
        caller: &Caller,
        request: ApplyReserveRequest,
        now: Timestamp,
    ) -> Outcome {
        let kind = request.user_id_type.unwrap_or_default();
        let body = request.body;
        // The owner: the user of a user token (owner_id is not honoured then), or owner_id, which
        // must name a user of the app's tenant.
        let (owner, random_password) = match caller.kind {
            TokenKind::User => {
                let owner = caller.user.clone().unwrap_or_default();
                let random = self
                    .directory
                    .find(UserIdType::OpenId, &owner)
                    .is_none_or(|u| u.random_password());
                (owner, random)
            }
            _ => {
                let id = body
                    .owner_id
                    .as_ref()
                    .map(UserId::as_str)
                    .unwrap_or_default();
                let user = self
                    .directory
                    .find(kind, id)
                    .filter(|u| u.tenant_key() == caller.tenant_key)
                    .ok_or_else(|| {
                        Failure::field(
                            "owner_id",
                            &format!("must be a Lark user of the app's tenant, given as {kind}"),
                        )
                    })?;
                (user.open_id().to_owned(), user.random_password())
            }
        };
        let mut settings = body.meeting_settings;
        let password = match settings.password.take() {
            Some(p) => p.expose_secret().to_owned(),
            None if random_password => ids::password(),
            None => String::new(),
        };
        let invalid_hosts = self.take_hosts(&mut settings, kind, &caller.tenant_key);
        normalise(&mut settings);
        let now_s = now.unix_seconds();
        let end_time = body.end_time.map_or_else(
            || now_s.saturating_add(MAX_AHEAD.as_secs() as i64),
            Timestamp::unix_seconds,
        );

        let (version, answer) = {
            let mut state = self.lock();
            let no = state
                .free_meeting_no(&self.pool, now_s)
                .ok_or_else(|| Failure::internal("no free meeting number"))?;
            let id = state.fresh_reserve_id();
            let reservation = Reservation {
                id: id.clone(),
                meeting_no: no,
                owner,
                tenant_key: caller.tenant_key.clone(),
                app_id: caller.app_id.clone(),
                create_time: now_s,
                end_time,
                password,
                live_link: format!("{}/s/{}", self.hosts.meetings, ids::live_code()),
                settings,
                meeting: None,
                last_meeting: None,
                updates: 0,
            };
            let reserve =
                reservation.render(View::Apply, now_s, &self.directory, &self.hosts, kind);
            state.holders.insert(no, id);
            state.insert_reservation(reservation);
            state.applies += 1;
            let answer = ApplyReserveData::default()
                .set_reserve(reserve)
                .set_reserve_correction_check_info(
                    ReserveCorrectionCheckInfo::default().set_invalid_host_id_list(invalid_hosts),
                );
            (state.touch(), answer)
        };
        self.commit(version).await?;
        data(answer)
    }

    /// Changes or renews a reservation. `request` has passed validation.
    pub(crate) async fn update(
        &self,
        caller: &Caller,
        request: UpdateReserveRequest,
        now: Timestamp,
    ) -> Outcome {
        let kind = request.user_id_type.unwrap_or_default();
        let id = request.reserve_id.as_str().to_owned();
        let body = request.body;
        let now_s = now.unix_seconds();

        let (version, answer) = {
            let mut state = self.lock();
            let current = state.reservations.get(&id).ok_or_else(Failure::not_found)?;
            may_act(caller, current)?;
            let mut settings = current.settings.clone();
            let mut password = current.password.clone();
            let mut invalid_hosts = Vec::new();
            if let Some(mut changes) = body.meeting_settings {
                if let Some(p) = changes.password.take() {
                    password = p.expose_secret().to_owned();
                }
                if changes.assign_host_list.is_some() {
                    invalid_hosts = self.take_hosts(&mut changes, kind, &current.tenant_key);
                }
                merge(&mut settings, changes);
                normalise(&mut settings);
                // The settings as they would be must still hold together (a 1-to-1 call cannot
                // be recorded, say). meeting_connect was set at booking and is not being changed.
                let mut whole = settings.clone();
                whole.meeting_connect = None;
                let check = UpdateReserveRequest::from_body(
                    id.clone(),
                    UpdateReserveBody::default().set_meeting_settings(whole),
                );
                first_violation(check.violations(&Context::new(caller.kind).at(now)))?;
            }
            // A renewal keeps the meeting number, unless the reservation had expired and the
            // number has gone to another live reservation meanwhile: then it gets a new one.
            let mut new_no = None;
            if body.end_time.is_some()
                && state
                    .holder(current.meeting_no, now_s)
                    .is_some_and(|h| h.id != id)
            {
                new_no = Some(
                    state
                        .free_meeting_no(&self.pool, now_s)
                        .ok_or_else(|| Failure::internal("no free meeting number"))?,
                );
            }
            let Some(reservation) = state.reservation_mut(&id) else {
                return Err(Failure::not_found());
            };
            reservation.settings = settings;
            reservation.password = password;
            reservation.updates = reservation.updates.saturating_add(1);
            if let Some(end) = body.end_time {
                reservation.end_time = end.unix_seconds();
                if let Some(no) = new_no {
                    reservation.meeting_no = no;
                }
            }
            let no = reservation.meeting_no;
            let reserve =
                reservation.render(View::Update, now_s, &self.directory, &self.hosts, kind);
            if body.end_time.is_some() {
                state.holders.insert(no, id.clone());
            }
            let answer = UpdateReserveData::default()
                .set_reserve(reserve)
                .set_reserve_correction_check_info(
                    ReserveCorrectionCheckInfo::default().set_invalid_host_id_list(invalid_hosts),
                );
            (state.touch(), answer)
        };
        self.commit(version).await?;
        data(answer)
    }

    /// Reads a reservation.
    pub(crate) fn get(
        &self,
        caller: &Caller,
        id: &str,
        kind: UserIdType,
        now: Timestamp,
    ) -> Outcome {
        let state = self.lock();
        let r = state.reservations.get(id).ok_or_else(Failure::not_found)?;
        may_act(caller, r)?;
        data(GetReserveData::default().set_reserve(r.render(
            View::Get,
            now.unix_seconds(),
            &self.directory,
            &self.hosts,
            kind,
        )))
    }

    /// Deletes a reservation for good; its meeting number is free at once.
    pub(crate) async fn delete(&self, caller: &Caller, id: &str) -> Outcome {
        let version = {
            let mut state = self.lock();
            let r = state.reservations.get(id).ok_or_else(Failure::not_found)?;
            may_act(caller, r)?;
            state.remove_reservation(id);
            state.touch()
        };
        self.commit(version).await?;
        data(DeleteReserveData::default())
    }

    /// The meeting in progress, if any (`data: {}` when there is none).
    pub(crate) fn get_active_meeting(
        &self,
        caller: &Caller,
        id: &str,
        kind: UserIdType,
        with_participants: bool,
        now: Timestamp,
    ) -> Outcome {
        let state = self.lock();
        let r = state.reservations.get(id).ok_or_else(Failure::not_found)?;
        may_act(caller, r)?;
        let mut answer = GetActiveMeetingData::default();
        answer.meeting = r.render_meeting(
            now.unix_seconds(),
            &self.directory,
            &self.hosts,
            kind,
            with_participants,
        );
        data(answer)
    }

    /// Keeps the assigned hosts that are Lark users of `tenant` (stored by open id) and returns
    /// the ids of the others, as given.
    fn take_hosts(
        &self,
        settings: &mut ReserveMeetingSetting,
        kind: UserIdType,
        tenant: &str,
    ) -> Vec<UserId> {
        let Some(hosts) = settings.assign_host_list.take() else {
            return Vec::new();
        };
        let mut valid: Vec<ReserveAssignHost> = Vec::new();
        let mut invalid = Vec::new();
        for mut host in hosts {
            let id = host.id.clone().unwrap_or_default();
            match self
                .directory
                .find(kind, id.as_str())
                .filter(|u| u.tenant_key() == tenant)
            {
                Some(user) => {
                    host.id = Some(UserId::new(user.open_id()));
                    valid.push(host);
                }
                None => invalid.push(id),
            }
        }
        settings.assign_host_list = Some(valid);
        invalid
    }

    // ---- the control API ----

    /// Moves the emulator's time forward.
    pub(crate) async fn advance(&self, seconds: u64) -> Result<Timestamp, Error> {
        let too_far = || Error::ClockOutOfRange {
            seconds,
            max_offset_seconds: MAX_CLOCK_OFFSET,
        };
        let secs = i64::try_from(seconds).map_err(|_| too_far())?;
        // Under the state's lock, so that the offset and the change recorded for the state file
        // go together.
        let version = {
            let mut state = self.lock();
            let offset = self
                .clock_offset()
                .checked_add(secs)
                .filter(|o| *o <= MAX_CLOCK_OFFSET)
                .ok_or_else(too_far)?;
            self.offset.store(offset, Ordering::SeqCst);
            state.touch()
        };
        self.commit_control(version).await?;
        Ok(self.now())
    }

    /// What the emulator holds now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let now = self.now();
        let now_s = now.unix_seconds();
        let token_now = self.token_now();
        let state = self.lock();
        let reservations = state
            .reservations
            .values()
            .map(|r| ReservationSummary {
                id: r.id.as_str().into(),
                meeting_no: r.meeting_no().into(),
                owner: r.owner.as_str().into(),
                tenant_key: r.tenant_key.clone(),
                app_id: r.app_id.clone(),
                topic: r.settings.topic.clone(),
                end_time: Timestamp::from_unix_seconds(r.end_time),
                expired: !r.is_live(now_s),
                holds_meeting_no: state
                    .holder(r.meeting_no, now_s)
                    .is_some_and(|h| h.id == r.id),
                meeting_id: r.meeting.as_ref().map(|m| m.id.as_str().into()),
                updates: r.updates,
            })
            .collect();
        Snapshot {
            now,
            clock_offset_seconds: self.clock_offset(),
            applies: state.applies,
            reservations,
            taken_meeting_nos: state
                .taken(now_s)
                .into_iter()
                .map(|no| format!("{no:09}").into())
                .collect(),
            live_tokens: state
                .tokens
                .values()
                .filter(|t| t.expires_at > token_now)
                .count(),
        }
    }
}

/// Who may read and change a reservation ("only your own reservations"): with a user token, its
/// owner; with a tenant token, the app that booked it (with either kind of token), in its tenant.
fn may_act(caller: &Caller, r: &Reservation) -> Result<(), Failure> {
    let allowed = match caller.kind {
        TokenKind::User => caller.user.as_deref() == Some(r.owner.as_str()),
        _ => caller.app_id == r.app_id && caller.tenant_key == r.tenant_key,
    };
    if allowed {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::NoPermission, "no permission"))
    }
}

/// Applies the fields an update sends; fields it leaves out stay.
fn merge(settings: &mut ReserveMeetingSetting, changes: ReserveMeetingSetting) {
    if changes.topic.is_some() {
        settings.topic = changes.topic;
    }
    if changes.action_permissions.is_some() {
        settings.action_permissions = changes.action_permissions;
    }
    if changes.meeting_initial_type.is_some() {
        settings.meeting_initial_type = changes.meeting_initial_type;
    }
    if changes.call_setting.is_some() {
        settings.call_setting = changes.call_setting;
    }
    if changes.auto_record.is_some() {
        settings.auto_record = changes.auto_record;
    }
    if changes.assign_host_list.is_some() {
        settings.assign_host_list = changes.assign_host_list;
    }
}

/// An empty topic or list means "none": stored as absent.
fn normalise(settings: &mut ReserveMeetingSetting) {
    if settings.topic.as_deref() == Some("") {
        settings.topic = None;
    }
    if settings
        .action_permissions
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        settings.action_permissions = None;
    }
    if settings
        .assign_host_list
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        settings.assign_host_list = None;
    }
}
