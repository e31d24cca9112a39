package purchasing_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/purchasing"
)

func TestOrderLines(t *testing.T) {
	f := newFixture(t)
	packed, sku := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, packed, "99.5", 6, 12)
	loose, looseSKU := f.variant(t, f.apparel)

	t.Run("cost filled from the supplier item, given cost kept, found by code", func(t *testing.T) {
		cost := decimal.RequireFromString("80")
		var barcode string
		must(t, f.db.Get(&barcode, `SELECT barcode FROM variants WHERE id = $1`, loose))
		o, err := f.svc.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["WH-TAO"],
			Lines: []purchasing.LineInput{{Code: "S-" + itoa(packed), Quantity: 18}, {Code: barcode, Quantity: 5, UnitCost: &cost}}})
		must(t, err)
		if o.Status != purchasing.Draft || len(o.Lines) != 2 {
			t.Fatalf("got %+v", o)
		}
		if l := o.Lines[0]; l.VariantID != packed || l.SKU != sku || !l.UnitCost.Equal(decimal.RequireFromString("99.5")) || l.SupplierSKU != "S-"+itoa(packed) {
			t.Errorf("line 1 = %+v", l)
		}
		if l := o.Lines[1]; l.VariantID != loose || !l.UnitCost.Equal(cost) {
			t.Errorf("line 2 = %+v", l)
		}
		// A line names the product with the variant's options.
		var title string
		must(t, f.db.Get(&title, `SELECT concat_ws(' · ', p.title, nullif(v.title, '')) FROM variants v
			JOIN products p ON p.id = v.product_id WHERE v.id = $1`, packed))
		if l := o.Lines[0]; l.Title != title || !strings.Contains(l.Title, " · ") {
			t.Errorf("line 1 title %q, want %q", l.Title, title)
		}
		// 18 × 99.5 + 5 × 80 = 2,191 TWD.
		if o.Total() != 219100 {
			t.Errorf("total = %d, want 219100", o.Total())
		}
		// No date given: today plus the supplier's 10-day lead time.
		if o.ExpectedOn == nil || !o.ExpectedOn.Equal(*date(10)) {
			t.Errorf("expected on %v, want %v", o.ExpectedOn, date(10))
		}
	})

	bad := []struct {
		name  string
		lines []purchasing.LineInput
		code  string
		field string
		hint  string
	}{
		{"not a whole number of packs", []purchasing.LineInput{line(packed, 14)}, "PACK_SIZE", "lines.0.quantity", "order 12 or 18"},
		{"below the minimum quantity", []purchasing.LineInput{line(packed, 6)}, "MINIMUM_ORDER_QUANTITY", "lines.0.quantity", "order 12 or more"},
		{"not on the price list and no cost", []purchasing.LineInput{line(loose, 5)}, "INVALID", "lines.0.unitCost", looseSKU + " is not on Formosa Garments's price list"},
		{"unknown code", []purchasing.LineInput{{Code: "NOPE", Quantity: 1}}, "INVALID", "lines.0.variantId", `"NOPE"`},
		{"same variant twice", []purchasing.LineInput{line(packed, 12), line(packed, 12)}, "DUPLICATE", "lines.1.variantId", "change that line"},
		{"no quantity", []purchasing.LineInput{line(packed, 0)}, "INVALID", "lines.0.quantity", "how many units"},
		{"no lines", nil, "INVALID", "lines", "at least one"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["WH-TAO"], Lines: tt.lines})
			e := wantErr(t, err, tt.code, tt.field)
			if !strings.Contains(e.Message, tt.hint) {
				t.Errorf("message %q does not say %q", e.Message, tt.hint)
			}
		})
	}

	t.Run("expected date in the past", func(t *testing.T) {
		_, err := f.svc.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["WH-TAO"],
			ExpectedOn: date(-1), Lines: []purchasing.LineInput{line(packed, 12)}})
		wantErr(t, err, "INVALID", "expectedOn")
	})

	t.Run("minimum order value checked on submit", func(t *testing.T) {
		sup, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-MIN", Name: "Big Mill", Currency: "TWD",
			PaymentTerms: purchasing.PaymentTerms{Days: 30}, MinOrderAmount: 1000000, Active: true})
		must(t, err)
		f.item(t, sup.ID, packed, "100", 1, 1)
		o, err := f.svc.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: sup.ID, LocationID: f.loc["WH-TAO"],
			Lines: []purchasing.LineInput{line(packed, 10)}})
		must(t, err)
		_, err = f.svc.Submit(f.as("buyer"), o.ID, "")
		e := wantErr(t, err, "MINIMUM_ORDER_VALUE", "total")
		if !strings.Contains(e.Message, "NT$1,000") || !strings.Contains(e.Message, "NT$10,000") {
			t.Errorf("message %q does not give the total and the minimum", e.Message)
		}
	})
}

