-- Where a booked reservation was placed on a Feishu calendar (see
-- feishu_vc_ledger::CalendarPlacement): both set, or both NULL (not placed). Rows written before
-- this migration are on no calendar.
ALTER TABLE feishu_vc_ledger ADD COLUMN calendar_id TEXT;
ALTER TABLE feishu_vc_ledger ADD COLUMN calendar_event_id TEXT;
