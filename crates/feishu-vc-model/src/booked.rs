//! What a successful apply or update gives: the reservation's id and meeting number, never absent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    ApplyReserveData, MeetingNo, Reserve, ReserveCorrectionCheckInfo, ReserveId, Timestamp,
    UpdateReserveData,
};

/// A reservation just booked (apply) or changed (update).
///
/// A successful answer always carries the reservation's id and meeting number, so they are plain
/// fields here; an answer without them does not convert ([`IncompleteResponse`]). Everything else
/// the answer said is in [`Booked::reserve`].
///
/// It serializes as the answer's `data` (`{"reserve": …, "reserve_correction_check_info": …}`),
/// and deserializes from it, refusing a `data` without the id or meeting number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ApplyReserveData", into = "ApplyReserveData")]
#[non_exhaustive]
pub struct Booked {
    /// The reservation id: keep it to renew, change or cancel the reservation.
    pub reserve_id: ReserveId,
    /// The 9-digit meeting number people join with.
    pub meeting_no: MeetingNo,
    /// The join URL, when the answer has one.
    pub url: Option<String>,
    /// When the reservation expires, when the answer says so.
    pub end_time: Option<Timestamp>,
    /// The reservation as the answer gave it (its `id` and `meeting_no` included).
    pub reserve: Reserve,
    /// Feishu's check of the assigned hosts, when the answer has one.
    pub reserve_correction_check_info: Option<ReserveCorrectionCheckInfo>,
}

impl Booked {
    /// Reads the answer's `reserve`; fails if it lacks a non-empty id or meeting number.
    fn from_parts(
        reserve: Option<Reserve>,
        reserve_correction_check_info: Option<ReserveCorrectionCheckInfo>,
    ) -> Result<Self, IncompleteResponse> {
        let missing = |field| IncompleteResponse { field };
        let reserve = reserve.ok_or(missing("data.reserve"))?;
        let reserve_id = reserve
            .id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or(missing("data.reserve.id"))?;
        let meeting_no = reserve
            .meeting_no
            .clone()
            .filter(|no| !no.is_empty())
            .ok_or(missing("data.reserve.meeting_no"))?;
        Ok(Self {
            reserve_id,
            meeting_no,
            url: reserve.url.clone(),
            end_time: reserve.end_time,
            reserve,
            reserve_correction_check_info,
        })
    }
}

impl TryFrom<ApplyReserveData> for Booked {
    type Error = IncompleteResponse;

    fn try_from(data: ApplyReserveData) -> Result<Self, Self::Error> {
        Self::from_parts(data.reserve, data.reserve_correction_check_info)
    }
}

impl TryFrom<UpdateReserveData> for Booked {
    type Error = IncompleteResponse;

    fn try_from(data: UpdateReserveData) -> Result<Self, Self::Error> {
        Self::from_parts(data.reserve, data.reserve_correction_check_info)
    }
}

impl From<Booked> for ApplyReserveData {
    fn from(booked: Booked) -> Self {
        let mut data = ApplyReserveData::default().set_reserve(booked.reserve);
        data.reserve_correction_check_info = booked.reserve_correction_check_info;
        data
    }
}

/// A successful answer (code 0) that lacks something it always carries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncompleteResponse {
    /// The JSON path of what is missing or empty, such as `data.reserve.id`.
    pub field: &'static str,
}

impl IncompleteResponse {
    /// The answer lacks `field` (a JSON path such as `data.meeting`).
    pub fn missing(field: &'static str) -> Self {
        Self { field }
    }
}

impl fmt::Display for IncompleteResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the answer has no `{}`", self.field)
    }
}

impl std::error::Error for IncompleteResponse {}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(json: serde_json::Value) -> Result<Booked, IncompleteResponse> {
        Booked::try_from(serde_json::from_value::<ApplyReserveData>(json).unwrap())
    }

    #[test]
    fn id_and_meeting_number_are_read_directly() {
        let booked = data(serde_json::json!({"reserve": {
            "id": "6911188411934973028", "meeting_no": "112000358",
            "url": "https://vc.feishu.cn/j/112000358", "end_time": "1608883322"
        }}))
        .unwrap();
        assert_eq!(booked.reserve_id, "6911188411934973028");
        assert_eq!(booked.meeting_no, "112000358");
        assert_eq!(
            booked.url.as_deref(),
            Some("https://vc.feishu.cn/j/112000358")
        );
        assert_eq!(
            booked.end_time,
            Some(Timestamp::from_unix_seconds(1_608_883_322))
        );
        assert_eq!(booked.reserve.id, Some(booked.reserve_id.clone()));
    }

    #[test]
    fn an_answer_without_id_or_meeting_number_is_incomplete() {
        for (json, field) in [
            (serde_json::json!({}), "data.reserve"),
            (
                serde_json::json!({"reserve": {"meeting_no": "112000358"}}),
                "data.reserve.id",
            ),
            (
                serde_json::json!({"reserve": {"id": "", "meeting_no": "112000358"}}),
                "data.reserve.id",
            ),
            (
                serde_json::json!({"reserve": {"id": "69"}}),
                "data.reserve.meeting_no",
            ),
        ] {
            assert_eq!(
                data(json.clone()).unwrap_err(),
                IncompleteResponse { field }
            );
            assert!(serde_json::from_value::<Booked>(json).is_err());
        }
    }

    #[test]
    fn serializes_as_the_answer_data() {
        let json = serde_json::json!({
            "reserve": {"id": "69", "meeting_no": "112000358"},
            "reserve_correction_check_info": {"invalid_host_id_list": ["ou_x"]}
        });
        let booked: Booked = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&booked).unwrap(), json);
    }
}
