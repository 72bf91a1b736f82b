//! Integration tests of the model: the schema's examples, request building, the wire conventions.

mod events;
mod examples;
mod requests;
mod wire;
