package payables_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/payables"
)

// closedThrough is the last closed day of the period tests: the books are closed through
// five days ago, so four days ago is the first open day.
var (
	closedThrough = daysFromToday(-5)
	firstOpen     = daysFromToday(-4)
)

// journalsBetween returns the journals from..to and fails on an unbalanced entry.
func (f *fixture) journalsBetween(t *testing.T, from, to time.Time) []payables.JournalEntry {
	t.Helper()
	entries, err := f.svc.Journals(f.as("accountant"), from, to)
	must(t, err)
	for _, e := range entries {
		if !e.Balanced() {
			t.Errorf("entry %s %s does not balance: %+v", e.Source, e.Reference, e.Lines)
		}
		if e.Date.Before(from) || e.Date.After(to) {
			t.Errorf("entry %s %s posted %s, outside %s..%s", e.Source, e.Reference, e.Date.Format(time.DateOnly),
				from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
	}
	return entries
}

// entryOf finds the entry of source and id, nil when absent.
func entryOf(entries []payables.JournalEntry, source string, id int64) *payables.JournalEntry {
	for i, e := range entries {
		if e.Source == source && e.SourceID == id {
			return &entries[i]
		}
	}
	return nil
}

func sameDay(a, b time.Time) bool { return a.Format(time.DateOnly) == b.Format(time.DateOnly) }

func TestClosedPeriodPosting(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 30))
	f.receive(t, o, v, 30)
	line := lineOf(t, o, v)

	// Entered before the close: a bill in the period about to be closed.
	early, err := f.svc.EnterBill(f.as("accountant"), f.bill(10, bl(line, 10, "100")))
	must(t, err)
	_, err = f.svc.ApproveBill(f.as("accountant2"), early.ID)
	must(t, err)
	closedFrom := daysFromToday(-40)
	exported := f.journalsBetween(t, closedFrom, closedThrough)
	if entryOf(exported, "BILL", early.ID) == nil {
		t.Fatalf("bill %d dated %s missing from the period's journals %+v", early.ID, early.BillDate, exported)
	}

	st, err := f.svc.ClosePeriod(f.as("accountant"), closedThrough)
	must(t, err)
	if st.ClosedThrough == nil || !sameDay(*st.ClosedThrough, closedThrough) {
		t.Fatalf("closed through %v, want %s", st.ClosedThrough, closedThrough.Format(time.DateOnly))
	}

	t.Run("bill date to posting date", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			daysAgo    int
			wantPosted time.Time
		}{
			{"deep in the closed period", 20, firstOpen},
			{"last closed day", 5, firstOpen},
			{"first open day", 4, firstOpen},
			{"today", 0, daysFromToday(0)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := f.bill(tc.daysAgo, payables.BillLineInput{Description: "Freight", Quantity: 1, UnitPrice: decimal.NewFromInt(200)})
				b, err := f.svc.EnterBill(f.as("accountant"), in)
				must(t, err)
				if !sameDay(b.BillDate, in.BillDate) || !sameDay(b.PostedOn, tc.wantPosted) {
					t.Errorf("dated %s posted %s, want dated %s posted %s", b.BillDate.Format(time.DateOnly),
						b.PostedOn.Format(time.DateOnly), in.BillDate.Format(time.DateOnly), tc.wantPosted.Format(time.DateOnly))
				}
			})
		}
	})

	// A bill and a credit note dated in the closed period, a payment back-dated into it.
	late, err := f.svc.EnterBill(f.as("accountant"), f.bill(8, bl(line, 20, "100")))
	must(t, err)
	credit := f.bill(7, bl(line, 1, "100"))
	credit.CreditsBillID = late.ID
	cn, err := f.svc.EnterBill(f.as("accountant"), credit)
	must(t, err)
	_, err = f.svc.ApproveBill(f.as("accountant2"), late.ID)
	must(t, err)
	paid, err := f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: early.ID, Amount: 500_00,
		PaidOn: daysFromToday(-6), Reference: "cheque 1001"})
	must(t, err)
	// A run in the open period posts on its pay date.
	run, err := f.svc.RunPayments(f.as("accountant"), payables.PaymentRunInput{IdempotencyKey: "period-1",
		PayDate: daysFromToday(0), DueBy: daysFromToday(40)})
	must(t, err)

	for _, tc := range []struct {
		name           string
		dated, posted  time.Time
		source         string
		id             int64
		wantDated      time.Time
		wantPostedDate time.Time
	}{
		{"bill", late.BillDate, late.PostedOn, "BILL", late.ID, daysFromToday(-8), firstOpen},
		{"credit note", cn.BillDate, cn.PostedOn, "CREDIT_NOTE", cn.ID, daysFromToday(-7), firstOpen},
		{"back-dated payment", paid.PaidOn, paid.PostedOn, "PAYMENT", paid.ID, daysFromToday(-6), firstOpen},
	} {
		t.Run(tc.name+" posts on the first open day", func(t *testing.T) {
			if !sameDay(tc.dated, tc.wantDated) || !sameDay(tc.posted, tc.wantPostedDate) {
				t.Errorf("dated %s posted %s, want dated %s posted %s", tc.dated.Format(time.DateOnly), tc.posted.Format(time.DateOnly),
					tc.wantDated.Format(time.DateOnly), tc.wantPostedDate.Format(time.DateOnly))
			}
			open := f.journalsBetween(t, firstOpen, daysFromToday(0))
			e := entryOf(open, tc.source, tc.id)
			if e == nil {
				t.Fatalf("no %s %d in the open period's journals", tc.source, tc.id)
			}
			if !sameDay(e.Date, firstOpen) || !sameDay(e.DocumentDate, tc.wantDated) || !e.Moved() {
				t.Errorf("entry dated %s, document %s (moved %v)", e.Date.Format(time.DateOnly), e.DocumentDate.Format(time.DateOnly), e.Moved())
			}
			// The export gives the posting date first and the document's date last.
			for _, r := range payables.JournalCSVRecords([]payables.JournalEntry{*e}) {
				if r[0] != firstOpen.Format(time.DateOnly) || r[len(r)-1] != tc.wantDated.Format(time.DateOnly) {
					t.Errorf("csv record %q", r)
				}
			}
		})
	}

	t.Run("run in the open period unaffected", func(t *testing.T) {
		if len(run.Payments) == 0 {
			t.Fatal("the run paid nothing")
		}
		open := f.journalsBetween(t, firstOpen, daysFromToday(0))
		for _, p := range run.Payments {
			if !sameDay(p.PostedOn, p.PaidOn) || !sameDay(p.PaidOn, daysFromToday(0)) {
				t.Errorf("payment %d paid %s posted %s, want both today", p.ID, p.PaidOn.Format(time.DateOnly), p.PostedOn.Format(time.DateOnly))
			}
			if e := entryOf(open, "PAYMENT", p.ID); e == nil || e.Moved() {
				t.Errorf("payment %d entry %+v", p.ID, e)
			}
		}
	})

	t.Run("closed period's journals unchanged", func(t *testing.T) {
		again := f.journalsBetween(t, closedFrom, closedThrough)
		if !reflect.DeepEqual(again, exported) {
			t.Errorf("the closed period's journals changed:\nexported %+v\nnow      %+v", exported, again)
		}
	})

	t.Run("journals balance", func(t *testing.T) {
		var debit, credit int64
		for _, a := range payables.JournalTotals(f.journalsBetween(t, closedFrom, daysFromToday(0))) {
			debit += a.Debit
			credit += a.Credit
		}
		if debit != credit || debit == 0 {
			t.Errorf("debits %d, credits %d", debit, credit)
		}
	})

	t.Run("an insert without posting date gets the rule", func(t *testing.T) {
		// A data fix or bulk load that leaves posted_on out must not post into the closed
		// period either (the database fills it in).
		var posted time.Time
		must(t, f.db.Get(&posted, `INSERT INTO supplier_bills (supplier_id, number, bill_date, currency, subtotal, tax_amount,
			total, due_on, status) VALUES ($1, 'DIRECT-1', $2, 'TWD', 1000, 50, 1050, $2, 'APPROVED') RETURNING posted_on`,
			f.supplier.ID, daysFromToday(-9).Format(time.DateOnly)))
		if !sameDay(posted, firstOpen) {
			t.Errorf("posted %s, want %s", posted.Format(time.DateOnly), firstOpen.Format(time.DateOnly))
		}
	})

	t.Run("tolerances leave the close alone", func(t *testing.T) {
		cur, err := f.svc.Settings(f.as("manager"))
		must(t, err)
		cur.PriceTolerancePct = decimal.NewFromInt(3)
		cur.ClosedThrough = nil
		st, err := f.svc.SetSettings(f.as("manager"), cur)
		must(t, err)
		if st.ClosedThrough == nil || !sameDay(*st.ClosedThrough, closedThrough) {
			t.Errorf("closed through %v after changing tolerances, want %s", st.ClosedThrough, closedThrough.Format(time.DateOnly))
		}
	})
}