func TestApprovalLevels(t *testing.T) {
	f := newFixture(t)
	v, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, v, "100", 1, 1)

	t.Run("up to NT$5,000 one approver, not the author", func(t *testing.T) {
		o := f.draft(t, "WH-TAO", line(v, 50)) // NT$5,000
		o, err := f.svc.Submit(f.as("buyer"), o.ID, "restock")
		must(t, err)
		d, err := f.svc.Order(f.as("buyer"), o.ID)
		must(t, err)
		if len(d.Approvals) != 1 || d.CompanyTotal == nil || *d.CompanyTotal != 500000 {
			t.Fatalf("approvals %+v, company total %v", d.Approvals, d.CompanyTotal)
		}
		_, err = f.svc.Approve(f.as("buyer"), o.ID, "")
		wantErr(t, err, purchasing.ReasonOwnOrder, "")
		_, err = f.svc.Approve(f.as("associate"), o.ID, "")
		wantErr(t, err, "FORBIDDEN", "")
		o, err = f.svc.Approve(f.as("manager"), o.ID, "fine")
		must(t, err)
		if o.Status != purchasing.Approved || o.ApprovedAt == nil {
			t.Errorf("status %s, want APPROVED", o.Status)
		}
	})

	t.Run("above NT$5,000 a second approver, another person", func(t *testing.T) {
		o := f.draft(t, "WH-TAO", line(v, 51)) // NT$5,100
		_, err := f.svc.Submit(f.as("buyer"), o.ID, "")
		must(t, err)
		o, err = f.svc.Approve(f.as("manager"), o.ID, "level 1")
		must(t, err)
		if o.Status != purchasing.Submitted {
			t.Fatalf("status %s after one of two levels, want SUBMITTED", o.Status)
		}
		_, err = f.svc.Approve(f.as("manager"), o.ID, "")
		wantErr(t, err, purchasing.ReasonAlreadyApproved, "")
		// A second buyer may give level 1 but not level 2 (managers only).
		f.addStaff(t, "buyer2", "", actor.Buyer)
		_, err = f.svc.Approve(f.as("buyer2"), o.ID, "")
		e := wantErr(t, err, "FORBIDDEN", "")
		if !strings.Contains(e.Message, "level 2") || !strings.Contains(e.Message, "MANAGER") {
			t.Errorf("message %q does not name the level and its roles", e.Message)
		}
		o, err = f.svc.Approve(f.as("shufen.hsu"), o.ID, "level 2")
		must(t, err)
		if o.Status != purchasing.Approved {
			t.Fatalf("status %s, want APPROVED", o.Status)
		}
		d, err := f.svc.Order(f.as("buyer"), o.ID)
		must(t, err)
		var who []string
		for _, a := range d.Approvals {
			who = append(who, *a.ApprovedByName)
		}
		if !slices.Equal(who, []string{"Grace Lin", "Shu-Fen Hsu"}) {
			t.Errorf("approved by %v", who)
		}
		var actions []string
		for _, e := range d.History {
			actions = append(actions, e.Action+":"+string(e.ToStatus)+":"+e.ActorName)
		}
		want := []string{"CREATE:DRAFT:buyer", "SUBMIT:SUBMITTED:buyer", "APPROVE_LEVEL:SUBMITTED:manager", "APPROVE:APPROVED:shufen.hsu"}
		if !slices.Equal(actions, want) {
			t.Errorf("history %v, want %v", actions, want)
		}
		var audits int
		must(t, f.db.Get(&audits, `SELECT count(*) FROM audit_log WHERE entity = 'purchase_order' AND entity_id = $1`, o.ID))
		if audits != 4 {
			t.Errorf("%d audit records, want 4", audits)
		}
	})

	t.Run("inbox shows what waits for me", func(t *testing.T) {
		o := f.draft(t, "WH-TAO", line(v, 60))
		_, err := f.svc.Submit(f.as("buyer"), o.ID, "")
		must(t, err)
		in := func(login string) bool {
			t.Helper()
			os, err := f.svc.Inbox(f.as(login))
			must(t, err)
			return slices.ContainsFunc(os, func(x purchasing.Order) bool { return x.ID == o.ID })
		}
		if !in("manager") || !in("shufen.hsu") || in("buyer") || in("associate") {
			t.Errorf("level 1 inbox: manager %v, shufen %v, buyer (author) %v, associate %v",
				in("manager"), in("shufen.hsu"), in("buyer"), in("associate"))
		}
		_, err = f.svc.Approve(f.as("manager"), o.ID, "")
		must(t, err)
		if in("manager") || !in("shufen.hsu") || !in("admin") {
			t.Errorf("level 2 inbox: manager (gave level 1) %v, shufen %v, admin %v", in("manager"), in("shufen.hsu"), in("admin"))
		}
	})

	t.Run("amounts compared in the company currency", func(t *testing.T) {
		usd, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-USD", Name: "Pacific Knits",
			Currency: "USD", PaymentTerms: purchasing.PaymentTerms{Days: 60}, Active: true})
		must(t, err)
		f.item(t, usd.ID, v, "2.5", 1, 1)
		o, err := f.svc.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: usd.ID, LocationID: f.loc["WH-TAO"],
			Lines: []purchasing.LineInput{line(v, 80)}}) // USD 200
		must(t, err)
		_, err = f.svc.Submit(f.as("buyer"), o.ID, "")
		e := wantErr(t, err, purchasing.ReasonNoExchangeRate, "currency")
		if !strings.Contains(e.Message, "USD") {
			t.Errorf("message %q does not name the currency", e.Message)
		}
		_, err = f.svc.SetExchangeRate(f.as("buyer"), "USD", decimal.NewFromInt(32))
		wantErr(t, err, "FORBIDDEN", "")
		_, err = f.svc.SetExchangeRate(f.as("accountant"), "usd", decimal.RequireFromString("32.1"))
		must(t, err)
		_, err = f.svc.Submit(f.as("buyer"), o.ID, "")
		must(t, err)
		d, err := f.svc.Order(f.as("buyer"), o.ID)
		must(t, err)
		// USD 200 × 32.1 = NT$6,420: above NT$5,000, so two levels.
		if d.CompanyTotal == nil || *d.CompanyTotal != 642000 || len(d.Approvals) != 2 {
			t.Errorf("company total %v, %d levels; want 642000 and 2", d.CompanyTotal, len(d.Approvals))
		}
		// The rate is recorded on the order: a later change does not move it.
		_, err = f.svc.SetExchangeRate(f.as("accountant"), "USD", decimal.NewFromInt(10))
		must(t, err)
		d, err = f.svc.Order(f.as("buyer"), o.ID)
		must(t, err)
		if *d.CompanyTotal != 642000 {
			t.Errorf("company total %d after a rate change, want 642000", *d.CompanyTotal)
		}
	})

	t.Run("a category rule adds a level", func(t *testing.T) {
		var food int64
		must(t, f.db.Get(&food, `SELECT id FROM categories WHERE handle = 'food'`))
		_, err := f.svc.SaveApprovalRule(f.as("manager"), 0, purchasing.ApprovalRuleInput{Level: 2, CategoryID: &food,
			Roles: []actor.Role{actor.Manager}, Active: true})
		wantErr(t, err, "FORBIDDEN", "")
		_, err = f.svc.SaveApprovalRule(f.as("admin"), 0, purchasing.ApprovalRuleInput{Level: 2, CategoryID: &food,
			Roles: []actor.Role{actor.Manager}, Note: "food safety: a manager signs every food order", Active: true})
		must(t, err)
		cake, _ := f.variant(t, f.snack) // snacks-gifts, a sub-category of food
		f.item(t, f.supplier.ID, cake, "10", 1, 1)
		small := f.draft(t, "WH-TAO", line(cake, 10)) // NT$100
		_, err = f.svc.Submit(f.as("buyer"), small.ID, "")
		must(t, err)
		tee := f.draft(t, "WH-TAO", line(v, 10))
		_, err = f.svc.Submit(f.as("buyer"), tee.ID, "")
		must(t, err)
		for _, c := range []struct {
			id     int64
			levels int
		}{{small.ID, 2}, {tee.ID, 1}} {
			d, err := f.svc.Order(f.as("buyer"), c.id)
			must(t, err)
			if len(d.Approvals) != c.levels {
				t.Errorf("order %d needs %d levels, want %d", c.id, len(d.Approvals), c.levels)
			}
		}
	})
}

