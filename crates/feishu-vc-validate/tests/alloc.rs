//! Checking a valid request allocates nothing: the schema's rules run as the generated plain
//! checks, and `validator`'s report (maps of paths and messages) is built only for a request that
//! breaks one. In a test binary of its own, since the allocation count is the whole process's.

use feishu_vc_model::{ApplyReserveBody, ApplyReserveRequest, Timestamp, UpdateReserveRequest};
use feishu_vc_validate::{Context, TokenKind, Validate, Violation, Violations};
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const NOW: i64 = 1_700_000_000;
const OWNER: &str = "ou_3ec3f6a28a0d08c45d895276e8e5e19b";

fn apply(body: Value) -> ApplyReserveRequest {
    let body: ApplyReserveBody = serde_json::from_value(body).expect("the body decodes");
    ApplyReserveRequest::from_body(body)
}

/// A group meeting with every kind of nested value: permissions, hosts, password.
fn group_meeting() -> ApplyReserveRequest {
    apply(json!({
        "end_time": (NOW + 3600).to_string(),
        "owner_id": OWNER,
        "meeting_settings": {
            "topic": "my meeting",
            "action_permissions": [{
                "permission": 1,
                "permission_checkers": [
                    { "check_field": 1, "check_mode": 1, "check_list": [OWNER] },
                    { "check_field": 2, "check_mode": 2, "check_list": ["1", "6"] }
                ]
            }],
            "meeting_initial_type": 1,
            "auto_record": true,
            "assign_host_list": [{ "user_type": 1, "id": OWNER }],
            "password": "971024"
        }
    }))
}

/// A 1-to-1 call to a phone number.
fn call() -> ApplyReserveRequest {
    apply(json!({
        "owner_id": OWNER,
        "meeting_settings": {
            "meeting_initial_type": 2,
            "call_setting": {
                "callee": {
                    "user_type": 6,
                    "pstn_sip_info": { "nickname": "dodo", "main_address": "+86-02187654321" }
                }
            }
        }
    }))
}

fn renewal() -> UpdateReserveRequest {
    let body = serde_json::from_value(json!({
        "end_time": (NOW + 7200).to_string(),
        "meeting_settings": { "topic": "renamed", "password": "" }
    }))
    .expect("the body decodes");
    UpdateReserveRequest::from_body("6911188411934973028", body)
}

/// Heap blocks allocated while `f` runs.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = dhat::HeapStats::get().total_blocks;
    let out = f();
    (out, dhat::HeapStats::get().total_blocks - before)
}

type Outcome = Result<Vec<Violation>, Violations>;

#[test]
fn a_valid_request_is_checked_without_allocating() {
    // Nothing is written unless a `dhat::assert*` fails, which this test does not use; should one
    // be added, its file goes to the temporary directory.
    let _profiler = dhat::Profiler::builder()
        .testing()
        .file_name(std::env::temp_dir().join("feishu-vc-validate-alloc-dhat.json"))
        .build();
    let ctx = Context::new(TokenKind::Tenant).at(Timestamp::from_unix_seconds(NOW));
    let (group, call, renewal) = (group_meeting(), call(), renewal());
    let checks: [(&str, &dyn Fn() -> Outcome); 3] = [
        ("group meeting", &|| group.validate(&ctx)),
        ("1-to-1 call", &|| call.validate(&ctx)),
        ("renewal", &|| renewal.validate(&ctx)),
    ];
    for (name, check) in checks {
        // The first check compiles the schema's patterns, once per process.
        assert_eq!(check(), Ok(Vec::new()), "{name}");
        let (outcome, n) = allocations(check);
        assert_eq!(outcome, Ok(Vec::new()), "{name}");
        assert_eq!(n, 0, "{name}: {n} allocations");
    }

    // The counter counts: a request that breaks a rule gets its report, which allocates.
    let bad = apply(json!({ "meeting_settings": { "password": "12" } }));
    let (outcome, n) = allocations(|| bad.validate(&ctx));
    let paths: Vec<String> = outcome
        .expect_err("refused")
        .iter()
        .map(|v| v.path().to_owned())
        .collect();
    assert_eq!(paths, ["end_time", "meeting_settings.password", "owner_id"]);
    assert!(n > 0, "the report of a refused request was not counted");
}
