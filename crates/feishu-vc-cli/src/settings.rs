//! From the setting flags to a request: each flag applied over a body (`--body`), and each field
//! named by the flag that set it, for `apply`, `update` and the batch rows.

use std::io::Read;

use feishu_vc::model::{
    AssignHostUserType, MeetingInitialType, Password, PstnSipInfo, ReserveAssignHost,
    ReserveCallSetting, ReserveCallee, ReserveMeetingSetting, UserType,
};
use serde::de::DeserializeOwned;

use crate::args::Settings;
use crate::input;
use crate::outcome::Failure;

/// No flag sets any field of get, delete and active but the id.
pub(crate) fn no_flags(_: &str) -> Option<String> {
    None
}

/// The flag that set the field at `path`, when one was given; else, when a body file was given,
/// the body (`--body`).
pub(crate) fn flag_of(path: &str, flags: &Settings, owner: bool) -> Option<String> {
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
pub(crate) fn settings_given(s: &Settings) -> bool {
    s.topic.is_some()
        || s.password.is_some()
        || s.no_password
        || !s.hosts.is_empty()
        || s.auto_record.is_some()
        || s.call.is_some()
}

/// Applies the setting flags over `settings`.
pub(crate) fn apply_settings(
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
pub(crate) fn read_body<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, Failure> {
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
