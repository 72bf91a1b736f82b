//! The HTTP layer on top of the domains: the router that merges each domain's routes
//! (`router.rs`), the answer envelopes and log ids (`envelope.rs`), strict body decoding
//! (`decode.rs`), query strings (`query.rs`) and the accept loop (`serve.rs`). Each domain's own
//! routes are in its `http.rs`.

pub(crate) mod decode;
pub(crate) mod envelope;
pub(crate) mod query;
pub(crate) mod router;
pub(crate) mod serve;
