//! A faithful local emulator of the Feishu / Lark meeting reservation API (预约会议,
//! `vc/v1/reserves`): point a client at it and book, read, renew, change, cancel meetings and find
//! their live meeting, offline, with the server's own rules and error codes.
//!
//! ```
//! use std::time::Duration;
//! use feishu_vc::model::{ApplyReserveRequest, Password, ReserveMeetingSetting};
//! use feishu_vc_emulator::{DEMO_APP_ID, DEMO_APP_SECRET, DEMO_USER_ALICE, Emulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start_default().await?; // 127.0.0.1, a free port, state in memory
//! let client = feishu_vc::Client::builder()
//!     .app_credentials(DEMO_APP_ID, DEMO_APP_SECRET)
//!     .base_url(emulator.base_url())
//!     .build()?;
//!
//! let end = emulator.now().checked_add(Duration::from_secs(3600)).unwrap();
//! let booked = client
//!     .reserves()
//!     .apply(
//!         ApplyReserveRequest::new(
//!             ReserveMeetingSetting::default()
//!                 .set_topic("Weekly sync")
//!                 .set_password(Password::digits("971024")),
//!         )
//!         .set_end_time(end)
//!         .set_owner_id(DEMO_USER_ALICE),
//!     )
//!     .await?;
//! assert_eq!(booked.data.meeting_no.as_str().len(), 9);
//! assert!(booked.log_id.is_some());
//!
//! emulator.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! # What it serves
//!
//! Every response is JSON (`{code, msg, data}` on success, `{code, msg, error: {log_id,
//! troubleshooter, field_violations}}` on failure, with the HTTP status of Lark's code table) and
//! carries a fresh `X-Tt-Logid` header. Header names go out in Feishu's case (`X-Tt-Logid`,
//! `Content-Type`), for SDKs that look them up case-sensitively. Requests the HTTP layer itself
//! refuses on an Open API route (a body over 2 MiB: HTTP 413; a path that is not UTF-8 once
//! decoded: HTTP 400) are answered in the same envelope, with code 121003. Unknown paths and
//! methods get Feishu's plain-text `404 page not found`.
//!
//! A connection must send each request's headers within
//! [`EmulatorBuilder::header_read_timeout`] (30 s by default) of the emulator starting to wait
//! for them, the idle time of a keep-alive connection included; past that it is closed, so that
//! slow or idle clients cannot hold the emulator.
//!
//! | endpoint | what it does |
//! | --- | --- |
//! | `POST /open-apis/auth/v3/tenant_access_token/internal` | `{app_id, app_secret}` → `{"code":0,"msg":"ok","tenant_access_token":"t-…","expire":7200}`. An unknown app id or an unreadable body → `{"code":10003,"msg":"invalid param"}`, a wrong secret → `{"code":10014,"msg":"app secret invalid"}`, both with HTTP 200 as Feishu answers. A token with 30 minutes or more to live is handed out again (with its remaining `expire`); otherwise a new one is issued and the old one stays valid until it expires. |
//! | `POST /open-apis/vc/v1/reserves/apply` | books a meeting |
//! | `GET /open-apis/vc/v1/reserves/{reserve_id}` | reads one |
//! | `PUT /open-apis/vc/v1/reserves/{reserve_id}` | changes or renews one |
//! | `DELETE /open-apis/vc/v1/reserves/{reserve_id}` | deletes one for good |
//! | `GET /open-apis/vc/v1/reserves/{reserve_id}/get_active_meeting` | its meeting in progress |
//! | `GET /open-apis/vc/v1/meetings/{meeting_id}` | one meeting, in progress or ended (`with_participants`: an ended one lists everyone who was in it, with `first_join_time`, `final_leave_time` and `in_meeting_duration`, status 4); 122002 for an id it does not know |
//! | `GET /open-apis/vc/v1/meetings/list_by_no` | the meetings of `meeting_no` that started between `start_time` and `end_time` (unix seconds, both included), oldest first, `page_size` (20, at most 50) a page, with `has_more` and an opaque `page_token`; a token it did not give is 121003 |
//! | `GET /open-apis/vc/v1/meetings/{meeting_id}/recording` | its recording once ready (`url`, `duration` in ms); 124002 while one is being made or generated, 121004 for a meeting never recorded |
//! | `PATCH /open-apis/vc/v1/meetings/{meeting_id}/recording/start` (`{"timezone"?}`), `.../recording/stop` | the host, with a user token, starts or stops recording the meeting in progress (`recording_started` / `recording_ended` pushed); 122003 for anyone else in the meeting, 122001 when it is not in progress or already (not) recording, 121005 for a tenant token |
//! | `PATCH /open-apis/vc/v1/meetings/{meeting_id}/recording/set_permission` | the owner, with a user token, once the recording is ready (else 124002; anyone else 121005); the grants are checked, not kept |
//! | `POST /open-apis/calendar/v4/calendars/primary` | the caller's primary calendar: the app's (bot) calendar with a tenant token (`user_id_type=user_id` is 190002 then), the user's with a user token; ids are stable across restarts |
//! | `POST /open-apis/calendar/v4/calendars/{calendar_id}/events` | an event on the caller's own calendar (191001 for a malformed id, 191000 for an unknown one, 191002 for another's); the same `idempotency_key` (per app and calendar) answers the event it created; a `vchat` of `third_party` keeps its link, `vc` gets a Feishu link |
//! | `PATCH`, `DELETE .../calendars/{calendar_id}/events/{event_id}` | changes or deletes it (193001 for an event it does not know, 193003 once deleted; the end may not be before the start, 190002) |
//! | `POST .../events/{event_id}/attendees` | adds users of the organizer's tenant (195100 otherwise), chats, rooms and e-mail addresses, each once; answers every attendee; an event with no video meeting gets a Feishu link |
//!
//! Only meetings of reservations the caller may act on are read (the app and tenant that
//! booked it, or its owner's user token). Calendar answers 190002 (not 121003) for a malformed
//! request and ignores body fields feishu-vc does not model; events are in [`Snapshot`].
//!
//! The reserve operations read `user_id_type` (`open_id` by default, `union_id`, `user_id`) and
//! `with_participants` from the query.
//!
//! # Tokens
//!
//! Tokens live [`TOKEN_LIFETIME`] (7200 s) by the emulator's time. A reserve call without a
//! usable `Authorization: Bearer <token>` header (missing, empty, or another scheme) is answered
//! 99991661; an expired user token 99991677, a user token (`u-…`) the emulator did not issue
//! 99991668, and any other token it did not issue, or an expired tenant token, 99991663; all in
//! the usual envelope, with the code table's HTTP status (400 where it has none), as Feishu's
//! gateway answers them. Tokens are checked before anything else, rate limit and parameters
//! included. User tokens are minted with [`Emulator::mint_user_token`] or
//! `POST /_emulator/user_access_token` for a user of the directory.
//!
//! User tokens also come the OAuth way: [`Emulator::authorize`] (or `POST /_emulator/authorize`
//! with `{"user_id"}`) stands for the user's consent and returns a code, single use and valid five
//! minutes; `POST /open-apis/authen/v2/oauth/token` (JSON body) exchanges it
//! (`grant_type=authorization_code`) and refreshes (`grant_type=refresh_token`), answering at the
//! top level as Feishu does. Each refresh token works once: reused it is refused with 20073, unknown
//! 20026, expired (7 days) 20037; a wrong secret gets 20002, a spent or unknown code 20024. Codes
//! and refresh tokens live in memory only. `POST /oauth/v3/token` (`client_credentials`, JSON
//! body with `client_id` and `client_secret`) answers the app's tenant token as `access_token`.
//!
//! Advancing the emulator's time ([`Emulator::advance`]) ages tokens too: past
//! [`TOKEN_LIFETIME`] every token issued before has expired. This SDK fetches a new tenant token
//! and replays the call, but a client that never fetches one again (an official SDK handed a
//! fixed token, a script holding a user token) fails from then on. For such clients, start the
//! emulator with [`EmulatorBuilder::tokens_on_wall_time`]: tokens then expire by the system
//! clock, and advancing the emulator's time expires reservations only.
//!
//! # Rules
//!
//! Each request body is decoded into the model's body type (not JSON, a wrong type or a field the
//! API does not have → 121003) and checked by `feishu-vc-validate`, the one source of the rules,
//! in the context of the call's token kind and the emulator's clock; the first violation (in path
//! order) is answered with its code, its HTTP status, and its text in `msg`, every violation in
//! `error.field_violations`. Then the server's own rules:
//!
//! - **Owner.** With a user token the user owns the meeting, and an `owner_id` is accepted and
//!   ignored, as Feishu does. With a tenant token, `owner_id` must
//!   name a user of the directory in the app's tenant (in the form `user_id_type` says), else
//!   121003 (Lark documents no specific code; 123004 is for hosts).
//! - **Who may act** (Lark: "only your own reservations"). With a user token: the owner only.
//!   With a tenant token: the app that booked the reservation (with either kind of token), in its
//!   tenant. Anyone else gets 121005 (HTTP 403); an unknown id 121004 (HTTP 404).
//! - **Numbers and links.** Reservation ids have 19 digits. Meeting numbers have 9 and are unique
//!   among reservations that have not expired; a number is released when its reservation expires
//!   (its `end_time` passes by the emulator's clock) or is deleted, and a renewal keeps it. (If a
//!   reservation is renewed after it expired and its number has meanwhile gone to another live
//!   reservation, it gets a new number. The reference is silent on renewing an expired
//!   reservation; the emulator answers it like any update, `expire_status` 1 once renewed, and
//!   the meeting number may have changed: a keeper should count a reservation whose end time
//!   passed as lost, not renew it.) `url` is `https://vc.feishu.cn/j/<meeting_no>`,
//!   `app_link` is Lark's applink with the reservation id and `{?}` placeholders for preview, mic,
//!   speaker and camera, `live_link` is `https://meetings.feishu.cn/s/<random>`; an emulator
//!   started with [`EmulatorBuilder::brand`]`(`[`Brand::Lark`]`)` uses Lark's hosts instead
//!   (`vc.larksuite.com`, `applink.larksuite.com`, `meetings.larksuite.com`, and
//!   `open.larksuite.com` in troubleshooter links). When no number of the pool is free, apply
//!   answers 121001.
//! - **Password.** Echoed as given (`""`: no password). When absent, the owner's personal setting
//!   decides ([`DirectoryUser::with_random_password`]): a random 6-digit password (the default) or
//!   none (`""`).
//! - **End time.** A 1-to-1 call may be booked without `end_time`; it then expires 30 days
//!   ahead, the longest a booking may last, and the answer shows that time.
//! - **Hosts.** Assigned hosts that are not Lark users of the owner's tenant in the directory are
//!   dropped and listed in `reserve_correction_check_info.invalid_host_id_list` (apply and update
//!   always include that list, empty when all hosts were accepted). Accepted hosts, the owner and
//!   meeting participants are answered in the form `user_id_type` asks for; ids inside
//!   `action_permissions[].permission_checkers[].check_list` are kept as given.
//! - **Counts.** [`Snapshot::applies`] counts the applies that booked, and each
//!   [`ReservationSummary::updates`] the updates of that reservation that succeeded; both are
//!   kept in the state file.
//! - **Update.** Fields left out are kept; a field sent empty is cleared (`topic: ""`,
//!   `assign_host_list: []`, `action_permissions: []`, `password: ""` for no password);
//!   `meeting_connect` is refused (121003). The settings as they would be after the update are
//!   checked again, so that an update cannot make a 1-to-1 call record automatically (123002).
//! - **Answers** follow each operation's subset of the reservation: apply has no `expire_status`,
//!   update no `app_link` or `reserve_user_id`, only get has `meeting_settings`. `expire_status`
//!   is 1 (not expired) or 2 (expired) by the emulator's clock.
//! - **Meetings.** get_active_meeting answers `data: {}` when no meeting is in progress (Lark
//!   documents no error for that). A meeting started through the control API has an id, the
//!   reservation's topic, url, meeting number and password, its start and create time, the host,
//!   status 2 (in progress), participant counts, and the participants only with
//!   `with_participants=true`.
//!
//! # Rate limit
//!
//! Off by default. With [`EmulatorBuilder::rate_limit`] each app may call each operation, for
//! each tenant, 50 times a second and 1000 times a minute ([`DOCUMENTED_RATE_LIMIT`]; or your
//! own limit with [`EmulatorBuilder::rate_limit_with`]). Past that: HTTP 429,
//! `{"code":99991400,"msg":"request trigger frequency limit",…}` and the headers
//! `x-ogw-ratelimit-limit` (the limit that was hit) and `x-ogw-ratelimit-reset` (whole seconds
//! until its window ends, at least 1). Windows run on real time, not the emulator's clock. The
//! token endpoint and the control API are not limited.
//!
//! # The control API
//!
//! Under `/_emulator/`, for tests and scripts; no token needed. Errors are `{"error": "…"}` with
//! HTTP 400, 404 (unknown user, app or reservation), 409 (expired reservation, meeting already
//! in progress or not in progress, a step the meeting's state does not allow: joining twice,
//! a second screen share, ending a recording that is not running, ...) or 502 (a callback that
//! did not answer its challenge). `{"meeting": {…}}` is the meeting as get_active_meeting shows
//! it, with open ids and participants.
//!
//! | endpoint | body | answer |
//! | --- | --- | --- |
//! | `GET /_emulator/clock` | | `{"now": "<unix s>", "offset_seconds": n}` |
//! | `POST /_emulator/clock/advance` | `{"seconds": n}` (the time may run at most 100 years ahead of the clock, else HTTP 400) | `{"now": "<unix s>"}` |
//! | `POST /_emulator/tenant_access_token` | `{"app_id"?}` | `{"tenant_access_token", "expire"}` |
//! | `POST /_emulator/user_access_token` | `{"user_id", "app_id"?}` (any id of a directory user) | `{"user_access_token", "expire"}` |
//! | `POST /_emulator/reserves/{reserve_id}/meeting` | a [`MeetingSpec`] (may be empty) | `{"meeting": {…}}` |
//! | `DELETE /_emulator/reserves/{reserve_id}/meeting` | | `{}` |
//! | `POST /_emulator/reserves/{reserve_id}/meeting/participants` | a [`ParticipantSpec`] (`{"id", "user_type"?, "is_cohost"?}`) | `{"meeting": {…}}` |
//! | `POST /_emulator/reserves/{reserve_id}/meeting/leave` | `{"user_id", "leave_reason"?}` (1 left, the default, or 3 removed) | `{"meeting": {…}}` |
//! | `POST /_emulator/reserves/{reserve_id}/meeting/screen_share` | `{"user_id"}` (a participant; one share at a time) | `{"meeting": {…}}` |
//! | `DELETE /_emulator/reserves/{reserve_id}/meeting/screen_share` | | `{"meeting": {…}}` |
//! | `POST /_emulator/reserves/{reserve_id}/meeting/recording` | `{"user_id"?}` (who starts it; the host unless given) | `{"meeting": {…}}` |
//! | `DELETE /_emulator/reserves/{reserve_id}/meeting/recording` | | `{"meeting": {…}}` |
//! | `POST /_emulator/reserves/{reserve_id}/meeting/recording/ready` | `{"url"?}` | a [`RecordingFile`] (`{"url", "duration_ms"}`) |
//! | `GET /_emulator/event_callbacks` | | `{"callbacks": ["…"]}` |
//! | `POST /_emulator/event_callbacks` | `{"url"}` | `{"callbacks": […]}` once the URL echoed the challenge; else HTTP 502 |
//! | `GET /_emulator/state` | | a [`Snapshot`] (with each reservation's count of updates and the count of applies) |
//! | `POST /_emulator/faults` | `{"drop_apply_answers": n}`: the next `n` applies that book are answered by closing the connection | `{"drop_apply_answers": n}` (still to drop) |
//! | `GET /_emulator/faults` | | `{"drop_apply_answers": n}` |
//!
//! [`Emulator`] has the same as methods.
//!
//! # Meeting events
//!
//! Feishu pushes `vc.meeting.*` events for meetings booked through the Open API; the emulator
//! does the same for its meetings, in the subscription mode of the app that booked them
//! ([`SubscriptionMode`], one per app as on the Developer Console, set with
//! [`EmulatorBuilder::event_subscription`]; unless set, webhooks while any callback is registered
//! and the long connection otherwise), so a program never gets an event twice. Webhook events go
//! to every callback given with [`EmulatorBuilder::event_callback`],
//! `POST /_emulator/event_callbacks` or [`Emulator::add_event_callback`]. Registering a callback sends it the URL-verification
//! challenge (`{"challenge", "type": "url_verification", "token"}`), which it must answer with
//! HTTP 200 and `{"challenge": "<the same>"}`.
//!
//! | step | events, in order |
//! | --- | --- |
//! | start | `meeting_started_v1`, then `join_meeting_v1` per participant (the host first) |
//! | join | `join_meeting_v1` (operator: who joined) |
//! | leave | `share_ended_v1` if they were sharing, `leave_meeting_v1` (`leave_reason` 1 or 3, `leave_user`; the host is the operator of a removal) |
//! | screen share start / end | `share_started_v1` / `share_ended_v1` (operator: the sharer) |
//! | recording start / end | `recording_started_v1` / `recording_ended_v1` |
//! | recording ready | `recording_ready_v1`: the meeting's id, topic, number, source and owner ids only, `url`, `duration` (ms, as a string) |
//! | end | `share_ended_v1` and `recording_ended_v1` if under way, `leave_meeting_v1` (reason 2) per participant, `meeting_ended_v1` |
//!
//! Each event is a schema 2.0 envelope (`header`: a fresh 32-hex-digit `event_id`, `event_type`,
//! `create_time` in ms by the emulator's clock, `token` = the verification token, `app_id` and
//! `tenant_key` of the app that booked the reservation). The meeting has its id, topic,
//! `meeting_no` (the reservation's), `meeting_source` 4, `start_time` (and `end_time` once
//! ended) in seconds, `host_user`, and `owner` = the reservation's owner, with all three ids of
//! directory users; `calendar_event_id` only in meeting started and ended. Bodies are built
//! through `feishu_vc_model::events::Event`, so what is sent is what the model reads.
//!
//! With [`EmulatorBuilder::encrypt_key`] every body (challenges too) is
//! `{"encrypt": base64(iv ‖ AES-256-CBC(SHA-256(key), PKCS#7))}` with a fresh IV, and carries
//! `X-Lark-Request-Timestamp` (Unix seconds by the system clock, per attempt),
//! `X-Lark-Request-Nonce` and `X-Lark-Signature` (hex SHA-256 of timestamp ‖ nonce ‖ key ‖ body).
//! An event is queued as its step is made, before the step is written to the state file.
//!
//! Each callback gets its events in order from its own task. An attempt that is not answered
//! HTTP 200 within 3 s is retried 15 s, 5 min, 1 h and 6 h later (times
//! [`EmulatorBuilder::event_retry_scale`]) with the same `event_id`, before the next event goes
//! to that callback. Pending deliveries live in memory only: they do not survive a restart or
//! [`Emulator::shutdown`].
//!
//! # Long connection
//!
//! Apps in [`SubscriptionMode::LongConnection`] get their events over Feishu's long connection, as
//! Feishu sends them to apps without a public URL. `POST /callback/ws/endpoint` with
//! `{"AppID", "AppSecret"}` answers a one-time `ws://…/ws?device_id=…&service_id=…&ticket=…` URL
//! and the client config ([`EmulatorBuilder::long_connection_client_config`]); wrong credentials
//! answer code 10014 with `"data": {}`, as Feishu does (the SDKs read `data.URL` first). App ids
//! have the shape of real ones, `cli_` and 16 hex digits ([`is_app_id`]): the SDKs' clients refuse
//! any other, and so does [`EmulatorBuilder::start`].
//! The WebSocket speaks `pbbp2.Frame` (the codec of `feishu_vc_events::longconn::frame`): pings
//! get pongs carrying the config; each event goes to one random connected client of its app, in
//! fragments when longer than [`EmulatorBuilder::long_connection_fragment_size`], and is sent again
//! (same `event_id`) until acknowledged with `{"code":200}` and `biz_rt`, within
//! [`EmulatorBuilder::long_connection_ack_timeout`] (3 s) or after its connection dropped. Past
//! [`EmulatorBuilder::long_connection_limit`] connections (50) the upgrade is refused with
//! `Handshake-Status: 514` and `Handshake-Autherrcode: 1000040350`. For tests:
//! [`Emulator::long_connection_stats`], [`Emulator::drop_long_connections`] and
//! [`Emulator::drop_long_connection_after`]. The official SDKs connect to it with their domain set
//! to [`Emulator::base_url`] (CI runs the Python SDK's `lark.ws.Client` and the Node SDK's
//! `WSClient` against it).
//!
//! # State
//!
//! In memory unless [`EmulatorBuilder::state_file`] names a database file: an SQLite database in
//! WAL mode, created if missing. It is opened and written once at start, so a location that
//! cannot be used is refused then ([`Error::OpenState`], with the OS's reason), and every change
//! (reservations, meetings, tokens, clock advances) is written to it before the change is
//! acknowledged: the rows it changed, in one transaction, fsynced on commit (`synchronous=FULL`).
//! Concurrent changes share a transaction, and each response waits for one that includes its
//! change, so a crash or a restart on the same file loses nothing that was acknowledged, and a
//! change costs the same however many reservations are stored. A change whose write fails is
//! answered 121001 (it stays in memory and reaches the file with the next successful write).
//!
//! The file and its write-ahead log hold tokens and meeting passwords in clear: they are created
//! readable and writable by their owner only (`0600`), and an existing file is narrowed to that.
//! One emulator per file: a second one on the same file waits a few seconds for the first to let
//! go, then fails to start. A JSON state file written by an earlier version is migrated at start:
//! its content goes into a new database under the same name and the JSON is kept beside it as
//! `<file>.v1.json`.
#![deny(missing_docs)]

mod answer;
mod apps;
mod auth;
mod calendar;
mod clock;
mod config;
mod control;
mod directory;
mod emulator;
mod error;
mod events;
mod hosts;
mod http;
mod ids;
mod meetings;
mod ratelimit;
mod reserves;
mod shared;
mod store;

pub use apps::{SubscriptionMode, is_app_id};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    APP_TICKET_INTERVAL, DEFAULT_HEADER_READ_TIMEOUT, DEMO_APP_ID, DEMO_APP_SECRET,
    DEMO_TENANT_KEY, DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, DOCUMENTED_RATE_LIMIT,
    DirectoryUser, EmulatorBuilder, MEETING_NO_RANGE, OTHER_TENANT_KEY, OTHER_TENANT_USER,
    TOKEN_LIFETIME, demo_directory,
};
pub use control::types::{
    CalendarEventSummary, LeaveReason, MeetingSpec, ParticipantSpec, RecordingFile,
    ReservationSummary, Snapshot,
};
pub use emulator::{Emulator, serve};
pub use error::Error;
pub use events::longconn::LongConnectionStats;
pub use feishu_vc_events::longconn::frame::ClientConfig;
pub use feishu_vc_model::RateLimit;
pub use feishu_vc_transport::Brand;
