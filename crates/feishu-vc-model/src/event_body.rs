//! What the generated [`Event`](crate::events::Event) is read with: the event of a type this
//! crate does not model, and the decoders that name the field that does not fit. A leaf below
//! both `events.rs` (which re-exports [`OtherEvent`]) and `generated/events.rs`.

/// An event of a type this crate does not model: its type and raw JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtherEvent {
    /// `header.event_type` (schema 2.0) or `event.type` (schema 1.0).
    pub event_type: String,
    /// The `event` object as delivered.
    pub event: serde_json::Value,
}

/// Reads one event body from JSON text, naming the field that does not fit
/// (`meeting.meeting_source: invalid type … at line 1 column 40`): the generated
/// [`Event::from_json`](crate::events::Event::from_json) decodes through this, straight from the text. Tracking the path costs
/// more than the decoding itself, so it runs only again after a failure.
pub(crate) fn decode_str<T: serde::de::DeserializeOwned>(
    event: &str,
) -> Result<T, serde_json::Error> {
    serde_json::from_str(event).map_err(|first| {
        let mut de = serde_json::Deserializer::from_str(event);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => with_path(e),
            Ok(_) => first,
        }
    })
}

/// [`decode_str`] for a body already parsed, for the generated [`Event::from_value`](crate::events::Event::from_value).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    event: serde_json::Value,
) -> Result<T, serde_json::Error> {
    T::deserialize(&event).map_err(
        |first| match serde_path_to_error::deserialize::<_, T>(&event) {
            Err(e) => with_path(e),
            Ok(_) => first,
        },
    )
}

fn with_path(e: serde_path_to_error::Error<serde_json::Error>) -> serde_json::Error {
    let path = e.path().to_string();
    serde::de::Error::custom(format_args!("{path}: {}", e.into_inner()))
}
