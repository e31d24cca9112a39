package web

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"strings"
	"time"
)

// CSV exports open in Excel as well as in other spreadsheets: UTF-8 with a byte order mark
// (without it Excel reads UTF-8 as the legacy code page), comma-separated, CRLF line ends.

const utf8BOM = "\uFEFF"

// writeCSV sends header and rows as a download named filename. The rows are written to a
// buffer first, so a failure is an error page rather than half a file.
func writeCSV(w http.ResponseWriter, filename string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		for i, cell := range row {
			row[i] = csvSafe(cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w) // a client that went away is not a server error
	return nil
}

// csvSafe keeps a spreadsheet from running a cell as a formula (a product title such as
// "=HYPERLINK(...)"): text starting with = + - @ or a control character gets a leading
// apostrophe. Numbers, negative ones too, stay numbers.
func csvSafe(cell string) string {
	if cell == "" || !strings.ContainsAny(cell[:1], "=+-@\t\r") {
		return cell
	}
	if _, ok := parseCost(cell, ""); ok {
		return cell
	}
	return "'" + cell
}

// csvFilename names an export: the report, the location's code (or every location) and
// the day, in the viewer's time zone: low-stock-TPE-01-2026-05-01.csv.
func csvFilename(report, locationCode string, day time.Time) string {
	if locationCode == "" {
		locationCode = "all-locations"
	}
	return report + "-" + locationCode + "-" + day.Format(time.DateOnly) + ".csv"
}
