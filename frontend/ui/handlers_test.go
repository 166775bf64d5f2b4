package ui

import (
	"bufio"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/frontend/gateway/gatewaytest"
)

// seed signs in as admin and adds two instances and a configuration between them.
func seed(t *testing.T, e *env) (b *browser, src, dst, cfg string) {
	b = e.signedIn(t, "admin", gatewaytest.AdminPassword)
	src = e.addInstance(t, b, "National HMIS", "https://hmis.example.org", true, false)
	dst = e.addInstance(t, b, "Regional mirror", "https://mirror.example.org/2.40", false, true)
	cfg = e.addConfig(t, b, url.Values{
		"name": {"Nightly complete"}, "active": {"on"}, "source_instance_id": {src}, "destination_instance_ids": {dst},
		"sync_type": {"SYNC_TYPE_COMPLETE"}, "execution_mode": {"EXECUTION_MODE_SCHEDULED"},
		"schedule.cron": {"0 2 * * *"}, "schedule.time_zone": {"Africa/Abidjan"},
	})
	return b, src, dst, cfg
}

func TestEveryPageRenders(t *testing.T) {
	e := newEnv(t)
	b, src, _, cfg := seed(t, e)
	e.gw.HoldJobs.Store(true) // the job page must show a running job
	resp, _ := b.post("/configs/"+cfg+"/launch", url.Values{"types": {"JOB_TYPE_METADATA", "JOB_TYPE_AGGREGATE", "JOB_TYPE_EVENTS", "JOB_TYPE_TRACKER"}, "metadata_families": {"METADATA_FAMILY_ORGANISATION"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/jobs/") {
		t.Fatalf("launch: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	jobPath := resp.Header.Get("Location")

	pages := map[string][]string{
		"/":                             {"Instances connected", "National HMIS", "Nightly complete", "activity-chart", "Next run"},
		"/instances":                    {"National HMIS", "Regional mirror", "Test connection"},
		"/instances/new":                {"instance-form", "Personal access token"},
		"/instances/" + src + "/edit":   {"National HMIS", "Unchanged"},
		"/instances/" + src + "/delete": {"confirm-delete"},
		"/configs":                      {"Nightly complete", "Launch"},
		"/configs/new":                  {"sec-general", "sec-instances", "sec-type", "sec-import", "sec-execution", "sec-paging", "sec-filters", "sec-policies", "type=\"reset\""},
		"/configs/" + cfg + "/edit":     {"Nightly complete", "0 2 * * *", "Africa/Abidjan"},
		"/configs/" + cfg + "/launch":   {"launch-form", "dry_run", "Organisation units"},
		"/jobs":                         {"history-table", "Nightly complete"},
		jobPath:                         {"job-progress", "log-window", "sse-connect", "Sub-jobs"},
	}
	for path, wants := range pages {
		t.Run(path, func(t *testing.T) {
			resp, body := b.get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", resp.StatusCode, body)
			}
			if !strings.Contains(body, "</html>") {
				t.Errorf("not a whole page")
			}
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/instances", "/jobs"} {
		resp, _ := e.browser(t).get(path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s: status %d location %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestSignInRefusesWrongPassword(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.get("/login")
	resp, body := b.post("/login", url.Values{"username": {"admin"}, "password": {"nope"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password.") {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
}

func TestSignOutEndsSession(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "viewer", gatewaytest.ViewerPassword)
	if resp, _ := b.post("/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout status %d", resp.StatusCode)
	}
	if resp, _ := b.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: status %d, want a redirect to sign in", resp.StatusCode)
	}
}

func TestInstanceFormShowsFieldErrors(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	resp, body := b.post("/instances", url.Values{"name": {""}, "base_url": {"ftp://x"}, "auth_type": {"basic"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, field := range []string{`data-field="name"`, `data-field="base_url"`, `data-field="password"`} {
		if !strings.Contains(body, field) {
			t.Errorf("no message for %s", field)
		}
	}
}

func TestConfigFormShowsServerFieldErrors(t *testing.T) {
	e := newEnv(t)
	b, src, dst, _ := seed(t, e)
	form := url.Values{
		"name": {""}, "source_instance_id": {src}, "destination_instance_ids": {dst}, "sync_type": {"SYNC_TYPE_METADATA"},
		"execution_mode": {"EXECUTION_MODE_SCHEDULED"}, "schedule.cron": {"every night"}, "filters.start_date": {"2024-13-01"},
	}
	resp, body := b.post("/configs", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The fake reports "config.name", "config.schedule.cron" and "filters.startDate": all land on their inputs.
	for _, field := range []string{"name", "schedule.cron", "filters.start_date"} {
		if !strings.Contains(body, `data-field="`+field+`"`) {
			t.Errorf("no message next to %s", field)
		}
	}
	if !strings.Contains(body, `value="every night"`) {
		t.Errorf("the form lost what the user typed")
	}
}

func TestConfigFormLocalErrors(t *testing.T) {
	e := newEnv(t)
	b, src, dst, _ := seed(t, e)
	resp, body := b.post("/configs", url.Values{"name": {"x"}, "source_instance_id": {src}, "destination_instance_ids": {dst},
		"sync_type": {"SYNC_TYPE_DATA"}, "sizes.page_size": {"many"}, "policies.user_mapping": {"abc"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, field := range []string{"sizes.page_size", "policies.user_mapping"} {
		if !strings.Contains(body, `data-field="`+field+`"`) {
			t.Errorf("no message next to %s", field)
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	e := newEnv(t)
	b, src, dst, cfg := seed(t, e)
	form := url.Values{
		"name": {"Nightly complete"}, "source_instance_id": {src}, "destination_instance_ids": {dst}, "sync_type": {"SYNC_TYPE_BOTH"},
		"metadata_families": {"METADATA_FAMILY_ORGANISATION", "METADATA_FAMILY_DATA_SETS"}, "import_strategy": {"IMPORT_STRATEGY_UPDATE"},
		"execution_mode": {"EXECUTION_MODE_AUTOMATIC"}, "auto_sync.poll_interval_seconds": {"600"}, "sizes.batch_size": {"500"},
		"filters.org_unit_ids": {"ImspTQPwCqd, O6uvpzGd5pu"}, "filters.periods": {"202401\n202402"},
		"policies.sharing": {"REFERENCE_POLICY_MAP"}, "policies.user_mapping": {"a=b\nc = d"}, "deletion.propagate": {"on"}, "deletion.max_share_percent": {"5"},
	}
	if resp, body := b.post("/configs/"+cfg, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: status %d\n%s", resp.StatusCode, body)
	}
	c, err := e.client(t).GetConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]bool{
		"sync type":      c.GetSyncType().String() == "SYNC_TYPE_BOTH",
		"families":       len(c.GetMetadataFamilies()) == 2,
		"strategy":       c.GetImportStrategy().String() == "IMPORT_STRATEGY_UPDATE",
		"poll interval":  c.GetAutoSync().GetPollIntervalSeconds() == 600,
		"batch size":     c.GetSizes().GetBatchSize() == 500,
		"org units":      strings.Join(c.GetFilters().GetOrgUnitIds(), ",") == "ImspTQPwCqd,O6uvpzGd5pu",
		"periods":        strings.Join(c.GetFilters().GetPeriods(), ",") == "202401,202402",
		"mapping":        c.GetPolicies().GetUserMapping()["c"] == "d" && c.GetPolicies().GetUserMapping()["a"] == "b",
		"deletion":       c.GetDeletion().GetPropagate() && c.GetDeletion().GetMaxSharePercent() == 5,
		"active cleared": !c.GetActive(),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s not stored as submitted: %v", name, c)
		}
	}
}

func TestInstanceSecretsNeverShown(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	id := e.addInstance(t, b, "Secretive", "https://s.example.org", true, true)
	_, body := b.get("/instances/" + id + "/edit")
	if strings.Contains(body, "district") {
		t.Fatal("the edit form shows the stored password")
	}
	// Saving without a password keeps the secret (the update carries no password).
	resp, _ := b.post("/instances/"+id, url.Values{"name": {"Secretive 2"}, "base_url": {"https://s.example.org"}, "auth_type": {"basic"}, "username": {"admin"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update status %d", resp.StatusCode)
	}
}

func TestInstanceTestShowsResultInline(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	ok := e.addInstance(t, b, "Good", "https://good.example.org", true, false)
	bad := e.addInstance(t, b, "Bad", "https://unreachable.example.org", false, true)
	tests := map[string][]string{ok: {"test-ok", "2.41.3", "Good HMIS"}, bad: {"test-failed", "Unreachable", "check the URL"}}
	for id, wants := range tests {
		req, _ := http.NewRequest(http.MethodPost, b.base+"/instances/"+id+"/test", nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set(csrfHeader, b.csrf())
		resp, body := b.do(req)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") {
			t.Fatalf("test %s: status %d, want a fragment\n%s", id, resp.StatusCode, body)
		}
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("test %s: result lacks %q", id, w)
			}
		}
	}
}

func TestDeleteNeedsConfirmationPost(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	id := e.addInstance(t, b, "Doomed", "https://d.example.org", true, false)
	b.get("/instances/" + id + "/delete")
	if _, err := e.client(t).GetInstance(t.Context(), id); err != nil {
		t.Fatal("the confirmation page deleted the instance")
	}
	if resp, _ := b.post("/instances/"+id+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete status %d", resp.StatusCode)
	}
	if _, err := e.client(t).GetInstance(t.Context(), id); err == nil {
		t.Fatal("instance still there")
	}
}

func TestRolesHideButtonsAndAreEnforced(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	tests := []struct {
		user, password string
		seeLaunch      bool
		seeAdmin       bool
	}{
		{"viewer", gatewaytest.ViewerPassword, false, false},
		{"operator", gatewaytest.OperatorPassword, true, false},
		{"admin", gatewaytest.AdminPassword, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			b := e.signedIn(t, tc.user, tc.password)
			_, configs := b.get("/configs")
			_, instances := b.get("/instances")
			if got := strings.Contains(configs, "launch-config"); got != tc.seeLaunch {
				t.Errorf("launch button shown=%v, want %v", got, tc.seeLaunch)
			}
			if got := strings.Contains(instances, "add-instance") || strings.Contains(instances, "test-instance"); got != tc.seeAdmin {
				t.Errorf("admin buttons shown=%v, want %v", got, tc.seeAdmin)
			}
			resp, _ := b.post("/instances", url.Values{"name": {"x"}, "base_url": {"https://x"}, "password": {"p"}, "username": {"u"}})
			if refused := resp.StatusCode == http.StatusForbidden; refused == tc.seeAdmin {
				t.Errorf("POST /instances: status %d", resp.StatusCode)
			}
		})
	}
}

func TestCrossSitePostIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	form := url.Values{"name": {"x"}, "base_url": {"https://x.example.org"}, "username": {"u"}, "password": {"p"}, csrfField: {b.csrf()}}
	resp, body := b.postRaw("/instances", form, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "another site") {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	resp, _ = b.postRaw("/instances", form, http.Header{"Origin": {"https://evil.example"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Origin: status %d", resp.StatusCode)
	}
}

func TestMissingOrWrongCSRFTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("x", 43)} {
		form := url.Values{"name": {"x"}, "base_url": {"https://x.example.org"}, "username": {"u"}, "password": {"p"}}
		if token != "" {
			form.Set(csrfField, token)
		}
		resp, body := b.postRaw("/instances", form, nil)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "form has expired") {
			t.Errorf("%s token: status %d", name, resp.StatusCode)
		}
	}
	if list, _ := e.client(t).ListInstances(t.Context()); len(list) != 0 {
		t.Fatalf("a refused request created %d instances", len(list))
	}
}

func TestGatewayErrorsAreReadable(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	e.gw.Fail.Store(true)
	for _, path := range []string{"/", "/instances", "/configs", "/jobs", "/jobs/nope"} {
		resp, body := b.get(path)
		if resp.StatusCode == http.StatusOK && path != "/" && path != "/jobs" {
			t.Errorf("%s: status 200 despite the failure", path)
		}
		if !strings.Contains(body, "</html>") || !strings.Contains(body, "The dhis2sync gateway reported an error:") {
			t.Errorf("%s: no readable error in a whole page (status %d)\n%s", path, resp.StatusCode, body)
		}
	}
	e.gw.Fail.Store(false)
	e.gw.Close()
	resp, body := b.get("/instances")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "cannot be reached") {
		t.Errorf("unreachable gateway: status %d\n%s", resp.StatusCode, body)
	}
}

func TestJobEventsStreamHTML(t *testing.T) {
	e := newEnv(t)
	b, _, _, cfg := seed(t, e)
	e.gw.HoldJobs.Store(true)
	resp, _ := b.post("/configs/"+cfg+"/launch", url.Values{"types": {"JOB_TYPE_METADATA", "JOB_TYPE_AGGREGATE", "JOB_TYPE_EVENTS", "JOB_TYPE_TRACKER"}, "metadata_families": {"METADATA_FAMILY_ORGANISATION"}})
	jobID := idInLocation.FindStringSubmatch(resp.Header.Get("Location"))[1]

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, b.base+"/jobs/"+jobID+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if ct := stream.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(stream.Body)
	events := map[string]int{}
	var name string
	var data []string
	var lastProgress, done string
	released := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		case line == "" && name != "":
			events[name]++
			html := strings.Join(data, "\n")
			if name == "progress" {
				lastProgress = html
				if !released {
					released = true
					e.gw.Release(jobID) // the first state arrived: let the job run
				}
			}
			if name == "done" {
				done = html
			}
			name, data = "", nil
		}
		if done != "" {
			break
		}
	}
	if events["progress"] < 3 || events["log"] < 3 || events["done"] != 1 {
		t.Fatalf("events %v", events)
	}
	if !strings.Contains(lastProgress, `aria-valuenow="100"`) || !strings.Contains(lastProgress, "Completed") {
		t.Errorf("last progress event is not the completed job:\n%s", lastProgress)
	}
	if !strings.Contains(done, "Verification passed") {
		t.Errorf("done event lacks the verification report:\n%s", done)
	}
}

func TestCancelAndRetry(t *testing.T) {
	e := newEnv(t)
	b, _, _, cfg := seed(t, e)
	e.gw.HoldJobs.Store(true)
	resp, _ := b.post("/configs/"+cfg+"/launch", url.Values{"types": {"JOB_TYPE_METADATA"}, "metadata_families": {"METADATA_FAMILY_USERS"}})
	jobID := idInLocation.FindStringSubmatch(resp.Header.Get("Location"))[1]
	_, page := b.get("/jobs/" + jobID)
	if !strings.Contains(page, "job-cancel") || strings.Contains(page, "job-retry") {
		t.Fatal("a running job should offer cancel, not retry")
	}
	if resp, _ := b.post("/jobs/"+jobID+"/cancel", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel status %d", resp.StatusCode)
	}
	// Watching the job until it ends (the stream ends with it) is how the page learns it was cancelled.
	if s, err := e.client(t).WatchJob(t.Context(), jobID); err == nil {
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
		s.Close()
	}
	_, page = b.get("/jobs/" + jobID)
	if !strings.Contains(page, "job-retry") {
		t.Fatal("a cancelled job should offer retry")
	}
	resp, _ = b.post("/jobs/"+jobID+"/retry", nil)
	if m := idInLocation.FindStringSubmatch(resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || m == nil || m[1] == jobID {
		t.Fatalf("retry: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLaunchNarrowsTypesAndFamilies(t *testing.T) {
	e := newEnv(t)
	b, _, _, cfg := seed(t, e)
	resp, _ := b.post("/configs/"+cfg+"/launch", url.Values{"types": {"JOB_TYPE_METADATA", "JOB_TYPE_EVENTS"}, "metadata_families": {"METADATA_FAMILY_OPTIONS"}, "dry_run": {"on"}})
	jobID := idInLocation.FindStringSubmatch(resp.Header.Get("Location"))[1]
	j, err := e.client(t).GetJob(t.Context(), jobID)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.GetSubJobs()) != 2 || !j.GetDryRun() {
		t.Fatalf("sub-jobs %d dry run %v", len(j.GetSubJobs()), j.GetDryRun())
	}
	resp, body := b.post("/configs/"+cfg+"/launch", url.Values{"metadata_families": {"METADATA_FAMILY_OPTIONS"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose at least one") {
		t.Fatalf("launch without types: status %d", resp.StatusCode)
	}
}

func TestLogDownloads(t *testing.T) {
	e := newEnv(t)
	b, _, _, cfg := seed(t, e)
	resp, _ := b.post("/configs/"+cfg+"/launch", url.Values{"types": {"JOB_TYPE_METADATA"}, "metadata_families": {"METADATA_FAMILY_USERS"}})
	jobID := idInLocation.FindStringSubmatch(resp.Header.Get("Location"))[1]
	txtResp, txt := b.get("/jobs/" + jobID + "/logs.txt")
	if !strings.Contains(txtResp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(txt, "INFO") || !strings.Contains(txt, "Job started") {
		t.Errorf("txt download: %q\n%s", txtResp.Header.Get("Content-Disposition"), txt)
	}
	jsonResp, js := b.get("/jobs/" + jobID + "/logs.json")
	if jsonResp.Header.Get("Content-Type") != "application/json" || !strings.Contains(js, `"lines"`) || !strings.Contains(js, "LOG_LEVEL_INFO") {
		t.Errorf("json download:\n%s", js)
	}
}

func TestLanguageFromBrowserAndSwitch(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.lang = "fr-FR,fr;q=0.9,en;q=0.5"
	if _, body := b.get("/login"); !strings.Contains(body, "Se connecter") || !strings.Contains(body, `lang="fr"`) {
		t.Fatal("Accept-Language fr did not give French")
	}
	b.lang = "en-US"
	if _, body := b.get("/login"); !strings.Contains(body, "Sign in") {
		t.Fatal("Accept-Language en did not give English")
	}
	resp, _ := b.post("/settings/language", url.Values{"lang": {"fr"}, "next": {"/login"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("switch: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := b.get("/login"); !strings.Contains(body, "Se connecter") {
		t.Fatal("the language cookie did not win over Accept-Language")
	}
	resp, _ = b.post("/settings/language", url.Values{"lang": {"en"}, "next": {"//evil.example"}})
	if resp.Header.Get("Location") != "/" {
		t.Fatalf("open redirect: %q", resp.Header.Get("Location"))
	}
}

func TestHistoryFiltersSortAndPages(t *testing.T) {
	e := newEnv(t)
	b, _, _, cfg := seed(t, e)
	for range 30 {
		if resp, _ := b.post("/configs/"+cfg+"/launch", url.Values{"types": {"JOB_TYPE_METADATA"}, "metadata_families": {"METADATA_FAMILY_USERS"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("launch status %d", resp.StatusCode)
		}
	}
	_, body := b.get("/jobs")
	if n := strings.Count(body, `class="history-row"`); n != 25 {
		t.Fatalf("first page has %d rows, want 25", n)
	}
	if !strings.Contains(body, "30 jobs") || !strings.Contains(body, "history-next") {
		t.Fatal("no total or next page link")
	}
	_, body = b.get("/jobs?page=25")
	if n := strings.Count(body, `class="history-row"`); n != 5 {
		t.Fatalf("second page has %d rows, want 5", n)
	}
	_, body = b.get("/jobs?config=" + cfg + "&status=JOB_STATUS_FAILED")
	if n := strings.Count(body, `class="history-row"`); n != 0 || !strings.Contains(body, "No job matches") {
		t.Fatalf("status filter kept %d rows", n)
	}
	_, body = b.get("/jobs?from=2000-01-01&to=2000-01-02")
	if strings.Count(body, `class="history-row"`) != 0 {
		t.Fatal("date filter kept jobs from today")
	}
	if _, body = b.get("/jobs?from=yesterday"); !strings.Contains(body, `data-field="from"`) {
		t.Fatal("a bad date gave no message")
	}
	req, _ := http.NewRequest(http.MethodGet, b.base+"/jobs?order=status", nil)
	req.Header.Set("HX-Request", "true")
	resp, body := b.do(req)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, "history-results") {
		t.Fatalf("htmx history request: status %d, want the content only", resp.StatusCode)
	}
	if resp.Header.Get("Vary") != "HX-Request" {
		t.Error("no Vary: HX-Request")
	}
}
