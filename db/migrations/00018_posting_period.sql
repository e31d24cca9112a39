-- +goose Up
-- A period close: once the accountant has exported a month's journals into the general
-- ledger, nothing may post into it any more. closed_through is the last closed day (NULL:
-- nothing closed); it only moves forward.
ALTER TABLE payables_settings ADD COLUMN closed_through date;

-- posted_on is the general-ledger date of a bill, credit note or payment: its own date,
-- or the first open day when that date falls in a closed period. The document keeps its
-- date (terms, aging and the supplier ledger go by it); the journals go by posted_on.
ALTER TABLE supplier_bills ADD COLUMN posted_on date;
UPDATE supplier_bills SET posted_on = bill_date;
ALTER TABLE supplier_bills ALTER COLUMN posted_on SET NOT NULL,
    ADD CONSTRAINT supplier_bills_posted_on_check CHECK (posted_on >= bill_date);
CREATE INDEX supplier_bills_posted_on_idx ON supplier_bills (posted_on, id);

ALTER TABLE supplier_payments ADD COLUMN posted_on date;
UPDATE supplier_payments SET posted_on = paid_on;
ALTER TABLE supplier_payments ALTER COLUMN posted_on SET NOT NULL,
    ADD CONSTRAINT supplier_payments_posted_on_check CHECK (posted_on >= paid_on);
CREATE INDEX supplier_payments_posted_on_idx ON supplier_payments (posted_on, id);

-- Every insert gets posted_on here (the service leaves it out, and so may a data fix or a
-- bulk load): the document's date, or the first open day when that date falls in a
-- closed period. The settings row is locked FOR SHARE so a close cannot commit between
-- reading it and the insert.
-- +goose StatementBegin
CREATE FUNCTION payables_default_posted_on() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed date;
    dated date;
BEGIN
    IF NEW.posted_on IS NULL THEN
        SELECT closed_through INTO closed FROM payables_settings FOR SHARE;
        IF TG_TABLE_NAME = 'supplier_bills' THEN
            dated := NEW.bill_date;
        ELSE
            dated := NEW.paid_on;
        END IF;
        NEW.posted_on := CASE WHEN closed IS NOT NULL AND dated <= closed THEN closed + 1 ELSE dated END;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER supplier_bills_posted_on BEFORE INSERT ON supplier_bills
    FOR EACH ROW EXECUTE FUNCTION payables_default_posted_on();
CREATE TRIGGER supplier_payments_posted_on BEFORE INSERT ON supplier_payments
    FOR EACH ROW EXECUTE FUNCTION payables_default_posted_on();

-- +goose Down
DROP TRIGGER supplier_payments_posted_on ON supplier_payments;
DROP TRIGGER supplier_bills_posted_on ON supplier_bills;
DROP FUNCTION payables_default_posted_on();
ALTER TABLE supplier_payments DROP COLUMN posted_on;
ALTER TABLE supplier_bills DROP COLUMN posted_on;
ALTER TABLE payables_settings DROP COLUMN closed_through;
