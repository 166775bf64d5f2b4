package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dhis2sync/dhis2sync/frontend/gateway/gatewaytest"
	"github.com/dhis2sync/dhis2sync/frontend/ui"
)

const chromiumPath = "/usr/bin/chromium"

// stack is what the browser test runs against: the dashboard plus a gateway, fake or real.
type stack struct {
	url      string
	password string
	fake     *gatewaytest.Server // nil against a real stack
	source   string
	dest     string
}

func startStack(t *testing.T) *stack {
	st := &stack{password: os.Getenv("DHIS2SYNC_E2E_ADMIN_PASSWORD")}
	gatewayURL := os.Getenv("DHIS2SYNC_E2E_GATEWAY_URL")
	st.source = envOr("DHIS2SYNC_E2E_SOURCE_URL", "http://127.0.0.1:8081")
	st.dest = envOr("DHIS2SYNC_E2E_DESTINATION_URL", "http://127.0.0.1:8082")
	if gatewayURL == "" {
		st.fake = gatewaytest.New()
		st.fake.StepDelay = 150 * time.Millisecond
		st.fake.Steps = 6
		st.fake.HoldJobs.Store(true)
		t.Cleanup(st.fake.Close)
		gatewayURL, st.password = st.fake.URL, gatewaytest.AdminPassword
		st.source, st.dest = "https://hmis.example.org", "https://mirror.example.org/2.40"
	}
	h, err := ui.New(ui.Settings{GatewayURL: gatewayURL})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	st.url = srv.URL
	return st
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// requireBrowser skips without Chromium, except in CI where a missing browser is a failure.
func requireBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("skipping the browser test: %s not found (apt-get install chromium)", chromiumPath)
	}
}

// requireAssets checks that htmx and the other vendored files are embedded; they are copied by
// scripts/vendor-assets.sh before the build.
func requireAssets(t *testing.T, base string) {
	resp, err := http.Get(base + "/static/vendor/htmx.min.js")
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		if os.Getenv("CI") == "true" {
			t.Fatal("browser assets are not vendored: run frontend/scripts/vendor-assets.sh")
		}
		t.Skip("skipping the browser test: run frontend/scripts/vendor-assets.sh first")
	}
}

