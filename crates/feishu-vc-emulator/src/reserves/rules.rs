//! The five reserve operations on the hub: apply, update, get, delete, get_active_meeting, with
//! the server's own rules (owner, who may act, meeting numbers, hosts, merging an update).
//! Requests arrive here decoded and validated (`reserves/http.rs`).

use feishu_vc_model::{
    ApplyReserveData, ApplyReserveRequest, DeleteReserveData, ErrorCode, GetActiveMeetingData,
    GetReserveData, ReserveAssignHost, ReserveCorrectionCheckInfo, ReserveMeetingSetting,
    Timestamp, TokenKind, UpdateReserveBody, UpdateReserveData, UpdateReserveRequest, UserId,
    UserIdType,
};
use feishu_vc_validate::{Context, MAX_AHEAD, Validate};

use crate::answer::{Failure, Outcome, data, first_violation};
use crate::auth::state::Caller;
use crate::ids;
use crate::reserves::state::{Reservation, View};
use crate::shared::Shared;

impl Shared {
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
                past_meetings: Vec::new(),
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
}

/// Who may read and change a reservation ("only your own reservations"): with a user token, its
/// owner; with a tenant token, the app that booked it (with either kind of token), in its tenant.
pub(crate) fn may_act(caller: &Caller, r: &Reservation) -> Result<(), Failure> {
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
