//! Every example in the schema (the seed request and response of Lark's apply page among them)
//! decodes into the generated types and encodes back to the same JSON.

use feishu_vc_model::*;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

const SCHEMA: &str = include_str!("../../../../docs/schema/vc-reserve.openapi.json");

type RoundTrip = fn(&Value) -> Result<Value, serde_json::Error>;

fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, serde_json::Error> {
    let typed: T = serde_json::from_value(value.clone())?;
    serde_json::to_value(&typed)
}

/// The generated request body and response types of each operation.
fn types_of(operation_id: &str) -> (Option<RoundTrip>, RoundTrip) {
    match operation_id {
        "apply_reserve" => (
            Some(round_trip::<ApplyReserveBody>),
            round_trip::<ApplyReserveResponse>,
        ),
        "get_reserve" => (None, round_trip::<GetReserveResponse>),
        "update_reserve" => (
            Some(round_trip::<UpdateReserveBody>),
            round_trip::<UpdateReserveResponse>,
        ),
        "delete_reserve" => (None, round_trip::<DeleteReserveResponse>),
        "get_active_meeting_reserve" => (None, round_trip::<GetActiveMeetingResponse>),
        "get_meeting" => (None, round_trip::<GetMeetingResponse>),
        "list_meetings_by_no" => (None, round_trip::<ListMeetingsByNoResponse>),
        "get_recording" => (None, round_trip::<GetRecordingResponse>),
        "set_recording_permission" => (
            Some(round_trip::<SetRecordingPermissionBody>),
            round_trip::<SetRecordingPermissionResponse>,
        ),
        "start_recording" => (
            Some(round_trip::<StartRecordingBody>),
            round_trip::<StartRecordingResponse>,
        ),
        "stop_recording" => (None, round_trip::<StopRecordingResponse>),
        "primary_calendar" => (None, round_trip::<PrimaryCalendarResponse>),
        "create_calendar_event" => (
            Some(round_trip::<CreateCalendarEventBody>),
            round_trip::<CreateCalendarEventResponse>,
        ),
        "patch_calendar_event" => (
            Some(round_trip::<PatchCalendarEventBody>),
            round_trip::<PatchCalendarEventResponse>,
        ),
        "delete_calendar_event" => (None, round_trip::<DeleteCalendarEventResponse>),
        "create_calendar_event_attendees" => (
            Some(round_trip::<CreateCalendarEventAttendeesBody>),
            round_trip::<CreateCalendarEventAttendeesResponse>,
        ),
        "tenant_access_token_internal" => (
            Some(round_trip::<TenantAccessTokenInternalBody>),
            round_trip::<TenantAccessTokenInternalResponse>,
        ),
        other => panic!("the schema has an operation the test does not know: {other}"),
    }
}

fn examples(media: &Value) -> Vec<(String, Value)> {
    let Some(map) = media
        .pointer("/content/application~1json/examples")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, e)| (name.clone(), e["value"].clone()))
        .collect()
}

#[test]
fn every_schema_example_round_trips() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let mut checked = 0;
    let mut operations = 0;
    for (path, item) in schema["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            operations += 1;
            let (body, response) = types_of(id);
            let mut cases = Vec::new();
            if let Some(request_body) = op.get("requestBody") {
                let body = body.unwrap_or_else(|| panic!("{id} has a body the test does not map"));
                let found = examples(request_body);
                assert!(
                    !found.is_empty(),
                    "{method} {path}: the request body has no example"
                );
                cases.extend(
                    found
                        .into_iter()
                        .map(|(n, v)| (format!("request {n}"), v, body)),
                );
            }
            for (status, resp) in op["responses"].as_object().unwrap() {
                let found = examples(resp);
                assert!(
                    !found.is_empty(),
                    "{method} {path}: response {status} has no example"
                );
                cases.extend(
                    found
                        .into_iter()
                        .map(|(n, v)| (format!("response {status} {n}"), v, response)),
                );
            }
            for (name, value, convert) in cases {
                let back =
                    convert(&value).unwrap_or_else(|e| panic!("{id} {name}: does not decode: {e}"));
                assert_eq!(back, value, "{id} {name}: changed in a round trip");
                checked += 1;
            }
        }
    }
    assert_eq!(
        operations, 17,
        "five reserve operations, two of meetings, four of recordings, five of calendars and the token endpoint"
    );
    assert!(checked >= 45, "only {checked} examples were checked");
}

#[test]
fn seed_response_reads_into_typed_fields() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let seed = &schema["paths"]["/open-apis/vc/v1/reserves/apply"]["post"]["responses"]["200"]["content"]
        ["application/json"]["examples"]["seed"]["value"];
    let response: ApplyReserveResponse = serde_json::from_value(seed.clone()).unwrap();
    assert!(response.is_success());
    let data = response.data.unwrap();
    let reserve = data.reserve.unwrap();
    assert_eq!(reserve.id.unwrap(), "6911188411934973028");
    assert_eq!(reserve.meeting_no.unwrap(), "112000358");
    assert_eq!(reserve.end_time.unwrap().unix_seconds(), 1_608_883_322);
    assert_eq!(reserve.password.unwrap().expose_secret(), "971024");
    let invalid = data
        .reserve_correction_check_info
        .unwrap()
        .invalid_host_id_list
        .unwrap();
    assert_eq!(
        invalid,
        [UserId::new("ou_3ec3f6a28a0d08c45d895276e8e5e19b")]
    );
}

#[test]
fn documented_expire_status_zero_is_kept() {
    // Lark's own examples show `"expire_status": 0`, a value outside the documented 1 and 2.
    let json = r#"{"code":0,"msg":"success","data":{"reserve":{"id":"1","expire_status":0}}}"#;
    let response: GetReserveResponse = serde_json::from_str(json).unwrap();
    let status = response
        .data
        .as_ref()
        .unwrap()
        .reserve
        .as_ref()
        .unwrap()
        .expire_status
        .unwrap();
    assert!(!status.is_known());
    assert_eq!(status.value(), 0);
    let back = serde_json::to_value(&response).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(json).unwrap());
}

#[test]
fn error_envelope_keeps_log_id_and_violations() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let example = &schema["paths"]["/open-apis/vc/v1/reserves/apply"]["post"]["responses"]["default"]
        ["content"]["application/json"]["examples"]["scope_missing"]["value"];
    let response: ApplyReserveResponse = serde_json::from_value(example.clone()).unwrap();
    assert_eq!(response.error_code(), Some(ErrorCode::AppScopeNotGranted));
    let error = response.error.unwrap();
    assert!(error.log_id.is_some_and(|id| !id.is_empty()));
    let violations = error.permission_violations.unwrap();
    assert_eq!(violations[0].subject.as_deref(), Some("vc:reserve"));
}
