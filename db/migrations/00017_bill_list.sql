-- +goose Up
-- The bills list pages through every bill, the most recent first (bill_date DESC, id DESC)
-- by keyset ((bill_date, id) < the previous page's last): these indexes give each page
-- from an index scan (read backward) instead of sorting every bill, for all suppliers or
-- one.
CREATE INDEX supplier_bills_date_idx ON supplier_bills (bill_date, id);
CREATE INDEX supplier_bills_supplier_date_idx ON supplier_bills (supplier_id, bill_date, id);

-- +goose Down
DROP INDEX supplier_bills_supplier_date_idx, supplier_bills_date_idx;
