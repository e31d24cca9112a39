-- +goose Up
-- Stock value: what one unit of a variant costs the retailer, in the company currency.
-- Supplier costs carry sub-cent precision (four decimals); value totals are rounded to
-- minor units when reported. NULL means the cost is not known yet: the stock value report
-- counts such variants apart rather than valuing them at zero.
ALTER TABLE variants ADD COLUMN unit_cost NUMERIC(14, 4) CHECK (unit_cost >= 0);

-- +goose Down
ALTER TABLE variants DROP COLUMN unit_cost;
