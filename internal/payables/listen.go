package payables

import (
	"context"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/postgres"
	"atrium/internal/purchasing"
)

// RematchOnReceipts matches open bills again whenever goods are received (purchasing's
// GOODS_RECEIVED notices on the database at dsn, from any server), so a bill entered
// before its goods arrived clears NOT_RECEIVED by itself. After starting and after a lost
// connection it re-matches every open bill, as notices may have been missed. Several
// servers may run it: matching is idempotent and serialised by row locks. It runs until
// ctx ends, then returns nil. Errors: the LISTEN command failing.
func (s *Service) RematchOnReceipts(ctx context.Context, dsn string, log *slog.Logger) error {
	sys := actor.SystemContext(ctx)
	orders := make(chan int64, 256) // 0: every open bill
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-orders:
				var err error
				if id == 0 {
					err = s.rematchOpen(sys)
				} else {
					_, err = s.RematchOrder(sys, id)
				}
				if err != nil && ctx.Err() == nil {
					log.Error("payables: rematch after receipt", "order", id, "err", err)
				}
			}
		}
	}()
	err := postgres.Listen(ctx, dsn, purchasing.GoodsChannel, func(payload string, missed bool) {
		id := int64(0)
		if !missed {
			ev, ok := purchasing.ParseGoodsEvent(payload)
			if !ok || ev.Kind != purchasing.KindGoodsReceived {
				return
			}
			id = ev.OrderID
		}
		select {
		case orders <- id:
		default:
			// The worker is behind: a full re-match covers whatever this notice was about.
			select {
			case orders <- 0:
			default:
			}
		}
	})
	<-done
	return err
}

// rematchOpen matches every open bill again, oldest first, one transaction each.
func (s *Service) rematchOpen(ctx context.Context) error {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM supplier_bills WHERE kind = 'BILL' AND status = ANY($1)
		ORDER BY id`, pq.StringArray{string(Matched), string(Exception), string(CreditRequested)}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
			_, err := s.match(ctx, tx, id)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}
