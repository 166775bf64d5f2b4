package datawindow

import (
	"slices"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name                            string
		w                               Window
		since                           string
		periods                         []string
		start, end, lastUpdated, phrase string
	}{
		{"no filter: every period, no window to leave old data behind", Window{}, "", nil, "", "", AllHistory, "every period"},
		{"delta with no filter: changed since the watermark, any period", Window{}, "2026-01-01T00:00:00.000", nil, "", "", "2026-01-01T00:00:00.000", "every period"},
		{"periods win over dates", Window{Periods: []string{"202401"}, Start: "2020-01-01", End: "2020-12-31"}, "", []string{"202401"}, "", "", "", "periods 202401"},
		{"both dates", Window{Start: "2020-01-01", End: "2020-12-31"}, "2026-02-01", nil, "2020-01-01", "2020-12-31", "2026-02-01", "periods within 2020-01-01 … 2020-12-31"},
		{"open end", Window{Start: "2020-07-01"}, "", nil, "2020-07-01", OpenEnd, "", "periods within 2020-07-01 … the end"},
		{"open start", Window{End: "2010-12-31"}, "", nil, OpenStart, "2010-12-31", "", "periods within the beginning … 2010-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := dhis2.DataValueQuery{StartDate: "stale", Periods: []string{"stale"}}
			tt.w.Apply(&q, tt.since)
			if !slices.Equal(q.Periods, tt.periods) || q.StartDate != tt.start || q.EndDate != tt.end || q.LastUpdated != tt.lastUpdated {
				t.Errorf("query periods %v, dates %q–%q, lastUpdated %q", q.Periods, q.StartDate, q.EndDate, q.LastUpdated)
			}
			if got := tt.w.String(); got != tt.phrase {
				t.Errorf("String() = %q, want %q", got, tt.phrase)
			}
		})
	}
}
