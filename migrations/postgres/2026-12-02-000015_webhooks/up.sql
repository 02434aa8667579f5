-- Outbound notifications (webhooks): a township's receiver, and the queue of
-- deliveries to it. A delivery is written in the same transaction as the
-- change it reports and sent later by the worker, never in the request.

-- One receiver per township. `secret` signs every delivery (HMAC-SHA-256);
-- it is needed in the clear to sign, and is shown to its owner only once.
CREATE TABLE township_webhooks (
    township_id BIGINT PRIMARY KEY NOT NULL REFERENCES places (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- `next_at` is both the next try of a pending delivery and the lease of the
-- worker sending it: claiming moves it forward, so another instance sharing
-- the database does not send the same delivery meanwhile.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    township_id BIGINT NOT NULL REFERENCES places (id),
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    next_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_township ON webhook_deliveries (township_id, id);
