//! The CPU cost of preparing one apply request: build the typed `ApplyReserveRequest` (the schema's
//! seed request), validate it (`Context::new(TokenKind::Tenant).at(now)`) and serialize it
//! (`to_http()`), against `serde_json::to_vec` of the equivalent `serde_json::Value`, measured in
//! the same run.
//!
//! ```sh
//! cargo bench -p feishu-vc --bench build_request
//! ```
//!
//! Each sample times `BENCH_ITERS` operations of one variant (default 20000); the variants take
//! turns within a round, in an order rotated per round, for `BENCH_SAMPLES` rounds (default 11).
//! Reported: the median ns/op of each variant and the median of the per-round ratios to the
//! baseline.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use feishu_vc::model::{
    ApiRequest, ApiResponse, ApplyReserveData, ApplyReserveRequest, ErrorInfo, Timestamp,
};
use feishu_vc::validate::{Context, TokenKind, Validate};
use serde::Deserialize;
use serde_json::Value;

use common::{env_usize, median, range};

const APPLY_PATH: &str = "/open-apis/vc/v1/reserves/apply";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Baseline: `serde_json::to_vec` of a ready `serde_json::Value` of the same body.
    JsonValue,
    /// `json!{…}` building the `Value`, then `serde_json::to_vec`.
    JsonMacro,
    /// The subject: build + validate + `to_http()`.
    Subject,
    /// Its parts, each alone.
    Build,
    Validate,
    ToHttp,
    /// What the transport does per call besides: the URL, the envelope head, the typed answer.
    Url,
    DecodeHead,
    DecodeTyped,
}

impl Variant {
    const ALL: [Variant; 9] = [
        Variant::JsonValue,
        Variant::Subject,
        Variant::JsonMacro,
        Variant::Build,
        Variant::Validate,
        Variant::ToHttp,
        Variant::Url,
        Variant::DecodeHead,
        Variant::DecodeTyped,
    ];

    fn describe(self) -> &'static str {
        match self {
            Variant::JsonValue => "baseline: `serde_json::to_vec(&value)` (a ready `Value`)",
            Variant::JsonMacro => "`json!{…}` + `serde_json::to_vec`",
            Variant::Subject => "subject: build + validate + `to_http()`",
            Variant::Build => "part: build `ApplyReserveRequest` only",
            Variant::Validate => "part: `validate(&Context::new(Tenant).at(now))` only",
            Variant::ToHttp => "part: `to_http()` only",
            Variant::Url => "transport, per call: `Url::parse(&format!(\"{base}{path}\"))`",
            Variant::DecodeHead => {
                "transport, per call: decode the seed answer's head (`code`, `msg`, `error`)"
            }
            Variant::DecodeTyped => {
                "transport, per call: decode the seed answer as `ApiResponse<ApplyReserveData>`"
            }
        }
    }
}

/// The envelope's head, as the transport reads it before the typed `data`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Head {
    code: i64,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    error: Option<ErrorInfo>,
}

/// The inputs of every variant, prepared once.
struct Inputs {
    end: Timestamp,
    now: Timestamp,
    value: Value,
    answer: Vec<u8>,
}

const BASE: &str = "http://127.0.0.1:43210";

