//! Checks that a value never shows a secret, shared by the tests of feishu-vc-transport and of the
//! feishu-vc facade (included there by path).

use std::fmt;

/// Fails if `Display`, `Debug` or `{:#?}` of `value`, or of any error in its source chain, shows
/// any of `secrets`.
pub(crate) fn assert_hides<E: std::error::Error>(value: &E, secrets: &[&str]) {
    assert_debug_hides(value, secrets);
    let mut shown = vec![value.to_string()];
    let mut source = value.source();
    while let Some(s) = source {
        shown.push(s.to_string());
        shown.push(format!("{s:?}"));
        source = s.source();
    }
    for text in shown {
        for secret in secrets {
            assert!(!text.contains(secret), "`{secret}` shows in: {text}");
        }
    }
}

/// Fails if `Debug` or `{:#?}` of `value` shows any of `secrets`.
pub(crate) fn assert_debug_hides<T: fmt::Debug + ?Sized>(value: &T, secrets: &[&str]) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            assert!(!text.contains(secret), "`{secret}` shows in: {text}");
        }
    }
}
