// Package location manages the retailer's stores and warehouses: where stock lives, where
// customers collect orders, and whose time zone a document is shown in.
package location

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Kind is STORE or WAREHOUSE.
type Kind string

const (
	Store     Kind = "STORE"
	Warehouse Kind = "WAREHOUSE"
)

// Location is a store or warehouse.
type Location struct {
	ID            int64    `db:"id" json:"id"`
	Code          string   `db:"code" json:"code"`
	Name          string   `db:"name" json:"name"`
	Kind          Kind     `db:"kind" json:"kind"`
	AddressLine1  string   `db:"address_line1" json:"addressLine1"`
	AddressLine2  string   `db:"address_line2" json:"addressLine2"`
	City          string   `db:"city" json:"city"`
	Region        string   `db:"region" json:"region"`
	PostalCode    string   `db:"postal_code" json:"postalCode"`
	Country       string   `db:"country" json:"country"`
	Phone         string   `db:"phone" json:"phone"`
	Latitude      *float64 `db:"latitude" json:"latitude"`
	Longitude     *float64 `db:"longitude" json:"longitude"`
	TimeZone      string   `db:"time_zone" json:"timeZone"`
	PickupEnabled bool     `db:"pickup_enabled" json:"pickupEnabled"`
	Active        bool     `db:"active" json:"active"`

	CreatedAt time.Time `db:"created_at" json:"-"`
	UpdatedAt time.Time `db:"updated_at" json:"-"`
}

// DistanceKm returns the great-circle distance from l to (lat, lng), or +Inf when l has
// no coordinates.
func (l Location) DistanceKm(lat, lng float64) float64 {
	if l.Latitude == nil || l.Longitude == nil {
		return math.Inf(1)
	}
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (lat - *l.Latitude) * rad
	dLng := (lng - *l.Longitude) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(*l.Latitude*rad)*math.Cos(lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// Input is what staff enter to create or edit a location.
type Input struct {
	Code          string
	Name          string
	Kind          Kind
	AddressLine1  string
	AddressLine2  string
	City          string
	Region        string
	PostalCode    string
	Country       string
	Phone         string
	Latitude      *float64
	Longitude     *float64
	TimeZone      string
	PickupEnabled bool
	Active        bool
}

// Service is the locations use cases.
type Service struct {
	db *sqlx.DB
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d} }

const columns = `id, code, name, kind, address_line1, address_line2, city, region, postal_code,
	country, phone, latitude, longitude, time_zone, pickup_enabled, active, created_at, updated_at`

// Filter narrows List.
type Filter struct {
	Kind *Kind
	// IncludeInactive shows closed locations too (staff only).
	IncludeInactive bool
}

// List returns locations ordered by kind (stores first) and code. Anyone may list active
// locations; inactive ones are for staff.
func (s *Service) List(ctx context.Context, f Filter) ([]Location, error) {
	if f.IncludeInactive {
		if _, err := actor.RequireStaff(ctx); err != nil {
			return nil, err
		}
	}
	var kind *string
	if f.Kind != nil {
		k := string(*f.Kind)
		kind = &k
	}
	var out []Location
	err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM locations
		WHERE ($1::text IS NULL OR kind = $1) AND (active OR $2)
		ORDER BY kind, code`, kind, f.IncludeInactive)
	return out, err
}

// ByIDs returns the locations with the given ids, keyed by id (missing ids are absent).
func (s *Service) ByIDs(ctx context.Context, ids []int64) (map[int64]Location, error) {
	var rows []Location
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+columns+` FROM locations WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	out := make(map[int64]Location, len(rows))
	for _, l := range rows {
		out[l.ID] = l
	}
	return out, nil
}

// Get returns one location, or apperr.NotFound.
func (s *Service) Get(ctx context.Context, id int64) (Location, error) {
	var l Location
	err := s.db.GetContext(ctx, &l, `SELECT `+columns+` FROM locations WHERE id = $1`, id)
	return l, postgres.NotFound(err, "no location with id %d", id)
}

// ByCode returns one location by its code (case-insensitive), or apperr.NotFound.
func (s *Service) ByCode(ctx context.Context, code string) (Location, error) {
	var l Location
	err := s.db.GetContext(ctx, &l, `SELECT `+columns+` FROM locations WHERE code = $1`, strings.ToUpper(strings.TrimSpace(code)))
	return l, postgres.NotFound(err, "no location with code %q", code)
}

// Count returns the number of active locations of each kind.
func (s *Service) Count(ctx context.Context) (map[Kind]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, count(*) FROM locations WHERE active GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Kind]int{}
	for rows.Next() {
		var k Kind
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// Create adds a location. Admins only. Errors: apperr.List of Invalid fields, Conflict
// for a code in use, Forbidden.
func (s *Service) Create(ctx context.Context, in Input) (Location, error) {
	if _, err := actor.RequireStaff(ctx, actor.Admin); err != nil {
		return Location{}, err
	}
	if err := in.normalize(); err != nil {
		return Location{}, err
	}
	var l Location
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &l, `INSERT INTO locations (code, name, kind, address_line1, address_line2, city,
			region, postal_code, country, phone, latitude, longitude, time_zone, pickup_enabled, active)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING `+columns,
			in.Code, in.Name, in.Kind, in.AddressLine1, in.AddressLine2, in.City, in.Region, in.PostalCode,
			in.Country, in.Phone, in.Latitude, in.Longitude, in.TimeZone, in.PickupEnabled, in.Active)
		if err != nil {
			return mapErr(err, in.Code)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "location.created", Entity: "location", EntityID: l.ID, After: l})
	})
	return l, err
}

