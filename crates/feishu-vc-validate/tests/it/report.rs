//! The shape of what is reported: order, `Display`, the rules' words, the context.

use std::cmp::Ordering;
use std::time::Duration;

use feishu_vc_model::{
    AssignHostUserType, CheckField, CheckMode, MeetingPermission, Password,
    ReserveActionPermission, ReserveMeetingSetting, ReservePermissionChecker, Timestamp,
    UpdateReserveRequest,
};
use feishu_vc_validate::{Context, MAX_AHEAD, TokenKind, Validate, Violation};

use crate::corpus::{HOST, HOST_LIMIT, PARAM, PASSWORD, RESERVE_ID, corpus, hosts};
use crate::{NOW, THIRTY_DAYS, at, ctx, describe, pairs, seed, tenant};

/// One segment of a path: a field name or a list index.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Index(u64),
    Name(String),
}

/// The path split into names and indices, indices compared as numbers.
fn segments(path: &str) -> Vec<Segment> {
    path.split(['.', '[', ']'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_or_else(|_| Segment::Name(s.to_owned()), Segment::Index)
        })
        .collect()
}

fn path_order(a: &Violation, b: &Violation) -> Ordering {
    segments(a.path())
        .cmp(&segments(b.path()))
        .then(a.code().code().cmp(&b.code().code()))
}

fn assert_sorted(name: &str, found: &[Violation]) {
    for pair in found.windows(2) {
        assert_ne!(
            path_order(&pair[0], &pair[1]),
            Ordering::Greater,
            "{name}: `{}` is reported before `{}`:\n{}",
            pair[0].path(),
            pair[1].path(),
            describe(found)
        );
    }
}

#[test]
fn violations_come_sorted_by_path_with_numeric_indices() {
    // Hosts 2 and 10 are bad; as strings "[10]" would sort before "[2]".
    let mut list = hosts(12);
    list[2].id = None;
    list[10].user_type = Some(AssignHostUserType::from_value(9));
    // check_list values 2 and 10 are not user types.
    let mut values: Vec<String> = ["1", "2", "6", "7"]
        .iter()
        .cycle()
        .take(12)
        .map(|s| s.to_string())
        .collect();
    values[2] = "3".to_owned();
    values[10] = "x".to_owned();
    let settings = ReserveMeetingSetting::default()
        .set_password(Password::digits("12"))
        .set_assign_host_list(list)
        .set_action_permissions([ReserveActionPermission::new(
            MeetingPermission::CanJoin,
            [ReservePermissionChecker::new(
                CheckField::UserType,
                values,
                CheckMode::Within,
            )],
        )]);
    let request = feishu_vc_model::ApplyReserveRequest::new(settings);
    let found = request.violations(&tenant());
    let checker = "meeting_settings.action_permissions[0].permission_checkers[0]";
    let expected: Vec<(String, i64)> = vec![
        ("end_time".to_owned(), PARAM),
        (format!("{checker}.check_list[2]"), PARAM),
        (format!("{checker}.check_list[10]"), PARAM),
        ("meeting_settings.assign_host_list".to_owned(), HOST_LIMIT),
        ("meeting_settings.assign_host_list[2].id".to_owned(), HOST),
        (
            "meeting_settings.assign_host_list[10].user_type".to_owned(),
            HOST,
        ),
        ("meeting_settings.password".to_owned(), PASSWORD),
        ("owner_id".to_owned(), PARAM),
    ];
    assert_eq!(pairs(&found), expected, "actual:\n{}", describe(&found));
    assert_sorted("mixed request", &found);
}

#[test]
fn every_corpus_row_is_reported_in_path_order() {
    for r in corpus() {
        let found = (r.build)().violations(&ctx(r.token));
        assert_sorted(r.name, &found);
        // Sorting is stable: checking the same request twice reports the same list.
        assert_eq!(found, (r.build)().violations(&ctx(r.token)), "{}", r.name);
    }
}

#[test]
fn display_names_path_rule_and_code_but_never_the_password() {
    for secret in ["12a4567", "1234567890", "971"] {
        let request = seed().set_meeting_settings(
            seed()
                .body
                .meeting_settings
                .set_password(Password::digits(secret)),
        );
        let err = request.validate(&tenant()).expect_err(secret);
        assert_eq!(err.len(), 1, "{secret}:\n{}", describe(err.as_slice()));
        let v = &err.as_slice()[0];
        assert_eq!(v.path(), "meeting_settings.password");
        assert_eq!(v.code().code(), PASSWORD);

        let shown = err.to_string();
        assert!(shown.contains("meeting_settings.password"), "{shown}");
        assert!(shown.contains(v.rule()), "{shown}");
        assert!(shown.contains("123006"), "{shown}");
        assert!(
            !shown.contains(secret),
            "the password leaks into Display: {shown}"
        );

        let one = v.to_string();
        assert!(
            one.contains("meeting_settings.password") && one.contains("123006"),
            "{one}"
        );
        assert!(!one.contains(secret), "{one}");

        let debug = format!("{err:?}");
        assert!(
            !debug.contains(secret),
            "the password leaks into Debug: {debug}"
        );
    }
}

