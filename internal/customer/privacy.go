package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/loyalty"
	"atrium/internal/postgres"
)

// DataExport is everything Atrium holds about a customer, for a data access request.
type DataExport struct {
	ExportedAt    time.Time       `json:"exportedAt"`
	Profile       Member          `json:"profile"`
	Identities    []Identity      `json:"identities"`
	Consents      []Consent       `json:"consents"`
	Orders        []ExportOrder   `json:"orders"`
	Points        loyalty.Summary `json:"points"`
	PointsEntries []loyalty.Entry `json:"pointsEntries"`
	StoreCredit   []ExportCredit  `json:"storeCredit"`
	Merges        []ExportMerge   `json:"merges"`
}

// ExportOrder is an order as exported, with its lines and delivery addresses.
type ExportOrder struct {
	ID            int64             `db:"id" json:"id"`
	Number        string            `db:"number" json:"number"`
	Channel       string            `db:"channel" json:"channel"`
	Status        string            `db:"status" json:"status"`
	PaymentStatus string            `db:"payment_status" json:"paymentStatus"`
	Currency      string            `db:"currency" json:"currency"`
	Total         int64             `db:"total" json:"total"`
	Email         *string           `db:"email" json:"email,omitempty"`
	Phone         *string           `db:"phone" json:"phone,omitempty"`
	CreatedAt     time.Time         `db:"created_at" json:"createdAt"`
	LinesJSON     []byte            `db:"lines" json:"-"`
	AddressesJSON []byte            `db:"addresses" json:"-"`
	Lines         []json.RawMessage `db:"-" json:"lines"`
	Addresses     []json.RawMessage `db:"-" json:"shipAddresses,omitempty"`
}

// ExportCredit is a store credit entry as exported.
type ExportCredit struct {
	Kind      string    `db:"kind" json:"kind"`
	Amount    int64     `db:"amount" json:"amount"`
	Currency  string    `db:"currency" json:"currency"`
	OrderID   *int64    `db:"order_id" json:"orderId,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"createdAt"`
}

// ExportMerge is a merge the customer took part in.
type ExportMerge struct {
	SurvivorID int64      `db:"survivor_id" json:"survivorId"`
	MergedID   int64      `db:"merged_id" json:"mergedId"`
	CreatedAt  time.Time  `db:"created_at" json:"mergedAt"`
	UnmergedAt *time.Time `db:"unmerged_at" json:"unmergedAt,omitempty"`
}

// privacyRoles handle data requests for customers: managers (admins pass every check).
var privacyRoles = []actor.Role{actor.Manager}

