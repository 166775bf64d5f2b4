package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDashboardAgainstRealStack runs the dashboard's browser test (frontend/e2e, headless Chromium) against the
// real services and two simulated DHIS2 instances instead of its fake gateway: sign in, add and test two
// instances, create a configuration, launch it and watch it complete, history, French.
func TestDashboardAgainstRealStack(t *testing.T) {
	st := Start(t)
	src := StartSim(t, "2.39.1", "--seed", "demo", "--scale", "small")
	dst := StartSim(t, "2.41.0")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the browser test is run with the go command: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goBin, "test", "-count=1", "-run", "^TestDashboardInBrowser$",
		"github.com/dhis2sync/dhis2sync/frontend/e2e")
	cmd.Env = append(os.Environ(),
		"DHIS2SYNC_E2E_GATEWAY_URL="+st.GatewayURL,
		"DHIS2SYNC_E2E_ADMIN_PASSWORD="+st.AdminPassword,
		"DHIS2SYNC_E2E_SOURCE_URL="+src.URL,
		"DHIS2SYNC_E2E_DESTINATION_URL="+dst.URL,
	)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "SKIP") || strings.Contains(string(out), "no tests to run") {
		t.Fatalf("browser test against the real stack: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
