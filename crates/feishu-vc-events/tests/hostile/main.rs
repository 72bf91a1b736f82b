//! The long-connection client against a hostile or broken fake Feishu on loopback: one test per
//! defect of issue 21 (A to H), each also holding what all must: no panic, the process's memory
//! growing by less than 64 MiB, never the app secret or the URL's credentials in any output, and
//! endpoint calls spaced by the client's floor. Its own binary: the memory figures are the
//! process's (dhat counts the heap; the cases run one at a time).

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

mod dial;
mod harness;
mod memory;
mod reports;
mod schedule;
mod secrets;
mod server;
