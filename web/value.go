package web

import (
	"net/http"
	"strconv"
	"time"

	"atrium/internal/inventory"
	"atrium/internal/location"
)

// The stock value report: on hand × unit cost by location.

type valuePage struct {
	Report inventory.StockValueReport
	Rows   []valueRow
}

type valueRow struct {
	Location location.Location
	inventory.LocationValue
}

func (s *server) valueReport(r *http.Request) (valuePage, error) {
	ctx := r.Context()
	rep, err := s.Inventory.StockValue(ctx)
	if err != nil {
		return valuePage{}, err
	}
	ls, err := s.Locations.List(ctx, location.Filter{IncludeInactive: true})
	if err != nil {
		return valuePage{}, err
	}
	byID := make(map[int64]location.Location, len(ls))
	for _, l := range ls {
		byID[l.ID] = l
	}
	p := valuePage{Report: rep}
	for _, v := range rep.Locations {
		p.Rows = append(p.Rows, valueRow{Location: byID[v.LocationID], LocationValue: v})
	}
	return p, nil
}

func (s *server) stockValue(w http.ResponseWriter, r *http.Request) error {
	p, err := s.valueReport(r)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, valueReportPage(p))
}

// stockValueCSV exports the report, its total last; amounts in major units without
// grouping, as spreadsheets read them.
func (s *server) stockValueCSV(w http.ResponseWriter, r *http.Request) error {
	p, err := s.valueReport(r)
	if err != nil {
		return err
	}
	cur := p.Report.Currency
	row := func(code string, v inventory.LocationValue) []string {
		return []string{code, strconv.FormatInt(v.Units, 10), formatAmountInput(v.Value, cur),
			strconv.Itoa(v.WithoutCost), strconv.FormatInt(v.UnitsWithoutCost, 10)}
	}
	var out [][]string
	for _, v := range p.Rows {
		out = append(out, row(v.Location.Code, v.LocationValue))
	}
	out = append(out, row(valueTotalLabel, p.Report.Total))
	name := csvFilename("stock-value", "", time.Now().In(viewOf(r.Context()).Zone()))
	return writeCSV(w, name, valueColumns(cur), out)
}
