package customer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// SearchPage is one page of a customer search.
type SearchPage struct {
	Members []Member
	// HasNext reports whether more follow; pass the last member's ID as After for them.
	HasNext bool
}

var memberNumberRe = regexp.MustCompile(`^[Mm]?[0-9]{1,12}$`)

// Search finds active members (not merged away, not erased) for the tablet and the back
// office by what a shopper tells an associate: a member number (M00000042, or just 42), a
// phone in any local or international form, an email, or part of a name. Phones and
// emails match every identity, not only the contact. Results are ordered by id, at most
// first (1 to 100, default 20) after the member with id after. Staff only. Errors:
// apperr.Invalid for an empty or too short query, apperr.Forbidden.
func (s *Service) Search(ctx context.Context, query string, first int, after int64) (SearchPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return SearchPage{}, err
	}
	query = strings.TrimSpace(query)
	if first <= 0 {
		first = 20
	}
	first = min(first, 100)
	var where string
	var arg any
	switch {
	case query == "":
		return SearchPage{}, apperr.Invalid("query", "enter a phone, email, member number or name")
	case strings.Contains(query, "@"):
		email, err := NormalizeEmail("query", query)
		if err != nil {
			return SearchPage{}, err
		}
		where, arg = `id IN (SELECT customer_id FROM customer_identities WHERE kind = 'EMAIL' AND value = $1)`, email
	case memberNumberRe.MatchString(query) && (len(query) <= 9 || query[0] == 'M' || query[0] == 'm'):
		// Base 10 whatever the leading zeros (M00000026 is member 26, not octal).
		n, _ := strconv.ParseInt(strings.TrimLeft(query, "Mm"), 10, 64)
		where, arg = `member_number = 'M' || lpad($1::text, greatest(8, length($1::text)), '0')`, strconv.FormatInt(n, 10)
	default:
		if phone, err := NormalizePhone("query", query, "TW"); err == nil {
			where, arg = `id IN (SELECT customer_id FROM customer_identities WHERE kind = 'PHONE' AND value = $1)`, phone
			break
		}
		if len([]rune(query)) < 2 {
			return SearchPage{}, apperr.Invalid("query", "enter at least 2 letters of the name")
		}
		where, arg = `name ILIKE '%' || $1 || '%'`, strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(query)
	}
	var rows []Member
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+memberColumns+` FROM customers
		WHERE `+where+` AND merged_into_id IS NULL AND erased_at IS NULL AND id > $2 ORDER BY id LIMIT $3`,
		arg, after, first+1); err != nil {
		return SearchPage{}, fmt.Errorf("search customers: %w", err)
	}
	page := SearchPage{Members: rows, HasNext: len(rows) > first}
	if page.HasNext {
		page.Members = rows[:first]
	}
	return page, nil
}