func TestRejectionLoop(t *testing.T) {
	f := newFixture(t)
	v, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, v, "100", 1, 1)
	o := f.draft(t, "TPE-01", line(v, 60))
	_, err := f.svc.Submit(f.as("buyer"), o.ID, "")
	must(t, err)
	_, err = f.svc.Approve(f.as("manager"), o.ID, "level 1 ok")
	must(t, err)

	_, err = f.svc.Reject(f.as("shufen.hsu"), o.ID, " ")
	wantErr(t, err, "INVALID", "reason")
	_, err = f.svc.Reject(f.as("buyer"), o.ID, "no")
	wantErr(t, err, purchasing.ReasonOwnOrder, "")
	o, err = f.svc.Reject(f.as("shufen.hsu"), o.ID, "60 is too many for TPE-01: order 40")
	must(t, err)
	if o.Status != purchasing.Rejected || o.RejectionReason != "60 is too many for TPE-01: order 40" {
		t.Fatalf("status %s, reason %q", o.Status, o.RejectionReason)
	}
	mail := f.messages(t, o.ID, "PURCHASE_ORDER_REJECTED")
	if len(mail) != 1 || mail[0].To != "vivian.tsai@atrium.example.com" || !strings.Contains(mail[0].Body, "order 40") {
		t.Errorf("rejection mail %+v", mail)
	}

	t.Run("only the author edits", func(t *testing.T) {
		f.addStaff(t, "buyer2", "", actor.Buyer)
		_, err := f.svc.UpdateOrder(f.as("buyer2"), o.ID, purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["TPE-01"],
			Lines: []purchasing.LineInput{line(v, 40)}})
		wantErr(t, err, "FORBIDDEN", "")
	})

	o, err = f.svc.UpdateOrder(f.as("buyer"), o.ID, purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["TPE-01"],
		Lines: []purchasing.LineInput{line(v, 40)}})
	must(t, err)
	o, err = f.svc.Submit(f.as("buyer"), o.ID, "reduced to 40")
	must(t, err)
	if o.ApprovalRound != 2 || o.RejectionReason != "" {
		t.Errorf("round %d, reason %q after resubmission", o.ApprovalRound, o.RejectionReason)
	}
	// NT$4,000 now: one level, and round 1's approval does not count.
	d, err := f.svc.Order(f.as("buyer"), o.ID)
	must(t, err)
	if len(d.Approvals) != 1 || d.Approvals[0].ApprovedBy != nil {
		t.Fatalf("round 2 approvals %+v", d.Approvals)
	}
	o, err = f.svc.Approve(f.as("manager"), o.ID, "")
	must(t, err)
	if o.Status != purchasing.Approved {
		t.Errorf("status %s, want APPROVED", o.Status)
	}
	if got := f.level(t, "TPE-01", v).Incoming; got != 40 {
		t.Errorf("incoming %d, want 40", got)
	}
}

