package order

import (
	"context"
	"fmt"

	"atrium/internal/actor"
)

// OnHoldCount is how many orders wait in the inspection queue. Staff only. Errors:
// Unauthenticated, Forbidden.
func (s *Service) OnHoldCount(ctx context.Context) (int, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM orders WHERE status = 'ON_HOLD'`); err != nil {
		return 0, fmt.Errorf("count orders on hold: %w", err)
	}
	return n, nil
}
