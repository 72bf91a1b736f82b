//! The control API (`/_emulator/*`), moto's `moto_api`: its public types, the faults a test asks
//! for, the clock and snapshot steps, and every control route.

pub(crate) mod faults;
pub(crate) mod http;
pub(crate) mod rules;
pub(crate) mod types;
