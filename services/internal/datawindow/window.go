// Package datawindow is the one rule that decides which periods of aggregate data a sync covers: the
// extractor reads by it, verification compares by it, and the loader's deletion guard counts by it, so the
// three always speak of the same values.
package datawindow

import (
	"cmp"
	"strings"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// Open ends of a date window: DHIS2 needs both dates, and a window given by one date means "everything before"
// or "everything after" it.
const (
	OpenStart = "1900-01-01"
	OpenEnd   = "2099-12-31"
)

// AllHistory selects every value whatever its period: /api/dataValueSets needs periods, a start and an end
// date, or lastUpdated, and every value was last updated after 1970. A configuration with no period filter thus
// covers the source's whole history, with no window to discover or keep current, at the cost of a windowed
// export of the same values.
const AllHistory = "1970-01-01"

// Window is the period selection of a configuration's filters.
type Window struct {
	Periods    []string
	Start, End string
}

// FromFilters is the window of a configuration's filters.
func FromFilters(f *configv1.Filters) Window {
	return Window{Periods: f.GetPeriods(), Start: f.GetStartDate(), End: f.GetEndDate()}
}

// Apply sets q's period selection: the periods, else the dates (an open end stays open), else every period.
// since, when set, restricts it to values changed since then (a delta run).
func (w Window) Apply(q *dhis2.DataValueQuery, since string) {
	q.Periods, q.StartDate, q.EndDate, q.LastUpdated = nil, "", "", since
	switch {
	case len(w.Periods) > 0:
		q.Periods = w.Periods
	case w.Start != "" || w.End != "":
		q.StartDate, q.EndDate = cmp.Or(w.Start, OpenStart), cmp.Or(w.End, OpenEnd)
	case since == "":
		q.LastUpdated = AllHistory
	}
}

// String says in words which periods the window covers.
func (w Window) String() string {
	switch {
	case len(w.Periods) > 0:
		return "periods " + strings.Join(w.Periods, ", ")
	case w.Start != "" || w.End != "":
		return "periods within " + cmp.Or(w.Start, "the beginning") + " … " + cmp.Or(w.End, "the end")
	default:
		return "every period"
	}
}
