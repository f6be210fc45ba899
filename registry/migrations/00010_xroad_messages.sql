-- The reply to every X-Road message that changes the registry, keyed by the
-- client subsystem and the message id the client chose. A message delivered
-- twice is answered from here instead of acting twice; the same key with a
-- different request (request_digest) is refused. The row is written in the
-- transaction of the operation itself, so a reply exists exactly when the
-- operation's effects do.

-- +goose Up
CREATE TABLE xroad_messages (
    client         text        NOT NULL CHECK (length(client) BETWEEN 1 AND 512),
    message_id     text        NOT NULL CHECK (length(message_id) BETWEEN 1 AND 255),
    service_code   text        NOT NULL DEFAULT '',
    request_digest text        NOT NULL CHECK (request_digest ~ '^[0-9a-f]{64}$'),
    response       bytea       NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, message_id)
);
-- Pruning old replies walks this index.
CREATE INDEX xroad_messages_received_idx ON xroad_messages (received_at);

-- +goose Down
DROP TABLE xroad_messages;
