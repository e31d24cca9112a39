package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

	"atrium/graph/model"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
)

// Global ID type names: the first half of "Type:dbid".
const (
	typeProduct     = model.TypeProduct
	typeVariant     = model.TypeVariant
	typeLocation    = "Location"
	typeStaffMember = "StaffMember"
	typeCustomer    = "Customer"
	typeTransfer    = "Transfer"
	typeMovement    = "StockMovement"
	// typeCursor marks connection cursors, so a cursor is never mistaken for an ID.
	typeCursor = "Cursor"
	// typeLevelCursor marks the cursors of connections of stock levels, which are ordered
	// by (location, variant).
	typeLevelCursor = "LevelCursor"
)

// encodeID returns the opaque global ID of the object typ with database id (see
// model.GlobalID).
func encodeID(typ string, id int64) string { return model.GlobalID(typ, id) }

// decodeID splits a global ID into its type and database id. Errors: apperr.Invalid on
// field for anything encodeID did not produce.
func decodeID(field, gid string) (typ string, id int64, err error) {
	raw, err := base64.StdEncoding.DecodeString(gid)
	if err == nil {
		var num string
		var ok bool
		if typ, num, ok = strings.Cut(string(raw), ":"); ok && typ != "" {
			if id, err = strconv.ParseInt(num, 10, 64); err == nil && id > 0 {
				return typ, id, nil
			}
		}
	}
	return "", 0, apperr.Invalid(field, "%q is not a valid ID", gid)
}

// decodeIDOf is decodeID for an argument that must name an object of type want.
func decodeIDOf(field, want, gid string) (int64, error) {
	typ, id, err := decodeID(field, gid)
	if err == nil && typ != want {
		err = apperr.Invalid(field, "%q is not the ID of a %s", gid, want)
	}
	return id, err
}

// encodeLevelCursor returns the cursor of stock level k: base64 of
// "LevelCursor:location:variant".
func encodeLevelCursor(k inventory.LevelKey) string {
	return encodeID(typeLevelCursor+":"+strconv.FormatInt(k.LocationID, 10), k.VariantID)
}

// decodeLevelCursor is the inverse of encodeLevelCursor. Errors: apperr.Invalid on field.
func decodeLevelCursor(field, cursor string) (inventory.LevelKey, error) {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if rest, ok := strings.CutPrefix(string(raw), typeLevelCursor+":"); err == nil && ok {
		loc, variant, _ := strings.Cut(rest, ":")
		k := inventory.LevelKey{}
		k.LocationID, err = strconv.ParseInt(loc, 10, 64)
		if err == nil {
			k.VariantID, err = strconv.ParseInt(variant, 10, 64)
		}
		if err == nil && k.LocationID > 0 && k.VariantID > 0 {
			return k, nil
		}
	}
	return inventory.LevelKey{}, apperr.Invalid(field, "%q is not a valid cursor", cursor)
}