/// Runs `iters` operations of `variant` and returns ns per operation.
fn sample(variant: Variant, iters: usize, inputs: &Inputs) -> f64 {
    let Inputs {
        end,
        now,
        value,
        answer,
    } = inputs;
    let (end, now) = (*end, *now);
    let ready: ApplyReserveRequest = common::seed_request(end);
    let started = Instant::now();
    match variant {
        Variant::JsonValue => {
            for _ in 0..iters {
                let bytes = serde_json::to_vec(black_box(value)).expect("serializes");
                black_box(bytes);
            }
        }
        Variant::JsonMacro => {
            for _ in 0..iters {
                let value = common::seed_json(black_box(end));
                let bytes = serde_json::to_vec(&value).expect("serializes");
                black_box(bytes);
            }
        }
        Variant::Subject => {
            for _ in 0..iters {
                let request = common::seed_request(black_box(end));
                request
                    .validate(&Context::new(TokenKind::Tenant).at(black_box(now)))
                    .expect("the seed request is valid");
                let http = request.to_http().expect("builds");
                black_box(http);
            }
        }
        Variant::Build => {
            for _ in 0..iters {
                black_box(common::seed_request(black_box(end)));
            }
        }
        Variant::Validate => {
            for _ in 0..iters {
                let result =
                    black_box(&ready).validate(&Context::new(TokenKind::Tenant).at(black_box(now)));
                black_box(result).expect("the seed request is valid");
            }
        }
        Variant::ToHttp => {
            for _ in 0..iters {
                black_box(black_box(&ready).to_http().expect("builds"));
            }
        }
        Variant::Url => {
            for _ in 0..iters {
                let url = format!("{}{}", black_box(BASE), black_box(APPLY_PATH));
                black_box(reqwest::Url::parse(&url).expect("a URL"));
            }
        }
        Variant::DecodeHead => {
            for _ in 0..iters {
                let head: Head = serde_json::from_slice(black_box(answer)).expect("decodes");
                black_box(head);
            }
        }
        Variant::DecodeTyped => {
            for _ in 0..iters {
                let typed: ApiResponse<ApplyReserveData> =
                    serde_json::from_slice(black_box(answer)).expect("decodes");
                black_box(typed);
            }
        }
    }
    started.elapsed().as_nanos() as f64 / iters as f64
}

fn main() {
    let iters = env_usize("BENCH_ITERS", 20_000);
    let samples = env_usize("BENCH_SAMPLES", 11);

    let now = Timestamp::now();
    let end = now
        .checked_add(Duration::from_secs(2 * 3600))
        .expect("in range");
    let value = common::seed_json(end);
    let answer = serde_json::to_vec(&common::schema_seed(APPLY_PATH, true)).expect("JSON");

    // The typed request and the Value are the same body, and that body is the schema's seed.
    let http = common::seed_request(end).to_http().expect("builds");
    let sent: Value = serde_json::from_slice(http.body.as_deref().expect("a body")).expect("JSON");
    assert_eq!(sent, value, "the typed request and the Value differ");
    let seed_end = Timestamp::from_unix_seconds(1_608_888_867);
    assert_eq!(
        common::seed_json(seed_end),
        common::schema_seed(APPLY_PATH, false),
        "the Value is not the schema's seed request"
    );
    eprintln!(
        "build_request: {samples} rounds of {iters} operations per variant; body {} bytes, answer {} bytes",
        http.body.as_ref().map_or(0, Vec::len),
        answer.len()
    );
    let inputs = Inputs {
        end,
        now,
        value,
        answer,
    };

    // Warm-up, not recorded.
    for variant in Variant::ALL {
        sample(variant, iters / 10 + 1, &inputs);
    }
    let mut ns = vec![Vec::new(); Variant::ALL.len()];
    for round in 0..samples {
        let mut order: Vec<usize> = (0..Variant::ALL.len()).collect();
        order.rotate_left(round % Variant::ALL.len());
        for i in order {
            ns[i].push(sample(Variant::ALL[i], iters, &inputs));
        }
    }
    let ratios = |i: usize| -> Vec<f64> { ns[i].iter().zip(&ns[0]).map(|(s, b)| s / b).collect() };

    println!();
    println!(
        "| operation | ns/op (median of {samples}) | ns/op min–max | ratio to baseline (median) |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for (i, variant) in Variant::ALL.iter().enumerate() {
        let (lo, hi) = range(&ns[i]);
        println!(
            "| {} | {:.0} | {lo:.0}–{hi:.0} | {:.2} |",
            variant.describe(),
            median(&ns[i]),
            median(&ratios(i)),
        );
    }
}
