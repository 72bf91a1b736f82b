//! ns per decoded event: `Event::from_json` (text straight into the body's type; field paths are
//! traced only after a failure) against two baselines measured in the same run, interleaved: the
//! same event through a `serde_json::Value` first (`from_str::<Value>` + `Event::from_value`, how
//! it decoded before), and plain `serde_json::from_str` of the body type (the serde floor). The
//! event is the documented `vc.meeting.meeting_started_v1` example of the schema.
//!
//! `cargo bench -p feishu-vc-model --bench event_decode`

use std::hint::black_box;
use std::time::Instant;

use feishu_vc_model::events::{Event, MeetingOperatorEvent};
use serde_json::Value;

const SCHEMA: &str = include_str!("../../../docs/schema/vc-reserve.openapi.json");
const TYPE: &str = "vc.meeting.meeting_started_v1";
const ITERS: u32 = 20_000;
const ROUNDS: usize = 15;

fn ns_per_op(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..ITERS {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(ITERS)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    let event = schema
        .pointer(&format!(
            "/webhooks/{TYPE}/post/requestBody/content/application~1json/examples/doc/value/event"
        ))
        .expect("the documented example")
        .to_string();
    let text = event.as_str();

    let direct = || {
        black_box(Event::from_json(TYPE, black_box(text)).expect("decodes"));
    };
    let via_value = || {
        let value: Value = serde_json::from_str(black_box(text)).expect("JSON");
        black_box(Event::from_value(TYPE, value).expect("decodes"));
    };
    let plain = || {
        black_box(serde_json::from_str::<MeetingOperatorEvent>(black_box(text)).expect("decodes"));
    };
    // Warm up.
    for f in [&direct as &dyn Fn(), &via_value, &plain] {
        ns_per_op(f);
    }
    let (mut d, mut v, mut p) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        d.push(ns_per_op(direct));
        v.push(ns_per_op(via_value));
        p.push(ns_per_op(plain));
    }
    let (d, v, p) = (median(d), median(v), median(p));
    println!(
        "event body: {} bytes, {ROUNDS} rounds of {ITERS}, medians",
        text.len()
    );
    println!("Event::from_json (text; paths on failure) {d:>8.0} ns/op");
    println!("Value, then Event::from_value (baseline)  {v:>8.0} ns/op");
    println!("serde_json::from_str::<Body> (floor)      {p:>8.0} ns/op");
    println!("from_json / via Value = {:.2}", d / v);
    println!("from_json / plain serde = {:.2}", d / p);
}
