package natsx

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

func TestSubjects(t *testing.T) {
	tests := map[string]string{
		BatchSubject("job1", "step2"):        "dhis2sync.batch.job1.step2",
		BatchMsgID("job1", "step2", 7):       "job1.step2.7",
		ResultSubject("job1", "step2"):       "dhis2sync.result.job1.step2",
		JobEventSubject("job1"):              "dhis2sync.event.job.job1",
		InstanceEventSubject("a.b*c>"):       "dhis2sync.event.instance.a_b_c_",
		BatchSubject("j", "dataValues 2024"): "dhis2sync.batch.j.dataValues_2024",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestConnectCreatesStreamsAndPublishes(t *testing.T) {
	url := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Connect(ctx, url, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, cfg := range StreamConfigs() {
		if _, err := c.JS.Stream(ctx, cfg.Name); err != nil {
			t.Errorf("stream %s: %v", cfg.Name, err)
		}
	}
	if err := c.PublishEvent(ctx, JobEventSubject("j1"), map[string]string{"kind": "state"}); err != nil {
		t.Fatal(err)
	}
	s, _ := c.JS.Stream(ctx, EventsStream)
	msg, err := s.GetLastMsgForSubject(ctx, JobEventSubject("j1"))
	if err != nil || string(msg.Data) != `{"kind":"state"}` {
		t.Fatalf("stored event %v, %v", msg, err)
	}
	// Connecting again (another service) keeps the streams as they are.
	c2, err := Connect(ctx, url, "test2", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}