// Export returns everything held about a customer: the customer themself, or a manager
// handling their request (audited). Errors: apperr.NotFound, apperr.Forbidden.
func (m *Members) Export(ctx context.Context, customerID int64) (DataExport, error) {
	a := actor.From(ctx)
	if a.Kind != actor.Customer || a.ID != customerID {
		if _, err := actor.RequireStaff(ctx, privacyRoles...); err != nil {
			return DataExport{}, err
		}
	}
	var out DataExport
	err := postgres.InTx(ctx, m.db, func(tx *sqlx.Tx) error {
		var err error
		if out, err = exportData(ctx, tx, customerID); err != nil {
			return err
		}
		if a.Kind == actor.Customer {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.data_exported", Entity: "customer", EntityID: customerID})
	})
	return out, err
}

// ExportJSON is Export as indented JSON, for download.
func (m *Members) ExportJSON(ctx context.Context, customerID int64) ([]byte, error) {
	d, err := m.Export(ctx, customerID)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(d, "", "  ")
}

func exportData(ctx context.Context, q sqlx.QueryerContext, id int64) (DataExport, error) {
	out := DataExport{ExportedAt: time.Now().UTC()}
	var err error
	if out.Profile, err = memberByID(ctx, q, id); err != nil {
		return out, err
	}
	if out.Identities, err = identitiesOf(ctx, q, id); err != nil {
		return out, err
	}
	if out.Consents, err = consentsOf(ctx, q, id, true); err != nil {
		return out, err
	}
	if err := sqlx.SelectContext(ctx, q, &out.Orders, `SELECT o.id, o.number, o.channel, o.status, o.payment_status, o.currency,
			o.total, o.email, o.phone, o.created_at,
			(SELECT coalesce(json_agg(json_build_object('sku', l.sku, 'title', l.title, 'quantity', l.quantity, 'total', l.total)
				ORDER BY l.line_no), '[]') FROM order_lines l WHERE l.order_id = o.id)::text AS lines,
			(SELECT coalesce(json_agg(f.ship_address ORDER BY f.id), '[]') FROM fulfilments f
				WHERE f.order_id = o.id AND f.ship_address IS NOT NULL)::text AS addresses
		FROM orders o WHERE o.customer_id = $1 ORDER BY o.id`, id); err != nil {
		return out, fmt.Errorf("export orders: %w", err)
	}
	for i := range out.Orders {
		o := &out.Orders[i]
		if err := json.Unmarshal(o.LinesJSON, &o.Lines); err != nil {
			return out, err
		}
		if err := json.Unmarshal(o.AddressesJSON, &o.Addresses); err != nil {
			return out, err
		}
	}
	if out.Points, err = loyalty.SummaryOf(ctx, q, id); err != nil {
		return out, err
	}
	if out.PointsEntries, err = loyalty.EntriesOf(ctx, q, id, 100000); err != nil {
		return out, err
	}
	if err := sqlx.SelectContext(ctx, q, &out.StoreCredit, `SELECT kind, amount, currency, order_id, created_at
		FROM store_credit_entries WHERE customer_id = $1 ORDER BY id`, id); err != nil {
		return out, fmt.Errorf("export store credit: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &out.Merges, `SELECT survivor_id, merged_id, created_at, unmerged_at
		FROM customer_merges WHERE survivor_id = $1 OR merged_id = $1 ORDER BY id`, id); err != nil {
		return out, fmt.Errorf("export merges: %w", err)
	}
	return out, nil
}

// ErasedEmail is the contact an erased customer's orders keep: it satisfies the orders'
// email check, is unique to the customer (so their orders can still be told apart) and can
// never be delivered (.invalid is reserved, RFC 2606).
func ErasedEmail(customerID int64) string {
	return fmt.Sprintf("erased-%d@erased.invalid", customerID)
}

// Erase anonymises a customer on request, keeping orders, payments, refunds, points and
// store credit intact for the accounts: the name, email, phone, password and every
// identity go; the orders' contact email becomes ErasedEmail and their phone is cleared;
// delivery addresses keep only city, region and country; pending messages to them are
// cancelled and sent ones lose their recipient and text; product views and account-link
// codes are deleted and feedback keeps its rating without comments; marketing consents are recorded
// as withdrawn (BACK_OFFICE) while the consent history stays as proof; sessions end.
// Managers only, with a reason, audited. A merged customer's data lives on the survivor:
// erase that one. Errors: apperr.Invalid (reason, MERGED, ERASED), apperr.NotFound,
// apperr.Forbidden.
func (m *Members) Erase(ctx context.Context, customerID int64, reason string) error {
	if _, err := actor.RequireStaff(ctx, privacyRoles...); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.Invalid("reason", "say whose request this is (e.g. the ticket or letter reference)")
	}
	return postgres.InTx(ctx, m.db, func(tx *sqlx.Tx) error {
		if err := activeCustomer(ctx, tx, customerID, "customerId"); err != nil {
			return err
		}
		var contacts []string
		if err := tx.SelectContext(ctx, &contacts, `SELECT value FROM customer_identities WHERE customer_id = $1 AND kind IN ('EMAIL', 'PHONE')`,
			customerID); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		placeholder := ErasedEmail(customerID)
		steps := []struct {
			what  string
			query string
			args  []any
		}{
			{"customer", `UPDATE customers SET name = '', email = NULL, phone = NULL, password_hash = NULL, erased_at = now(),
				updated_at = now() WHERE id = $1`, []any{customerID}},
			{"identities", `DELETE FROM customer_identities WHERE customer_id = $1`, []any{customerID}},
			{"orders", `UPDATE orders SET email = CASE WHEN email IS NULL THEN NULL ELSE $2 END, phone = NULL, updated_at = now()
				WHERE customer_id = $1`, []any{customerID, placeholder}},
			{"addresses", `UPDATE fulfilments f SET ship_address = jsonb_build_object('name', '', 'line1', '', 'postalCode', '',
					'city', coalesce(f.ship_address->>'city', ''), 'region', coalesce(f.ship_address->>'region', ''),
					'country', coalesce(f.ship_address->>'country', '')), updated_at = now()
				FROM orders o WHERE o.id = f.order_id AND o.customer_id = $1 AND f.ship_address IS NOT NULL`, []any{customerID}},
			{"coupon uses", `UPDATE coupon_redemptions SET email = CASE WHEN email IS NULL THEN NULL ELSE $2 END WHERE customer_id = $1`,
				[]any{customerID, placeholder}},
			{"pending messages", `UPDATE notifications SET status = 'FAILED', last_error = 'recipient erased on request',
				recipient = $2, subject = '', body = '' WHERE recipient = ANY($1) AND status = 'PENDING'`, []any{pq.Array(contacts), placeholder}},
			{"sent messages", `UPDATE notifications SET recipient = $2, subject = '', body = ''
				WHERE recipient = ANY($1) AND status <> 'PENDING'`, []any{pq.Array(contacts), placeholder}},
			{"login attempts", `DELETE FROM login_attempts WHERE kind = 'CUSTOMER' AND login = ANY($1)`, []any{pq.Array(contacts)}},
			{"product views", `DELETE FROM product_views WHERE customer_id = $1`, []any{customerID}},
			{"link challenges", `DELETE FROM customer_link_challenges WHERE customer_id = $1`, []any{customerID}},
			// The rating stays for the store's figures; the free text may name the person.
			{"feedback comments", `UPDATE order_feedback SET comment = '', resolution_note = '' WHERE customer_id = $1`, []any{customerID}},
			{"sessions", `UPDATE auth_tokens SET revoked_at = now() WHERE customer_id = $1 AND revoked_at IS NULL`, []any{customerID}},
		}
		for _, s := range steps {
			if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
				return fmt.Errorf("erase %s: %w", s.what, err)
			}
		}
		current, err := consentsOf(ctx, tx, customerID, false)
		if err != nil {
			return err
		}
		for _, c := range current {
			if c.Granted && c.Purpose != "TERMS" {
				if _, err := insertConsent(ctx, tx, customerID, ConsentChoice{Purpose: c.Purpose, Granted: false}, "BACK_OFFICE", nil,
					"withdrawn: personal data erased on request"); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.erased", Entity: "customer", EntityID: customerID, Reason: reason})
	})
}
