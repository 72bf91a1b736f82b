-- The reservation ledger: one row per intended booking (see feishu_vc_ledger::Record).
-- Timestamps are integer Unix seconds; `keep` is 0 or 1 (FALSE, TRUE).
CREATE TABLE feishu_vc_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    owner_kind TEXT,
    owner_id TEXT,
    topic TEXT,
    intent_end_time INTEGER NOT NULL,
    keep INTEGER NOT NULL CHECK (keep IN (0, 1)),
    batch TEXT,
    request TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'booked', 'unknown', 'refused', 'deleted', 'expired', 'gone')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reserve_id TEXT,
    meeting_no TEXT,
    url TEXT,
    end_time INTEGER NOT NULL,
    booked_at INTEGER,
    ended_at INTEGER,
    log_id TEXT,
    refusal_code INTEGER,
    refusal_message TEXT,
    updated_at INTEGER NOT NULL,
    checked_at INTEGER,
    -- Since when a sender holds it (state 'sending').
    sending_since INTEGER,
    -- A keeper's claim while it renews the reservation.
    claim_worker TEXT,
    claim_until INTEGER
);

CREATE INDEX feishu_vc_ledger_meeting_no ON feishu_vc_ledger (meeting_no, booked_at);
CREATE INDEX feishu_vc_ledger_reserve_id ON feishu_vc_ledger (reserve_id);
CREATE INDEX feishu_vc_ledger_due ON feishu_vc_ledger (end_time) WHERE state = 'booked' AND keep = TRUE;
CREATE INDEX feishu_vc_ledger_batch ON feishu_vc_ledger (batch, state);
CREATE INDEX feishu_vc_ledger_order ON feishu_vc_ledger (created_at, seq);