#[test]
fn display_lists_every_violation() {
    let request = seed().set_owner_id("").set_end_time(at(0));
    let err = request.validate(&tenant()).unwrap_err();
    let shown = err.to_string();
    assert_eq!(err.len(), 2, "{shown}");
    for v in &err {
        assert!(shown.contains(v.path()), "{shown}");
        assert!(shown.contains(v.rule()), "{shown}");
    }
    assert!(shown.contains("121003"), "{shown}");
    let end = shown.find("end_time").expect("end_time is named");
    let owner = shown.find("owner_id").expect("owner_id is named");
    assert!(end < owner, "not in path order: {shown}");
}

#[test]
fn rules_are_plain_words() {
    let mut seen = 0;
    for r in corpus() {
        for v in (r.build)().violations(&ctx(r.token)) {
            seen += 1;
            let rule = v.rule();
            let context = format!("{} at {}: rule {rule:?}", r.name, v.path());
            assert!(!rule.trim().is_empty(), "{context}");
            assert_eq!(rule, rule.trim(), "{context}");
            assert!(
                rule.chars().next().is_some_and(char::is_alphabetic),
                "{context}"
            );
            assert!(rule.contains(' '), "not words: {context}");
            assert!(!rule.contains("__"), "{context}");
            assert!(!rule.contains('{') && !rule.contains('}'), "{context}");
            assert!(!rule.contains("Some("), "{context}");
            assert!(
                !rule.contains(&v.code().code().to_string()),
                "the rule is a code: {context}"
            );
            assert!(
                !rule.contains(v.path()),
                "the rule repeats the path: {context}"
            );
        }
    }
    assert!(seen >= 45, "only {seen} violations in the corpus");
}

#[test]
fn the_clock_decides_the_end_time_window() {
    assert_eq!(MAX_AHEAD, Duration::from_secs(THIRTY_DAYS as u64));
    let context = tenant();
    assert_eq!(context.now(), Timestamp::from_unix_seconds(NOW));
    assert_eq!(context.token(), TokenKind::Tenant);

    // The seed expires an hour after NOW: fine at NOW, too late an hour later, too early 31 days before.
    let request = seed();
    assert!(request.validate(&context).is_ok());
    let an_hour_later = Context::new(TokenKind::Tenant).at(at(3600));
    assert_eq!(
        pairs(&request.violations(&an_hour_later)),
        [("end_time".to_owned(), PARAM)]
    );
    let early = Context::new(TokenKind::Tenant).at(at(3600 - THIRTY_DAYS - 1));
    assert_eq!(
        pairs(&request.violations(&early)),
        [("end_time".to_owned(), PARAM)]
    );
    let just_in = Context::new(TokenKind::Tenant).at(at(3600 - THIRTY_DAYS));
    assert!(request.validate(&just_in).is_ok());

    // The same holds on update.
    let renew = UpdateReserveRequest::new(RESERVE_ID).set_end_time(at(3600));
    assert!(renew.validate(&context).is_ok());
    assert_eq!(
        pairs(&renew.violations(&an_hour_later)),
        [("end_time".to_owned(), PARAM)]
    );
}

#[test]
fn the_token_kind_decides_the_owner_rule() {
    let with_owner = seed();
    let without_owner = crate::seed_with(|v| {
        v.as_object_mut().unwrap().remove("owner_id");
    });
    assert!(with_owner.validate(&ctx(TokenKind::Tenant)).is_ok());
    assert_eq!(
        pairs(&with_owner.violations(&ctx(TokenKind::User))),
        [("owner_id".to_owned(), PARAM)]
    );
    // Feishu ignores owner_id with a user token: flagged, but not a reason to refuse the request.
    let warnings = with_owner.validate(&ctx(TokenKind::User)).unwrap();
    assert_eq!(pairs(&warnings), [("owner_id".to_owned(), PARAM)]);
    assert_eq!(
        warnings[0].severity(),
        feishu_vc_validate::Severity::Warning
    );
    assert!(
        warnings[0].to_string().contains("ignored by Feishu"),
        "{}",
        warnings[0]
    );
    assert!(
        without_owner
            .validate(&ctx(TokenKind::User))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        pairs(&without_owner.violations(&ctx(TokenKind::Tenant))),
        [("owner_id".to_owned(), PARAM)]
    );
}