func TestDashboardInBrowser(t *testing.T) {
	requireBrowser(t)
	st := startStack(t)
	requireAssets(t, st.url)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.Flag("headless", true),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-US"))
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	eval := func(step, js string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return ok
	}
	waitJSFor := func(step, js string, limit time.Duration) {
		t.Helper()
		// A click that reloads the page can detach the document mid-poll; poll again on the new one.
		deadline := time.Now().Add(limit)
		for {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Until(deadline))))
			if err == nil {
				return
			}
			// -32000: the page was navigating ("target navigated or closed", "cannot find context").
			if !strings.Contains(err.Error(), "(-32000)") || time.Now().After(deadline) {
				t.Fatalf("%s: waiting for %s: %v", step, js, err)
			}
		}
	}
	waitJS := func(step, js string) { t.Helper(); waitJSFor(step, js, 30*time.Second) }
	shot := func(name string) {
		t.Helper()
		dir := os.Getenv("DHIS2SYNC_SCREENSHOTS")
		if dir == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e6, 10)

	// Sign in.
	do("open sign-in", chromedp.Navigate(st.url+"/"), chromedp.WaitVisible(chromedp.ID("login-form")))
	shot("01-sign-in")
	do("sign in", chromedp.SetValue(chromedp.ID("username"), "admin"), chromedp.SetValue(chromedp.ID("password"), st.password),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("current-user")))

	// An invalid instance: the service's field messages appear next to the fields, and what was typed stays.
	badName := "Broken " + suffix
	do("open instance form", chromedp.Navigate(st.url+"/instances/new"), chromedp.WaitVisible(chromedp.ID("instance-form")))
	do("submit an invalid instance", chromedp.SetValue(chromedp.ID("name"), badName), chromedp.SetValue(chromedp.ID("base_url"), "hmis.example.org/dhis"),
		chromedp.SetValue(chromedp.ID("username"), "sync"), chromedp.SetValue(chromedp.ID("password"), "district"),
		chromedp.Click(chromedp.ID("is_source")), chromedp.Click(chromedp.ID("instance-save")))
	waitJS("instance field message", fieldMessageJS("base_url"))
	if !eval("instance input kept", `document.getElementById("name").value === `+strconv.Quote(badName)+
		` && document.getElementById("base_url").value === "hmis.example.org/dhis" && document.getElementById("username").value === "sync"`+
		` && document.getElementById("is_source").checked && document.getElementById("instance-form") !== null`) {
		t.Fatal("the instance form lost what was typed")
	}
	shot("02-instance-form-invalid")

	// Add two instances and test them.
	names := []string{"National HMIS " + suffix, "Regional mirror " + suffix}
	for i, base := range []string{st.source, st.dest} {
		role := "is_source"
		if i == 1 {
			role = "is_destination"
		}
		do("open instance form", chromedp.Navigate(st.url+"/instances/new"), chromedp.WaitVisible(chromedp.ID("instance-form")))
		if i == 0 {
			shot("02-instance-form")
		}
		do("fill instance form", chromedp.SetValue(chromedp.ID("name"), names[i]), chromedp.SetValue(chromedp.ID("base_url"), base),
			chromedp.SetValue(chromedp.ID("username"), "admin"), chromedp.SetValue(chromedp.ID("password"), "district"),
			chromedp.Click(chromedp.ID(role)), chromedp.Click(chromedp.ID("instance-save")), chromedp.WaitVisible(chromedp.ID("instance-list")))
	}
	for _, name := range names {
		card := fmt.Sprintf(`[...document.querySelectorAll(".instance-card")].find(c => c.dataset.name === %q)`, name)
		if !eval("find instance card", card+` !== undefined`) {
			t.Fatalf("instance %q not listed", name)
		}
		eval("click test", `(`+card+`).querySelector(".test-instance").click(), true`)
		waitJS("test "+name, `(`+card+`).querySelector(".test-ok") !== null`)
	}
	shot("03-instances")

	// An invalid configuration: no source, a cron that is not one; the messages sit next to those fields.
	cfgName := "Complete copy " + suffix
	do("open configuration form", chromedp.Navigate(st.url+"/configs/new"), chromedp.WaitVisible(chromedp.ID("config-form")))
	shot("04-config-form")
	do("fill an invalid configuration", chromedp.SetValue(chromedp.ID("name"), cfgName))
	eval("scheduled mode", `document.getElementById("execution_mode").value = "EXECUTION_MODE_SCHEDULED"; document.getElementById("sync_type").value = "SYNC_TYPE_METADATA";
		document.getElementById("schedule.cron").value = "every night"; true`)
	do("submit the invalid configuration", chromedp.Click(chromedp.ID("config-save")))
	waitJS("cron message", fieldMessageJS("schedule.cron"))
	waitJS("source message", fieldMessageJS("source_instance_id"))
	if !eval("configuration input kept", `document.getElementById("name").value === `+strconv.Quote(cfgName)+
		` && document.getElementById("schedule.cron").value === "every night" && document.getElementById("execution_mode").value === "EXECUTION_MODE_SCHEDULED"`+
		` && document.getElementById("sync_type").value === "SYNC_TYPE_METADATA"`) {
		t.Fatal("the configuration form lost what was typed")
	}
	shot("04-config-form-invalid")
	eval("manual mode again", `document.getElementById("execution_mode").value = "EXECUTION_MODE_MANUAL"; document.getElementById("schedule.cron").value = ""; true`)

	// Create a configuration.
	do("fill configuration", chromedp.SetValue(chromedp.ID("name"), cfgName))
	eval("choose instances", fmt.Sprintf(`(() => {
		const src = [...document.querySelectorAll("#source_instance_id option")].find(o => o.text.startsWith(%q));
		document.getElementById("source_instance_id").value = src.value;
		const dst = [...document.querySelectorAll("#destinations label")].find(l => l.textContent === %q);
		document.getElementById(dst.htmlFor).checked = true;
		document.getElementById("sync_type").value = "SYNC_TYPE_COMPLETE";
		return true; })()`, names[0], names[1]))
	do("save configuration", chromedp.Click(chromedp.ID("config-save")), chromedp.WaitVisible(chromedp.ID("config-list")))
	row := fmt.Sprintf(`[...document.querySelectorAll(".config-row")].find(r => r.dataset.name === %q)`, cfgName)
	if !eval("find config row", row+` !== undefined`) {
		t.Fatal("configuration not listed after save")
	}
	shot("05-configs")

	// Launch and watch the job run to completion without a reload.
	eval("open launch", `(`+row+`).querySelector(".launch-config").click(), true`)
	do("launch form", chromedp.WaitVisible(chromedp.ID("launch-form")))
	shot("06-launch")
	do("launch", chromedp.Click(chromedp.ID("launch-submit")), chromedp.WaitVisible(chromedp.ID("job-progress")))
	eval("watch", `window.__d2sMarker = 1; window.__d2sPercents = [document.getElementById("job-percent").textContent];
		document.body.addEventListener("htmx:sseMessage", () => window.__d2sPercents.push(document.getElementById("job-percent").textContent)); true`)
	if st.fake != nil {
		shot("07-job-running")
		st.fake.ReleaseAll()
	}
	// A complete copy between real services and simulators takes longer than the fake's job, more so on a
	// loaded machine.
	waitJSFor("job completes", `document.getElementById("job-summary") !== null`, 150*time.Second)
	do("job completed", chromedp.WaitVisible(chromedp.ID("verification")))
	if !eval("no reload", `window.__d2sMarker === 1`) {
		t.Fatal("the job page reloaded")
	}
	if !eval("100 %", `document.getElementById("job-percent").textContent.trim() === "100 %"`) {
		t.Fatal("progress did not reach 100 %")
	}
	if !eval("log lines", `document.querySelectorAll("#log-lines .log-line").length >= 4`) {
		t.Fatal("the log window did not fill")
	}
	if st.fake != nil && !eval("progress moved", `new Set(window.__d2sPercents).size >= 3`) {
		percents, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__d2sPercents`))
		t.Fatalf("the progress bar did not move through intermediate values: %v", percents)
	}
	shot("08-job-completed")

	// History, overview.
	do("history", chromedp.Navigate(st.url+"/jobs"), chromedp.WaitVisible(chromedp.ID("history-table")))
	if !eval("history row", fmt.Sprintf(`[...document.querySelectorAll(".history-row")].some(r => r.textContent.includes(%q))`, cfgName)) {
		t.Fatal("the job is not in the history")
	}
	shot("09-history")
	do("overview", chromedp.Navigate(st.url+"/"), chromedp.WaitVisible(chromedp.ID("stats")))
	waitJS("chart drawn", `typeof Chart !== "undefined" && Chart.getChart("activity-chart") !== undefined`)
	shot("10-overview")

	// Switch to French.
	do("switch to French", chromedp.Click(chromedp.ID("lang-fr")), chromedp.WaitVisible(chromedp.ID("stats")))
	waitJS("French", `document.documentElement.lang === "fr" && document.body.textContent.includes("Vue d’ensemble")`)
	shot("11-overview-fr")
	do("history in French", chromedp.Navigate(st.url+"/jobs"), chromedp.WaitVisible(chromedp.ID("history-table")))
	if !eval("French history", `document.body.textContent.includes("Historique")`) {
		t.Fatal("history is not in French")
	}
	shot("12-history-fr")
}

// fieldMessageJS is true once the form shows a non-empty message for field, right after the field's input
// (marked invalid) inside the same form group, as a person reads it.
func fieldMessageJS(field string) string {
	return fmt.Sprintf(`(() => {
		const input = document.getElementById(%[1]q);
		const msg = document.querySelector('.field-error[data-field=%[1]q]');
		return input !== null && msg !== null && input.classList.contains("is-invalid") &&
			msg.textContent.trim().length > 3 && input.parentElement.contains(msg);
	})()`, field)
}
