package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
)

var errHelp = errors.New("help requested")

// settings are the command-line options of dhis2sim.
type settings struct {
	addr, version, username, password, token string
	seed, scale, costModel, faults, state    string
	randomSeed                               int64
	counts                                   demodata.Scale
}

const usageHeader = `dhis2sim serves a simulated DHIS2 Web API (versions 2.36–2.42) at the root of --addr.

Fault spec (--faults, or POST /__sim/faults at runtime): rules separated by ";", each
  ACTION[@[METHOD ]PATTERN][,after=N][,times=N][,p=P]
ACTION is status=CODE, delay=DURATION, drop (close the connection), truncate (send half the body),
or html (a 200 login page instead of JSON). PATTERN globs the path ("*" matches anything).
after=N skips the first N matching requests, times=N fires at most N times, p=P fires with probability P
(deterministic under --random-seed). Example:
  status=503@/api/dataValueSets,after=2,times=1;delay=2s@POST /api/metadata;drop@/api/tracker/*,p=0.1
Admin endpoints: GET/POST/DELETE /__sim/faults, GET /__sim/stats.

Flags:
`

func parseSettings(args []string, out io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("dhis2sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usageHeader)
		fs.PrintDefaults()
	}
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8081", "listen address")
	fs.StringVar(&s.version, "version", "2.41.0", "simulated DHIS2 version (2.36.x–2.42.x)")
	fs.StringVar(&s.username, "username", "admin", "superuser name (Basic auth)")
	fs.StringVar(&s.password, "password", "district", "superuser password")
	fs.StringVar(&s.token, "token", "", "accepted personal access token d2pat_… (2.37+)")
	fs.StringVar(&s.seed, "seed", "empty", "initial content: empty or demo")
	fs.StringVar(&s.scale, "scale", "small", "demo data scale: small, medium or large")
	fs.IntVar(&s.counts.OrgUnits, "org-units", 0, "override the scale's org unit count")
	fs.IntVar(&s.counts.DataElements, "data-elements", 0, "override the scale's data element count")
	fs.IntVar(&s.counts.DataValues, "data-values", -1, "override the scale's data value count")
	fs.IntVar(&s.counts.Events, "events", -1, "override the scale's event count")
	fs.IntVar(&s.counts.TrackedEntities, "tracked-entities", -1, "override the scale's tracked entity count")
	fs.StringVar(&s.costModel, "cost-model", "none", "latency model: none or a profile ("+strings.Join(dhis2sim.CostProfiles(), ", ")+"), optionally scaled as 2.41*0.1")
	fs.StringVar(&s.faults, "faults", "", "fault spec (see above)")
	fs.StringVar(&s.state, "state", "", "snapshot file read at start and written at stop")
	fs.Int64Var(&s.randomSeed, "random-seed", 1, "seed for demo data, generated UIDs and fault probabilities")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, errHelp
		}
		return s, err
	}
	if s.seed != "empty" && s.seed != "demo" {
		return s, fmt.Errorf("--seed must be empty or demo, not %q", s.seed)
	}
	return s, nil
}

func (s settings) demoScale() (demodata.Scale, error) {
	sc, err := demodata.ScaleByName(s.scale)
	if err != nil {
		return sc, err
	}
	if s.counts.OrgUnits > 0 {
		sc.OrgUnits, sc.Name = s.counts.OrgUnits, "custom"
	}
	if s.counts.DataElements > 0 {
		sc.DataElements, sc.Name = s.counts.DataElements, "custom"
	}
	for _, c := range []struct{ src, dst *int }{{&s.counts.DataValues, &sc.DataValues}, {&s.counts.Events, &sc.Events}, {&s.counts.TrackedEntities, &sc.TrackedEntities}} {
		if *c.src >= 0 {
			*c.dst, sc.Name = *c.src, "custom"
		}
	}
	return sc, nil
}

func run(ctx context.Context, s settings, log *slog.Logger) error {
	srv, err := newServer(s, log)
	if err != nil {
		return err
	}
	err = serve(ctx, s.addr, srv, log)
	if s.state != "" {
		if serr := srv.SaveState(s.state); serr != nil {
			return errors.Join(err, fmt.Errorf("save state: %w", serr))
		}
	}
	return err
}

// newServer builds the simulator the settings describe: restored from --state when the file exists, else
// seeded with the demo through dhis2sim.LoadDemo (the same path tests use) or left empty.
func newServer(s settings, log *slog.Logger) (*dhis2sim.Server, error) {
	cost, err := dhis2sim.ParseCostModel(s.costModel)
	if err != nil {
		return nil, err
	}
	faults, err := dhis2sim.ParseFaults(s.faults)
	if err != nil {
		return nil, err
	}
	srv, err := dhis2sim.New(dhis2sim.Options{Version: s.version, Username: s.username, Password: s.password,
		Token: s.token, Cost: cost, Faults: faults, Seed: s.randomSeed, Logger: log})
	if err != nil {
		return nil, err
	}
	loaded := false
	if s.state != "" {
		if loaded, err = srv.LoadState(s.state); err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
	}
	if s.seed == "demo" && !loaded {
		sc, err := s.demoScale()
		if err != nil {
			return nil, err
		}
		if err := srv.LoadDemo(demodata.New(s.randomSeed, sc)); err != nil {
			return nil, fmt.Errorf("load demo data: %w", err)
		}
		log.Info("demo data loaded", slog.String("scale", sc.Name), slog.Int("data_values", srv.DataValueCount()))
	}
	return srv, nil
}
