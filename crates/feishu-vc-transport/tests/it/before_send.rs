//! The caller's before-send step: run once, after the token and the rate limiter's slot, before
//! the request; an error withholds the request.

use std::error::Error as _;
use std::sync::{Arc, Mutex};

use feishu_vc_transport::{
    BeforeSend, BoxError, BoxFuture, CallOptions, Error, InvalidRequest, RateLimiter, RateScope,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

/// What happened, in order: limiter slots, before-send steps (with the count of reserve requests
/// the server had seen by then).
type Log = Arc<Mutex<Vec<String>>>;

#[derive(Debug)]
struct Slots(Log);

impl RateLimiter for Slots {
    fn acquire<'a>(&'a self, _: RateScope<'a>) -> BoxFuture<'a, ()> {
        self.0.lock().unwrap().push("slot".to_owned());
        Box::pin(async {})
    }
}

/// A step that logs how many requests other than the token's the server had received, then
/// answers `result`.
fn step(log: &Log, server: &Arc<MockServer>, result: fn() -> Result<(), BoxError>) -> BeforeSend {
    let (log, server) = (log.clone(), server.clone());
    BeforeSend::new(move || {
        let (log, server) = (log.clone(), server.clone());
        Box::pin(async move {
            let sent = server.received_requests().await.unwrap_or_default();
            let calls = sent.iter().filter(|r| r.url.path() != TOKEN_PATH).count();
            log.lock()
                .unwrap()
                .push(format!("before send ({calls} sent)"));
            result()
        })
    })
}

#[tokio::test]
async fn the_step_runs_once_after_the_slot_and_before_the_request_even_across_retries() {
    let server = Arc::new(MockServer::start().await);
    mount_token(&server, "t-1", 1).await;
    // The first attempt fails with a 500 and is retried; the second succeeds.
    get_reserve(RESERVE_ID)
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get_reserve(RESERVE_ID)
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let log = Log::default();
    let transport = builder(&server.uri())
        .rate_limiter(Arc::new(Slots(log.clone())))
        .build()
        .unwrap();

    let options = CallOptions::new().with_before_send(step(&log, &server, || Ok(())));
    transport.send(&get(RESERVE_ID), &options).await.unwrap();

    assert_eq!(
        *log.lock().unwrap(),
        ["slot", "before send (0 sent)", "slot"],
        "the step runs after the first slot, before the first request, and only once"
    );
}

#[tokio::test]
async fn an_error_from_the_step_withholds_the_request() {
    let server = Arc::new(MockServer::start().await);
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ok(reserve_data()))
        .expect(0)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let log = Log::default();

    let options = CallOptions::new().with_before_send(step(&log, &server, || {
        Err("another worker is sending it".into())
    }));
    let err = transport(&server)
        .send(&apply(), &options)
        .await
        .unwrap_err();

    assert!(err.is_invalid_request(), "{err:?}");
    assert!(matches!(
        err,
        Error::InvalidRequest(InvalidRequest::Withheld(_))
    ));
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    assert_eq!(
        err.source().unwrap().to_string(),
        "another worker is sending it"
    );
    assert_eq!(*log.lock().unwrap(), ["before send (0 sent)"]);
}