func TestIllegalTransitions(t *testing.T) {
	f := newFixture(t)
	v, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, v, "100", 1, 1)
	draft := f.draft(t, "WH-TAO", line(v, 10))
	approved := f.approved(t, "WH-TAO", line(v, 10))
	tests := []struct {
		name string
		do   func() error
		hint string
	}{
		{"send a draft", func() error { _, err := f.svc.Send(f.as("buyer"), draft.ID, purchasing.SendInput{}); return err },
			"is DRAFT: it can be sent only while APPROVED"},
		{"approve a draft", func() error { _, err := f.svc.Approve(f.as("manager"), draft.ID, ""); return err },
			"is DRAFT: it can be approved or rejected only while SUBMITTED"},
		{"approve twice", func() error { _, err := f.svc.Approve(f.as("admin"), approved.ID, ""); return err },
			"is APPROVED: it can be approved or rejected only while SUBMITTED"},
		{"edit an approved order", func() error {
			_, err := f.svc.UpdateOrder(f.as("buyer"), approved.ID, purchasing.OrderInput{SupplierID: f.supplier.ID,
				LocationID: f.loc["WH-TAO"], Lines: []purchasing.LineInput{line(v, 1)}})
			return err
		}, "is APPROVED: it can be edited only while DRAFT or REJECTED"},
		{"close an approved order", func() error { _, err := f.svc.Close(f.as("buyer"), approved.ID, "x"); return err },
			"is APPROVED: it can be closed only while RECEIVED or PARTIALLY_RECEIVED"},
		{"receive a draft", func() error {
			_, err := f.svc.Receive(f.as("fulfilment"), purchasing.ReceiptInput{IdempotencyKey: "k-draft", OrderID: draft.ID,
				Lines: []purchasing.ReceiptLineInput{{VariantID: v, Accepted: 1}}})
			return err
		}, "is DRAFT: it can be received only while SENT or PARTIALLY_RECEIVED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := wantErr(t, tt.do(), purchasing.ReasonStatus, "")
			if !strings.Contains(e.Message, tt.hint) {
				t.Errorf("message %q does not say %q", e.Message, tt.hint)
			}
		})
	}

	t.Run("cancel an approved order releases incoming", func(t *testing.T) {
		if got := f.level(t, "WH-TAO", v).Incoming; got != 10 {
			t.Fatalf("incoming %d before cancelling, want 10", got)
		}
		_, err := f.svc.Cancel(f.as("buyer"), approved.ID, "")
		wantErr(t, err, "INVALID", "reason")
		o, err := f.svc.Cancel(f.as("buyer"), approved.ID, "supplier out of stock")
		must(t, err)
		if o.Status != purchasing.Cancelled {
			t.Errorf("status %s", o.Status)
		}
		if got := f.level(t, "WH-TAO", v).Incoming; got != 0 {
			t.Errorf("incoming %d after cancelling, want 0", got)
		}
		checkLedger(t, f.db)
	})
}

