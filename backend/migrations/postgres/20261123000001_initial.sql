-- Partners (companies), their API tokens, employees, SMS codes and messages.
CREATE TABLE partners (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inn               TEXT    NOT NULL UNIQUE,
    short_name        TEXT    NOT NULL,
    full_name         TEXT    NOT NULL,
    password_hash     TEXT    NOT NULL,
    approval_required BOOLEAN NOT NULL DEFAULT FALSE,
    disabled          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT  NOT NULL
);

-- Several live tokens per partner: the current one and, during a rotation grace period, the old one.
CREATE TABLE partner_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  BIGINT  NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    prefix      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT
);
CREATE INDEX partner_tokens_partner ON partner_tokens(partner_id);

CREATE TABLE staff (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id   BIGINT  NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    phone        TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    device       TEXT,
    push_token   TEXT,
    push_device  TEXT,
    state        TEXT    NOT NULL DEFAULT 'active',
    token_hash   TEXT    UNIQUE,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (partner_id, phone)
);

CREATE TABLE sms_codes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  BIGINT  NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    phone       TEXT    NOT NULL,
    client_ip   TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    attempts    BIGINT  NOT NULL DEFAULT 0,
    consumed    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX sms_codes_phone ON sms_codes(phone, created_at);
CREATE INDEX sms_codes_ip ON sms_codes(client_ip, created_at);

CREATE TABLE messages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id    BIGINT  NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    staff_id      BIGINT  NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    source        TEXT    NOT NULL DEFAULT 'api',
    status        TEXT    NOT NULL DEFAULT 'queued',
    status_reason TEXT,
    created_at    BIGINT  NOT NULL,
    sent_at       BIGINT,
    delivered_at  BIGINT,
    read_at       BIGINT
);
-- getmessage: one employee's newest messages, and the id-based paging of incremental sync.
CREATE INDEX messages_staff_id ON messages(staff_id, id);
CREATE INDEX messages_staff_created ON messages(staff_id, created_at, id);
-- The cabinet's list: a partner's newest messages.
CREATE INDEX messages_partner_created ON messages(partner_id, created_at);
