-- Payments that never lose or double a som (issue 5). The payment order row
-- is also the outbox of the calls we owe its bank: pending_call names the
-- one call still to be made (create the order, cancel it, or refund its
-- payment), retried with backoff through attempts, next_attempt_at and
-- last_error. An order owes at most one call at a time because its life is
-- a line: created, then maybe cancelled, then maybe refunded when a payment
-- arrives anyway. A call that keeps failing stops being retried and the
-- order is flagged for an operator (attention, flagged_at).

-- +goose Up
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_status_check;
ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_status_check
    CHECK (status IN ('NEW', 'SENT', 'PAID', 'CANCELLED', 'REFUNDED'));

ALTER TABLE payment_orders
    ADD COLUMN pending_call text NOT NULL DEFAULT ''
        CHECK (pending_call IN ('', 'CREATE', 'CANCEL', 'REFUND')),
    -- Why an operator must look at the order; empty when none must.
    ADD COLUMN attention  text NOT NULL DEFAULT '',
    ADD COLUMN flagged_at timestamptz,
    -- The last time we had news of the order from its bank (its answer to
    -- a call, a callback, or a poll); the reconciler polls orders with none
    -- for too long.
    ADD COLUMN checked_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN refund_id  text NOT NULL DEFAULT '',
    ADD COLUMN refunded_at timestamptz,
    ADD CONSTRAINT payment_orders_refunded
        CHECK (status <> 'REFUNDED' OR (paid_at IS NOT NULL AND refunded_at IS NOT NULL)),
    ADD CONSTRAINT payment_orders_flagged CHECK ((attention = '') = (flagged_at IS NULL));

-- Orders written before this migration still owe their creation.
UPDATE payment_orders SET pending_call = 'CREATE' WHERE status = 'NEW';

-- The outbox worker reads the owed calls that are due and not flagged.
DROP INDEX payment_orders_due_idx;
CREATE INDEX payment_orders_due_idx ON payment_orders (next_attempt_at)
    WHERE pending_call <> '' AND attention = '';
-- The reconciler reads the orders the bank holds unpaid, by staleness.
CREATE INDEX payment_orders_stale_idx ON payment_orders (checked_at)
    WHERE status = 'SENT' AND pending_call = '' AND attention = '';
-- Operators list what needs them.
CREATE INDEX payment_orders_flagged_idx ON payment_orders (flagged_at)
    WHERE attention <> '';

-- +goose Down
DROP INDEX payment_orders_flagged_idx;
DROP INDEX payment_orders_stale_idx;
DROP INDEX payment_orders_due_idx;
CREATE INDEX payment_orders_due_idx ON payment_orders (status, next_attempt_at);
ALTER TABLE payment_orders
    DROP CONSTRAINT payment_orders_flagged,
    DROP CONSTRAINT payment_orders_refunded,
    DROP COLUMN refunded_at,
    DROP COLUMN refund_id,
    DROP COLUMN checked_at,
    DROP COLUMN flagged_at,
    DROP COLUMN attention,
    DROP COLUMN pending_call;
UPDATE payment_orders SET status = 'PAID' WHERE status = 'REFUNDED';
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_status_check;
ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_status_check
    CHECK (status IN ('NEW', 'SENT', 'PAID', 'CANCELLED'));
