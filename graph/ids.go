package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

	"atrium/internal/apperr"
)

// Global ID type names: the first half of "Type:dbid".
const (
	typeProduct     = "Product"
	typeVariant     = "Variant"
	typeLocation    = "Location"
	typeStaffMember = "StaffMember"
	typeCustomer    = "Customer"
	// typeCursor marks connection cursors, so a cursor is never mistaken for an ID.
	typeCursor = "Cursor"
)

// encodeID returns the opaque global ID of the object typ with database id: base64 of
// "Type:id". Clients must not parse it; encoding the type lets node(id) find the table.
func encodeID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString(strconv.AppendInt([]byte(typ+":"), id, 10))
}

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
