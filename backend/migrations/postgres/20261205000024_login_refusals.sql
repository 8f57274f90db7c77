-- App logins refused because the phone is not on a list-only company's staff list. They count
-- toward the hourly limit per client address with the codes sent, so the refusal cannot be used
-- to test, at full speed and for free, which phones are a company's employees.
CREATE TABLE login_refusals (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_ip   TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX login_refusals_ip ON login_refusals(client_ip, created_at);
