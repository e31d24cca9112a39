-- +goose Up
-- Who may use a coupon: members of some loyalty tiers, members of a segment (checked at
-- redemption with the segment's rules), or one customer (a personal, single-use code).
-- A coupon with no audience is for everyone, guests included.
ALTER TABLE coupons
    -- NULL: any tier. Tier codes are checked by the service (an array cannot reference).
    ADD COLUMN tiers        text[] CHECK (cardinality(tiers) > 0),
    ADD COLUMN segment_id   bigint REFERENCES segments (id),
    ADD COLUMN customer_id  bigint REFERENCES customers (id),
    -- The campaign whose emails carry this personal code (marketing.StartCampaignWithCoupons).
    ADD COLUMN campaign_id  bigint REFERENCES campaigns (id),
    -- A personal coupon is used once, by its customer, whatever else it says.
    ADD CONSTRAINT coupons_personal_once CHECK (customer_id IS NULL OR (max_redemptions = 1 AND tiers IS NULL AND segment_id IS NULL)),
    ADD CONSTRAINT coupons_campaign_personal CHECK (campaign_id IS NULL OR customer_id IS NOT NULL);
CREATE INDEX coupons_customer_idx ON coupons (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX coupons_segment_idx ON coupons (segment_id) WHERE segment_id IS NOT NULL;
CREATE UNIQUE INDEX coupons_campaign_customer_key ON coupons (campaign_id, customer_id) WHERE campaign_id IS NOT NULL;

-- +goose Down
ALTER TABLE coupons DROP CONSTRAINT coupons_personal_once, DROP COLUMN campaign_id, DROP COLUMN customer_id, DROP COLUMN segment_id, DROP COLUMN tiers;
