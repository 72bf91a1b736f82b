//! The quick path for valid requests: the generated plain checks agree with `validator`'s full
//! report on every body of the corpus and of the valid cases. (`tests/alloc.rs`: a valid request
//! is checked without allocating.)

use feishu_vc_model::SchemaValid;

use crate::Req;
use crate::corpus::corpus;
use crate::valid::cases;

/// The generated checks and `validator`'s report on a body: `(quick, full)`.
fn both<B: SchemaValid + validator::Validate>(body: &B) -> (bool, bool) {
    (
        body.schema_valid(),
        validator::Validate::validate(body).is_ok(),
    )
}

fn body_checks(request: &Req) -> Option<(bool, bool)> {
    match request {
        Req::Apply(r) => Some(both(&r.body)),
        Req::Update(r) => Some(both(&r.body)),
        Req::Get(_) | Req::Delete(_) | Req::GetActiveMeeting(_) => None,
    }
}

#[test]
fn quick_checks_agree_with_the_full_report() {
    let mut compared = 0;
    let mut refused = 0;
    let requests = corpus()
        .into_iter()
        .map(|r| (r.name, (r.build)()))
        .chain(cases().into_iter().map(|c| (c.name, c.request)));
    for (name, request) in requests {
        let Some((quick, full)) = body_checks(&request) else {
            continue;
        };
        assert_eq!(quick, full, "{name}: quick check {quick}, validator {full}");
        compared += 1;
        refused += usize::from(!full);
    }
    // Both outcomes are exercised: the corpus breaks each schema rule at least once.
    assert!(compared >= 60, "only {compared} bodies compared");
    assert!(refused >= 20, "only {refused} bodies break a schema rule");
}
