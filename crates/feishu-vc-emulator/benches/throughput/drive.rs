//! Driving a server: the plan of calls, the client tasks that send them, and what a run measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Apply,
    Get,
}

impl Op {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Apply => "apply",
            Op::Get => "get",
        }
    }
}

/// What a run sends: the same for every request but the get URL.
pub(crate) struct Plan {
    pub(crate) client: reqwest::Client,
    pub(crate) auth: HeaderValue,
    pub(crate) apply_url: reqwest::Url,
    pub(crate) apply_body: Bytes,
    pub(crate) get_urls: Vec<reqwest::Url>,
}

/// One task's tally.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    pub(crate) body_bytes: u64,
    pub(crate) first_failure: Option<String>,
}

impl Tally {
    pub(crate) fn fail(&mut self, why: String) {
        self.failed += 1;
        self.first_failure.get_or_insert(why);
    }
}

/// The result of one measured run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) tally: Tally,
    pub(crate) elapsed: Duration,
    pub(crate) timed_out: bool,
    pub(crate) server_cpu: Option<Duration>,
    pub(crate) client_cpu: Option<Duration>,
}

impl Run {
    pub(crate) fn rate(&self) -> f64 {
        self.tally.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn per_request(cpu: Option<Duration>, n: u64) -> Option<f64> {
        cpu.map(|c| c.as_secs_f64() * 1e6 / n.max(1) as f64)
    }
}

pub(crate) async fn one_task(plan: Arc<Plan>, op: Op, n: usize, issued: Arc<AtomicUsize>) -> Tally {
    let mut tally = Tally::default();
    loop {
        let i = issued.fetch_add(1, Ordering::Relaxed);
        if i >= n {
            break;
        }
        let request = match op {
            Op::Apply => plan
                .client
                .post(plan.apply_url.clone())
                .header(header::AUTHORIZATION, plan.auth.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(plan.apply_body.clone()),
            Op::Get => plan
                .client
                .get(plan.get_urls[i % plan.get_urls.len()].clone())
                .header(header::AUTHORIZATION, plan.auth.clone()),
        };
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(body) if status.as_u16() == 200 && body.starts_with(OK_PREFIX) => {
                        tally.ok += 1;
                        tally.body_bytes += body.len() as u64;
                    }
                    Ok(body) => tally.fail(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )),
                    Err(e) => tally.fail(format!("reading the body: {e}")),
                }
            }
            Err(e) => tally.fail(format!("sending: {e}")),
        }
    }
    tally
}

/// Sends `n` requests of `op` from `tasks` tasks, for at most `max`.
pub(crate) async fn drive(
    plan: &Arc<Plan>,
    op: Op,
    n: usize,
    tasks: usize,
    max: Duration,
) -> (Tally, bool) {
    let issued = Arc::new(AtomicUsize::new(0));
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (issued, timed_out) = (issued.clone(), timed_out.clone());
        tokio::spawn(async move {
            tokio::time::sleep(max).await;
            // No new requests; those under way finish (bounded by the client's timeout).
            timed_out.store(true, Ordering::Relaxed);
            issued.fetch_add(n, Ordering::Relaxed);
        })
    };
    let handles: Vec<_> = (0..tasks)
        .map(|_| tokio::spawn(one_task(plan.clone(), op, n, issued.clone())))
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        let t = handle.await.expect("a load task panicked");
        total.ok += t.ok;
        total.body_bytes += t.body_bytes;
        total.failed += t.failed;
        if total.first_failure.is_none() {
            total.first_failure = t.first_failure;
        }
    }
    watchdog.abort();
    (total, timed_out.load(Ordering::Relaxed))
}

/// Nanoseconds on CPU so far of this process's threads named `name`, if the kernel says.
pub(crate) fn thread_cpu(name: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut found = false;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let schedstat = std::fs::read_to_string(path.join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
        found = true;
    }
    found.then(|| Duration::from_nanos(total))
}

pub(crate) fn measure(
    client_rt: &Runtime,
    server: &Server,
    plan: &Arc<Plan>,
    op: Op,
    settings: &Settings,
) -> Run {
    let server_before = thread_cpu(server.name);
    let client_before = thread_cpu(CLIENT_THREAD);
    let start = Instant::now();
    let (tally, timed_out) =
        client_rt.block_on(drive(plan, op, settings.n, settings.tasks, settings.max));
    let elapsed = start.elapsed();
    let diff = |before: Option<Duration>, now: Option<Duration>| match (before, now) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b)),
        _ => None,
    };
    Run {
        tally,
        elapsed,
        timed_out,
        server_cpu: diff(server_before, thread_cpu(server.name)),
        client_cpu: diff(client_before, thread_cpu(CLIENT_THREAD)),
    }
}

/// The client and request parts for `server`; books the get set on the emulator.
pub(crate) fn plan(
    client_rt: &Runtime,
    server: &Server,
    token: &str,
    apply_body: &Bytes,
    settings: &Settings,
) -> Result<Arc<Plan>, BoxError> {
    feishu_vc_transport::install_rustls_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(settings.tasks)
        .build()?;
    let auth = HeaderValue::try_from(format!("Bearer {token}"))?;
    let apply_url = reqwest::Url::parse(&format!("{}{APPLY_PATH}", server.base_url))?;
    let ids: Vec<String> = match &server.emulator {
        Some(_) => client_rt.block_on(async {
            let mut ids = Vec::with_capacity(settings.get_set);
            for _ in 0..settings.get_set {
                let response = client
                    .post(apply_url.clone())
                    .header(header::AUTHORIZATION, auth.clone())
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(apply_body.clone())
                    .send()
                    .await?;
                let status = response.status();
                let answer: Value = serde_json::from_slice(&response.bytes().await?)?;
                let id = answer["data"]["reserve"]["id"]
                    .as_str()
                    .ok_or_else(|| format!("apply answered HTTP {status}: {answer}"))?;
                ids.push(id.to_owned());
            }
            Ok::<_, BoxError>(ids)
        })?,
        // The baseline ignores the id; the same shape of URL.
        None => (0..settings.get_set)
            .map(|i| format!("{}", 6_911_188_411_934_973_028u64 + i as u64))
            .collect(),
    };
    let get_urls = ids
        .iter()
        .map(|id| {
            reqwest::Url::parse(&format!(
                "{}/open-apis/vc/v1/reserves/{id}",
                server.base_url
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(Plan {
        client,
        auth,
        apply_url,
        apply_body: apply_body.clone(),
        get_urls,
    }))
}
