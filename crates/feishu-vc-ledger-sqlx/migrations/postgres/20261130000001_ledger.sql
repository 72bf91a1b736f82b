-- The reservation ledger: one row per intended booking (see feishu_vc_ledger::Record).
-- Timestamps are integer Unix seconds; `keep` is a boolean.
CREATE TABLE feishu_vc_ledger (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    owner_kind TEXT,
    owner_id TEXT,
    topic TEXT,
    intent_end_time BIGINT NOT NULL,
    keep BOOLEAN NOT NULL,
    batch TEXT,
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'booked', 'unknown', 'refused', 'deleted', 'expired', 'gone')),
    attempts BIGINT NOT NULL DEFAULT 0,
    reserve_id TEXT,
    meeting_no TEXT,
    url TEXT,
    end_time BIGINT NOT NULL,
    booked_at BIGINT,
    ended_at BIGINT,
    log_id TEXT,
    refusal_code BIGINT,
    refusal_message TEXT,
    updated_at BIGINT NOT NULL,
    checked_at BIGINT,
    -- Since when a sender holds it (state 'sending').
    sending_since BIGINT,
    -- A keeper's claim while it renews the reservation.
    claim_worker TEXT,
    claim_until BIGINT
);

CREATE INDEX feishu_vc_ledger_meeting_no ON feishu_vc_ledger (meeting_no, booked_at);
CREATE INDEX feishu_vc_ledger_reserve_id ON feishu_vc_ledger (reserve_id);
CREATE INDEX feishu_vc_ledger_due ON feishu_vc_ledger (end_time) WHERE state = 'booked' AND keep;
CREATE INDEX feishu_vc_ledger_batch ON feishu_vc_ledger (batch, state);
CREATE INDEX feishu_vc_ledger_order ON feishu_vc_ledger (created_at, seq);
