package returns

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// returnHead is what locating a return's order and location needs.
type returnHead struct {
	OrderID    int64 `db:"order_id"`
	LocationID int64 `db:"location_id"`
}

func (s *Service) setDisposition(ctx context.Context, in DispositionInput) (Detail, error) {
	if _, err := authorize(ctx, 0, false); err != nil {
		return Detail{}, err
	}
	in.Disposition = Disposition(strings.ToUpper(strings.TrimSpace(string(in.Disposition))))
	in.Lot, in.Note = strings.TrimSpace(in.Lot), strings.TrimSpace(in.Note)
	var errs apperr.List
	if !slices.Contains(Dispositions, in.Disposition) {
		errs = append(errs, apperr.Invalid("disposition", "choose one of %v", Dispositions))
	}
	if len(in.Note) > 500 {
		errs = append(errs, apperr.Invalid("note", "at most 500 characters"))
	}
	if err := errs.Err(); err != nil {
		return Detail{}, err
	}
	var head struct {
		returnHead
		ReturnID int64 `db:"return_id"`
	}
	err := s.db.GetContext(ctx, &head, `SELECT r.order_id, r.location_id, r.id AS return_id
		FROM return_lines rl JOIN returns r ON r.id = rl.return_id WHERE rl.id = $1`, in.ReturnLineID)
	if err != nil {
		return Detail{}, postgres.NotFound(err, "no returned line with id %d", in.ReturnLineID)
	}
	if _, err := authorize(ctx, head.LocationID, false); err != nil {
		return Detail{}, err
	}
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := loadOrder(ctx, tx, head.OrderID, true); err != nil {
			return err
		}
		d, err := s.detailAs(ctx, tx, head.ReturnID)
		if err != nil {
			return err
		}
		if d.Status != Open {
			return wrongStatus(d.Return, "changed")
		}
		i := slices.IndexFunc(d.Lines, func(l Line) bool { return l.ID == in.ReturnLineID })
		l := d.Lines[i]
		if l.Disposition == in.Disposition {
			return nil
		}
		// The lot matters to restock; units taken out leave from the lot they came back into.
		lot := l.Lot
		if in.Disposition == Restock {
			if in.Lot != "" {
				lot = in.Lot
			}
			// The lot is settled as when the line was received.
			lines, err := loadLines(ctx, tx, head.OrderID)
			if err != nil {
				return err
			}
			j := slices.IndexFunc(lines, func(ol orderLine) bool { return ol.ID == l.OrderLineID })
			li := LineInput{Disposition: Restock, Lot: lot}
			if e := checkLot(ctx, tx, &li, lines[j], "lot"); e != nil {
				return apperr.List{e}
			}
			lot = li.Lot
		}
		stock := []inventory.Line{{LocationID: d.LocationID, VariantID: l.VariantID, Qty: l.Quantity, Lot: lot}}
		ref := stockRef(d.ID)
		switch {
		case in.Disposition == Restock:
			err = s.dep.Stock.Restock(ctx, tx, ref, stock)
		case l.Disposition == Restock && in.Disposition == Damaged:
			err = s.dep.Stock.TakeOut(ctx, tx, inventory.KindDamage, ref,
				fmt.Sprintf("returned %s found damaged (return %s)", l.SKU, d.Number), stock)
		case l.Disposition == Restock && in.Disposition == ToInspect:
			err = s.dep.Stock.TakeOut(ctx, tx, inventory.KindAdjustment, ref,
				fmt.Sprintf("returned %s held for inspection (return %s)", l.SKU, d.Number), stock)
		}
		if e, ok := apperr.Errors(err); ok && l.Disposition == Restock {
			return apperr.List{apperr.Invalid("disposition", "the %d restocked unit(s) of %s cannot be taken out of stock "+
				"any more (sold or reserved since): %s", l.Quantity, l.SKU, e[0].Message).
				WithReason(inventory.ReasonInsufficientStock)}
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE return_lines SET disposition = $2, lot = $3, updated_at = now()
			WHERE id = $1`, l.ID, in.Disposition, lot); err != nil {
			return fmt.Errorf("update return line: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET updated_at = now() WHERE id = $1`, d.ID); err != nil {
			return fmt.Errorf("update return: %w", err)
		}
		msg := fmt.Sprintf("Return %s: %d × %s now %s (was %s).", d.Number, l.Quantity, l.SKU,
			dispositionText(in.Disposition), dispositionText(l.Disposition))
		if in.Note != "" {
			msg += " " + in.Note
		}
		return addEvent(ctx, tx, head.OrderID, "RETURN_UPDATED", msg, map[string]any{"returnId": d.ID,
			"returnLineId": l.ID, "from": l.Disposition, "to": in.Disposition})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.detail(ctx, head.ReturnID)
}

// dispositionText says a disposition in a sentence.
func dispositionText(d Disposition) string {
	switch d {
	case Restock:
		return "restocked"
	case Damaged:
		return "written off as damaged"
	case ToInspect:
		return "held for inspection"
	}
	return string(d)
}

func (s *Service) close(ctx context.Context, returnID int64, note string) (Detail, error) {
	if _, err := authorize(ctx, 0, false); err != nil {
		return Detail{}, err
	}
	note = strings.TrimSpace(note)
	if len(note) > 500 {
		return Detail{}, apperr.List{apperr.Invalid("note", "at most 500 characters")}
	}
	var head returnHead
	err := s.db.GetContext(ctx, &head, `SELECT order_id, location_id FROM returns WHERE id = $1`, returnID)
	if err != nil {
		return Detail{}, postgres.NotFound(err, "no return with id %d", returnID)
	}
	if _, err := authorize(ctx, head.LocationID, false); err != nil {
		return Detail{}, err
	}
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		o, err := loadOrder(ctx, tx, head.OrderID, true)
		if err != nil {
			return err
		}
		d, err := s.detailAs(ctx, tx, returnID)
		if err != nil {
			return err
		}
		if d.Status != Open {
			return wrongStatus(d.Return, "closed")
		}
		var errs apperr.List
		for _, l := range d.Lines {
			if l.Disposition == ToInspect {
				errs = append(errs, apperr.Invalid("lines", "decide what becomes of %d × %s (still to inspect) before closing",
					l.Quantity, l.SKU))
			}
		}
		if due := min(d.Due(), max(0, o.Paid-o.Refunded)); due > 0 {
			errs = append(errs, apperr.Invalid("returnId", "refund the %s still due before closing",
				money.Format(due, d.Currency)))
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = 'CLOSED', closed_at = now(), updated_at = now(),
			note = CASE WHEN $2 = '' THEN note WHEN note = '' THEN $2 ELSE note || E'\n' || $2 END WHERE id = $1`,
			returnID, note); err != nil {
			return fmt.Errorf("close return: %w", err)
		}
		msg := fmt.Sprintf("Return %s closed.", d.Number)
		if note != "" {
			msg += " " + note
		}
		return addEvent(ctx, tx, head.OrderID, "RETURN_CLOSED", msg, map[string]any{"returnId": returnID})
	})
	if err != nil {
		return Detail{}, err
	}
	return s.detail(ctx, returnID)
}
