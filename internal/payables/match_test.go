package payables_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"atrium/internal/payables"
)

func TestRematchOnReceipts(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 10))
	b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v), 10, "100")))
	must(t, err)
	if b.Status != payables.Exception {
		t.Fatalf("before receipt: %s", b.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.svc.RematchOnReceipts(ctx, f.dsn, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(300 * time.Millisecond) // let LISTEN start before the receipt commits
	f.receive(t, o, v, 10)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err = f.svc.Bill(f.as("accountant"), b.ID)
		must(t, err)
		if b.Status == payables.Matched {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bill still %s %v after the receipt", b.Status, b.Exceptions)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