func TestOrderList(t *testing.T) {
	f := newFixture(t)
	v, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, v, "100", 1, 1)
	draft := f.draft(t, "WH-TAO", line(v, 1))
	approved := f.approved(t, "TPE-01", line(v, 2))
	big := f.approved(t, "WH-TAO", line(v, 60)) // two levels: manager and shufen.hsu
	ids := func(f purchasing.OrderFilter, fx *fixture) []int64 {
		t.Helper()
		p, err := fx.svc.Orders(fx.as("accountant"), f)
		must(t, err)
		var out []int64
		for _, o := range p.Orders {
			out = append(out, o.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		filter purchasing.OrderFilter
		want   []int64
	}{
		{"all, newest first", purchasing.OrderFilter{}, []int64{big.ID, approved.ID, draft.ID}},
		{"by status", purchasing.OrderFilter{Statuses: []purchasing.Status{purchasing.Draft}}, []int64{draft.ID}},
		{"by location", purchasing.OrderFilter{LocationID: f.loc["TPE-01"]}, []int64{approved.ID}},
		{"by approver", purchasing.OrderFilter{ApproverID: f.staff["shufen.hsu"].ID}, []int64{big.ID}},
		{"by author", purchasing.OrderFilter{AuthorID: f.staff["manager"].ID}, nil},
		{"created today", purchasing.OrderFilter{CreatedFrom: date(0), CreatedTo: date(0)}, []int64{big.ID, approved.ID, draft.ID}},
		{"created tomorrow", purchasing.OrderFilter{CreatedFrom: date(1)}, nil},
		{"second page", purchasing.OrderFilter{First: 2, After: approved.ID}, []int64{draft.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(tt.filter, f); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("bad page size", func(t *testing.T) {
		_, err := f.svc.Orders(f.as("buyer"), purchasing.OrderFilter{First: 500})
		wantErr(t, err, "INVALID", "first")
	})
	t.Run("not for HR", func(t *testing.T) {
		_, err := f.svc.Orders(f.as("hr"), purchasing.OrderFilter{})
		wantErr(t, err, "FORBIDDEN", "")
	})
}

func TestPreviewOrder(t *testing.T) {
	f := newFixture(t)
	packed, sku := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, packed, "99.5", 6, 12)
	loose, _ := f.variant(t, f.apparel)
	var barcode string
	must(t, f.db.Get(&barcode, `SELECT barcode FROM variants WHERE id = $1`, packed))
	cost := decimal.RequireFromString("80")

	p, err := f.svc.PreviewOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["WH-TAO"],
		Lines: []purchasing.LineInput{{Code: barcode, Quantity: 48}, {VariantID: loose, Quantity: 3, UnitCost: &cost}, {Code: "NOPE", Quantity: 1}}})
	must(t, err)
	if l := p.Lines[0]; l.SKU != sku || !l.OnPriceList || l.PackSize != 6 || l.MinOrderQty != 12 || l.Total != 477600 {
		t.Errorf("line 1 %+v", l)
	}
	if l := p.Lines[1]; l.OnPriceList || l.PackSize != 1 || l.Total != 24000 {
		t.Errorf("line 2 %+v", l)
	}
	if p.Lines[2].VariantID != 0 || len(p.Errors) != 1 || strings.Join(p.Errors[0].Field, ".") != "lines.2.variantId" {
		t.Errorf("line 3 %+v, errors %v", p.Lines[2], p.Errors)
	}
	// NT$4,776 + NT$240 = NT$5,016: above NT$5,000, so two levels.
	if p.Total != 501600 || p.CompanyTotal == nil || *p.CompanyTotal != 501600 || len(p.Levels) != 2 || p.BelowMinimum {
		t.Errorf("total %d, company %v, levels %+v, below minimum %v", p.Total, p.CompanyTotal, p.Levels, p.BelowMinimum)
	}

	t.Run("a pack-size mistake is shown, the rest still priced", func(t *testing.T) {
		p, err := f.svc.PreviewOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID,
			Lines: []purchasing.LineInput{{VariantID: packed, Quantity: 13}}})
		must(t, err)
		if len(p.Errors) != 1 || p.Errors[0].ClientCode() != purchasing.ReasonPackSize || p.Total != minorTotal(13, "99.5") || len(p.Levels) != 1 {
			t.Errorf("preview %+v", p)
		}
	})
	t.Run("nothing is saved", func(t *testing.T) {
		var n int
		must(t, f.db.Get(&n, `SELECT count(*) FROM purchase_orders`))
		if n != 0 {
			t.Errorf("%d orders saved by previews", n)
		}
	})
}

