-- +goose Up
-- Loyalty points as a payment method: a POINTS payment records the money value of the
-- points redeemed (internal/loyalty's REDEEM entry for the order) against the order.
ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments ADD CONSTRAINT payments_method_check
    CHECK (method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT', 'POINTS'));
ALTER TABLE orders DROP CONSTRAINT orders_payment_method_check;
ALTER TABLE orders ADD CONSTRAINT orders_payment_method_check
    CHECK (payment_method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT', 'POINTS'));
-- When an order paid partly with points is cancelled, its points go back to the customer
-- (a REVERSE entry in the ledger) and the POINTS payment no longer counts towards
-- orders.paid: released_at records when. Only POINTS payments are released.
ALTER TABLE payments ADD COLUMN released_at timestamptz,
    ADD CONSTRAINT payments_released_check CHECK (released_at IS NULL OR method = 'POINTS');

-- +goose Down
ALTER TABLE payments DROP COLUMN released_at;
ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments ADD CONSTRAINT payments_method_check
    CHECK (method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT'));
ALTER TABLE orders DROP CONSTRAINT orders_payment_method_check;
ALTER TABLE orders ADD CONSTRAINT orders_payment_method_check
    CHECK (payment_method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT'));