func TestClosePeriod(t *testing.T) {
	f := newFixture(t)
	audited := func(t *testing.T) int {
		t.Helper()
		var n int
		must(t, f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'payables.period_closed'`))
		return n
	}
	st, err := f.svc.Settings(f.as("accountant"))
	must(t, err)
	if st.ClosedThrough != nil {
		t.Fatalf("a new company has closed through %s", st.ClosedThrough)
	}

	for _, tc := range []struct {
		name      string
		login     string
		through   time.Time
		wantCode  string // "" for success
		wantAudit int
	}{
		{"buyer refused", "buyer", daysFromToday(-30), "FORBIDDEN", 0},
		{"associate refused", "associate", daysFromToday(-30), "FORBIDDEN", 0},
		{"no date", "accountant", time.Time{}, "INVALID", 0},
		{"future", "accountant", daysFromToday(1), "FUTURE_DATE", 0},
		{"accountant closes", "accountant", daysFromToday(-30), "", 1},
		{"same day again changes nothing", "accountant", daysFromToday(-30), "", 1},
		{"backward refused", "manager", daysFromToday(-31), "ALREADY_CLOSED", 1},
		{"manager closes through today", "manager", daysFromToday(0), "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := f.svc.ClosePeriod(f.as(tc.login), tc.through)
			if tc.wantCode != "" {
				field := "closedThrough"
				if tc.wantCode == "FORBIDDEN" {
					field = ""
				}
				e := wantErr(t, err, tc.wantCode, field)
				if tc.wantCode == "ALREADY_CLOSED" && !containsAll(e.Message, "forward", daysFromToday(-30).Format(time.DateOnly)) {
					t.Errorf("message %q does not say closing is forward only and since when", e.Message)
				}
			} else {
				must(t, err)
				if st.ClosedThrough == nil || !sameDay(*st.ClosedThrough, tc.through) {
					t.Errorf("closed through %v, want %s", st.ClosedThrough, tc.through.Format(time.DateOnly))
				}
			}
			if n := audited(t); n != tc.wantAudit {
				t.Errorf("%d period_closed audit rows, want %d", n, tc.wantAudit)
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
