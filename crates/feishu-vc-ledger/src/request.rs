//! What an intent records of its apply request: the request as JSON without its meeting
//! password, and its fingerprint.

use feishu_vc::model::ApplyReserveRequest;
use sha2::{Digest, Sha256};

use crate::error::LedgerError;

/// The apply request as JSON, the meeting password left out: what the intent records.
///
/// `{"body": …, "user_id_type": …}` (the latter only when set); keys in a fixed order.
pub fn request_json(request: &ApplyReserveRequest) -> Result<String, LedgerError> {
    let mut body = serde_json::to_value(&request.body)
        .map_err(|e| LedgerError::backend("the apply request cannot be written as JSON", e))?;
    if let Some(settings) = body
        .get_mut("meeting_settings")
        .and_then(|s| s.as_object_mut())
    {
        settings.remove("password");
    }
    let mut json = serde_json::Map::new();
    json.insert("body".to_owned(), body);
    if let Some(kind) = request.user_id_type {
        let kind = serde_json::to_value(kind)
            .map_err(|e| LedgerError::backend("the apply request cannot be written as JSON", e))?;
        json.insert("user_id_type".to_owned(), kind);
    }
    Ok(serde_json::Value::Object(json).to_string())
}

/// The fingerprint of an apply request: hex SHA-256 of [`request_json`] (the meeting password
/// left out). Two requests with the same fingerprint book the same meeting.
pub fn fingerprint(request: &ApplyReserveRequest) -> Result<String, LedgerError> {
    Ok(fingerprint_of(&request_json(request)?))
}

pub(crate) fn fingerprint_of(json: &str) -> String {
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