// minorTotal is qty × cost in TWD minor units.
func minorTotal(qty int64, cost string) int64 {
	return decimal.NewFromInt(qty).Mul(decimal.RequireFromString(cost)).Shift(2).IntPart()
}

func TestCreateOrderIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	f.db.SetMaxOpenConns(10)
	tee, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 1, 1)
	count := func() int {
		t.Helper()
		var n int
		must(t, f.db.Get(&n, `SELECT count(*) FROM purchase_orders WHERE supplier_id = $1`, f.supplier.ID))
		return n
	}
	in := purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["WH-TAO"], Lines: []purchasing.LineInput{line(tee, 5)},
		IdempotencyKey: "editor-key-1"}

	var first purchasing.Order
	t.Run("a retry returns the first order", func(t *testing.T) {
		var err error
		first, err = f.svc.CreateOrder(f.as("buyer"), in)
		must(t, err)
		again, err := f.svc.CreateOrder(f.as("buyer"), in)
		must(t, err)
		if again.ID != first.ID || count() != 1 {
			t.Errorf("retry made order %d (first %d), %d orders", again.ID, first.ID, count())
		}
	})
	t.Run("the key cannot name an order elsewhere", func(t *testing.T) {
		other := in
		other.LocationID = f.loc["TPE-01"]
		_, err := f.svc.CreateOrder(f.as("buyer"), other)
		if e, ok := apperr.As(err); !ok || e.Reason != purchasing.ReasonKeyReused {
			t.Errorf("err %v, want %s", err, purchasing.ReasonKeyReused)
		}
	})
	t.Run("without a key every call makes an order", func(t *testing.T) {
		plain := in
		plain.IdempotencyKey = ""
		before := count()
		for range 2 {
			_, err := f.svc.CreateOrder(f.as("buyer"), plain)
			must(t, err)
		}
		if count() != before+2 {
			t.Errorf("%d orders made, want 2", count()-before)
		}
	})
	t.Run("a double submit at the same time makes one order", func(t *testing.T) {
		race := in
		race.IdempotencyKey = "double-click"
		before := count()
		ids := make([]int64, 5)
		errs := make([]error, 5)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				o, err := f.svc.CreateOrder(f.as("buyer"), race)
				ids[i], errs[i] = o.ID, err
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Errorf("call %d: order %d, err %v (first %d)", i, ids[i], errs[i], ids[0])
			}
		}
		if count() != before+1 {
			t.Errorf("%d orders made, want 1", count()-before)
		}
	})
}
