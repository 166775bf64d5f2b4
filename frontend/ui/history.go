package ui

import (
	"net/http"
	"net/url"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

// historyQuery is the history page's state, all in the URL so a filtered view can be bookmarked.
type historyQuery struct {
	Config string
	Status string
	From   string // YYYY-MM-DD in the user's time zone, inclusive
	To     string // YYYY-MM-DD in the user's time zone, inclusive
	Order  string
	Page   string
}

type historyData struct {
	Q        historyQuery
	Jobs     []*orchestratorv1.Job
	Total    int64
	Next     string
	Configs  []*configv1.Config
	Statuses []orchestratorv1.JobStatus
	Errors   map[string]string
}

// sortable columns of the history table and their orderBy field.
var historyColumns = map[string]bool{"create_time": true, "status": true, "type": true, "config_name": true}

func readHistoryQuery(q url.Values) historyQuery {
	h := historyQuery{Config: q.Get("config"), Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"), Order: q.Get("order"), Page: q.Get("page")}
	if f := trimMinus(h.Order); !historyColumns[f] {
		h.Order = "-create_time"
	}
	return h
}

func trimMinus(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

// URL returns the history URL with this query, changing key to value ("" removes it); changing anything but
// the page goes back to the first page.
func (h historyQuery) URL(key, value string) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("config", h.Config)
	set("status", h.Status)
	set("from", h.From)
	set("to", h.To)
	if h.Order != "-create_time" {
		set("order", h.Order)
	}
	if key != "page" {
		v.Del("page")
	} else {
		set("page", h.Page)
	}
	v.Del(key)
	set(key, value)
	if len(v) == 0 {
		return "/jobs"
	}
	return "/jobs?" + v.Encode()
}

// SortURL toggles the order on column: ascending first for names, newest first for time.
func (h historyQuery) SortURL(column string) string {
	next := column
	if h.Order == column {
		next = "-" + column
	} else if h.Order != "-"+column && column == "create_time" {
		next = "-" + column
	}
	return h.URL("order", next)
}

// SortIcon shows the current order of column.
func (h historyQuery) SortIcon(column string) string {
	switch h.Order {
	case column:
		return "bi-caret-up-fill"
	case "-" + column:
		return "bi-caret-down-fill"
	}
	return "bi-chevron-expand text-body-tertiary"
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	gw, loc := s.client(r), info(r).loc
	d := historyData{Q: readHistoryQuery(r.URL.Query()), Errors: map[string]string{},
		Statuses: enumValues[orchestratorv1.JobStatus](orchestratorv1.JobStatus_name)}
	f := apiclient.JobFilter{ConfigID: d.Q.Config, PageSize: 25, PageToken: d.Q.Page, OrderBy: d.Q.Order}
	if v, ok := orchestratorv1.JobStatus_value[d.Q.Status]; ok && v != 0 {
		f.Statuses = []orchestratorv1.JobStatus{orchestratorv1.JobStatus(v)}
	}
	if d.Q.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, d.Q.From, loc)
		if err != nil {
			d.Errors["from"] = "Use the format YYYY-MM-DD."
		}
		f.CreatedAfter = t
	}
	if d.Q.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, d.Q.To, loc)
		if err != nil {
			d.Errors["to"] = "Use the format YYYY-MM-DD."
		}
		f.CreatedBefore = t.AddDate(0, 0, 1) // the whole "to" day is included
	}
	p := s.newPage(r, "History", "jobs", nil)
	if configs, err := gw.ListConfigs(r.Context()); err == nil {
		d.Configs = configs
	}
	if len(d.Errors) == 0 {
		resp, err := gw.ListJobs(r.Context(), f)
		if err != nil {
			if apiclient.IsUnauthenticated(err) {
				s.fail(w, r, err)
				return
			}
			_, p.Alert = describe(p.Lang, err)
		}
		d.Jobs, d.Total, d.Next = resp.GetJobs(), resp.GetTotal(), resp.GetNextPageToken()
	}
	p.Data = d
	s.render(w, r, "history", p)
}
