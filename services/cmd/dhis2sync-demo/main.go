// Command dhis2sync-demo drives a running dhis2sync stack through its REST API the way an administrator would:
// it registers a source and a destination DHIS2, tests them, creates a configuration, launches it and prints
// the outcome. `make demo` runs it against two simulated DHIS2 instances.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	env, err := settings.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	gateway := flag.String("gateway", env.GatewayURL, "gateway URL")
	user := flag.String("user", env.AdminUser, "platform user")
	password := flag.String("password", env.AdminPassword, "platform password")
	source := flag.String("source", "http://127.0.0.1:8081", "source DHIS2 base URL")
	dest := flag.String("destination", "http://127.0.0.1:8082", "destination DHIS2 base URL")
	syncType := flag.String("type", "SYNC_TYPE_COMPLETE", "sync type of the demo configuration (default: metadata, then tracker, events and aggregate data)")
	timeout := flag.Duration("timeout", 15*time.Minute, "how long to wait for the job")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *gateway, *user, *password, *source, *dest, *syncType); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, gateway, user, password, sourceURL, destURL, syncType string) error {
	c, err := apiclient.New(gateway, nil).SignIn(ctx, user, password)
	if err != nil {
		return fmt.Errorf("sign in to %s as %s: %w", gateway, user, err)
	}
	src, err := ensureInstance(ctx, c, "Demo source (national)", sourceURL, true, false)
	if err != nil {
		return err
	}
	dst, err := ensureInstance(ctx, c, "Demo destination (training)", destURL, false, true)
	if err != nil {
		return err
	}
	for _, in := range []*instancev1.Instance{src, dst} {
		res, err := c.TestInstance(ctx, in.GetId())
		if err != nil {
			return fmt.Errorf("test %s: %w", in.GetName(), err)
		}
		if !res.GetOk() {
			return fmt.Errorf("%s at %s: %s", in.GetName(), in.GetBaseUrl(), res.GetMessage())
		}
		fmt.Printf("  %-30s %s  DHIS2 %s (%s)\n", in.GetName(), in.GetBaseUrl(), res.GetVersion(), res.GetSystemName())
	}
	st, ok := configv1.SyncType_value[syncType]
	if !ok {
		return fmt.Errorf("unknown sync type %q", syncType)
	}
	cfg, err := c.CreateConfig(ctx, &configv1.Config{
		Name:                   fmt.Sprintf("Demo %s %s", strings.ToLower(strings.TrimPrefix(syncType, "SYNC_TYPE_")), time.Now().Format("2006-01-02 15:04:05")),
		Description:            "Created by make demo",
		SourceInstanceId:       src.GetId(),
		DestinationInstanceIds: []string{dst.GetId()},
		SyncType:               configv1.SyncType(st),
	})
	if err != nil {
		return fmt.Errorf("create configuration: %w", err)
	}
	fmt.Printf("  configuration %q created\n", cfg.GetName())
	job, err := c.LaunchConfig(ctx, &orchestratorv1.LaunchConfigRequest{ConfigId: cfg.GetId(), DryRun: false})
	if err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	fmt.Printf("  job %s launched\n", job.GetId())
	start := time.Now()
	last := ""
	job, err = c.WaitJob(ctx, job.GetId(), func(j *orchestratorv1.Job) {
		line := fmt.Sprintf("  %-28s %5.1f%%  %d/%d items", strings.TrimPrefix(j.GetStatus().String(), "JOB_STATUS_"),
			j.GetProgress().GetPercent(), j.GetProgress().GetProcessed(), j.GetProgress().GetPlanned())
		if line != last {
			fmt.Println(line)
			last = line
		}
	})
	if err != nil {
		return err
	}
	k := job.GetCounters()
	fmt.Printf("  finished in %s: %s — created %d, updated %d, deleted %d, ignored %d, errors %d\n",
		time.Since(start).Round(100*time.Millisecond), job.GetStatus(), k.GetCreated(), k.GetUpdated(), k.GetDeleted(), k.GetIgnored(), k.GetErrors())
	if v := job.GetVerification(); v != nil {
		fmt.Printf("  verification passed: %v (%d differences)\n", v.GetPassed(), v.GetDifferenceCount())
	}
	if m := job.GetMessage(); m != "" {
		fmt.Printf("  %s\n", m)
	}
	return nil
}

// ensureInstance returns the instance with that name, registering it with the simulator's demo credentials
// the first time, so that running the demo twice does not fail.
func ensureInstance(ctx context.Context, c *apiclient.Client, name, baseURL string, source, dest bool) (*instancev1.Instance, error) {
	list, err := c.ListInstances(ctx)
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	for _, in := range list {
		if in.GetName() == name {
			return in, nil
		}
	}
	in, err := c.CreateInstance(ctx, &instancev1.CreateInstanceRequest{
		Name: name, BaseUrl: baseURL, Username: "admin", Password: "district", IsSource: source, IsDestination: dest,
	})
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	return in, nil
}