// Update changes a location. Admins only. Errors as for Create, plus NotFound.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Location, error) {
	if _, err := actor.RequireStaff(ctx, actor.Admin); err != nil {
		return Location{}, err
	}
	if err := in.normalize(); err != nil {
		return Location{}, err
	}
	var before, after Location
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &before, `SELECT `+columns+` FROM locations WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return postgres.NotFound(err, "no location with id %d", id)
		}
		err = tx.GetContext(ctx, &after, `UPDATE locations SET code=$2, name=$3, kind=$4, address_line1=$5,
			address_line2=$6, city=$7, region=$8, postal_code=$9, country=$10, phone=$11, latitude=$12,
			longitude=$13, time_zone=$14, pickup_enabled=$15, active=$16, updated_at=now()
			WHERE id = $1 RETURNING `+columns,
			id, in.Code, in.Name, in.Kind, in.AddressLine1, in.AddressLine2, in.City, in.Region, in.PostalCode,
			in.Country, in.Phone, in.Latitude, in.Longitude, in.TimeZone, in.PickupEnabled, in.Active)
		if err != nil {
			return mapErr(err, in.Code)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "location.updated", Entity: "location", EntityID: id, Before: before, After: after})
	})
	return after, err
}

func mapErr(err error, code string) error {
	if postgres.IsUniqueViolation(err, "locations_code_key") {
		return apperr.List{apperr.Conflict("code", "the code %s is already used by another location; choose another", code).WithReason("DUPLICATE")}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFound("location not found")
	}
	return postgres.MapError(err)
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,19}$`)

// normalize trims and validates in, returning every problem at once.
func (in *Input) normalize() error {
	for _, p := range []*string{&in.Code, &in.Name, &in.AddressLine1, &in.AddressLine2, &in.City,
		&in.Region, &in.PostalCode, &in.Country, &in.Phone, &in.TimeZone} {
		*p = strings.TrimSpace(*p)
	}
	in.Code = strings.ToUpper(in.Code)
	in.Country = strings.ToUpper(in.Country)
	var errs apperr.List
	if !codePattern.MatchString(in.Code) {
		errs = append(errs, apperr.Invalid("code", "a code has 2–20 capital letters, digits or dashes, e.g. TPE-01"))
	}
	if in.Name == "" {
		errs = append(errs, apperr.Invalid("name", "enter the location's name"))
	}
	if in.Kind != Store && in.Kind != Warehouse {
		errs = append(errs, apperr.Invalid("kind", "choose STORE or WAREHOUSE"))
	}
	if in.Country == "" {
		in.Country = "TW"
	}
	if len(in.Country) != 2 {
		errs = append(errs, apperr.Invalid("country", "use the two-letter ISO country code, e.g. TW"))
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil {
		errs = append(errs, apperr.Invalid("timeZone", "unknown time zone %q; use an IANA name such as Asia/Taipei", in.TimeZone))
	}
	if (in.Latitude == nil) != (in.Longitude == nil) {
		errs = append(errs, apperr.Invalid("latitude", "give both latitude and longitude, or neither"))
	}
	if in.Latitude != nil && (*in.Latitude < -90 || *in.Latitude > 90) {
		errs = append(errs, apperr.Invalid("latitude", "latitude is between -90 and 90"))
	}
	if in.Longitude != nil && (*in.Longitude < -180 || *in.Longitude > 180) {
		errs = append(errs, apperr.Invalid("longitude", "longitude is between -180 and 180"))
	}
	if in.PickupEnabled && in.Kind != Store {
		errs = append(errs, apperr.Invalid("pickupEnabled", "only stores can offer pickup"))
	}
	return errs.Err()
}

// String is for logs.
func (l Location) String() string { return fmt.Sprintf("%s (%s)", l.Code, l.Name) }

// CanEdit reports whether a may create and change locations, so a transport can hide
// editing from everyone else; Create and Update still check on their own.
func CanEdit(a actor.Actor) bool { return a.HasRole(actor.Admin) }

// CompanyTimeZone returns the retailer's own time zone (from the settings), for showing
// times to staff who have no home location.
func (s *Service) CompanyTimeZone(ctx context.Context) (*time.Location, error) {
	var name string
	if err := s.db.GetContext(ctx, &name, `SELECT time_zone FROM settings`); err != nil {
		return nil, fmt.Errorf("company time zone: %w", err)
	}
	return time.LoadLocation(name)
}
