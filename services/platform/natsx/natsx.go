// Package natsx holds dhis2sync's NATS JetStream contract (docs/architecture.md): stream names, subjects and the one
// way to connect and make sure the streams exist. Subjects are a public contract for monitoring tools.
package natsx

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Streams and their subjects.
const (
	BatchesStream = "DHIS2SYNC_BATCHES"
	ResultsStream = "DHIS2SYNC_RESULTS"
	EventsStream  = "DHIS2SYNC_EVENTS"

	batchPrefix  = "dhis2sync.batch."
	resultPrefix = "dhis2sync.result."
	eventPrefix  = "dhis2sync.event."
)

// BatchSubject is where the extractor publishes a step's batches.
func BatchSubject(job, step string) string { return batchPrefix + token(job) + "." + token(step) }

// BatchMsgID is the deduplication id of a batch: a replay of the same batch is dropped by JetStream.
func BatchMsgID(job, step string, seq int64) string {
	return fmt.Sprintf("%s.%s.%d", token(job), token(step), seq)
}

// ResultSubject is where the loader publishes import results of a step.
func ResultSubject(job, step string) string { return resultPrefix + token(job) + "." + token(step) }

// JobEventSubject carries a job's state changes, progress and log lines.
func JobEventSubject(job string) string { return eventPrefix + "job." + token(job) }

// InstanceEventSubject carries an instance's health changes.
func InstanceEventSubject(id string) string { return eventPrefix + "instance." + token(id) }

// token keeps an id usable as one subject token (ids are UUIDs; this guards against dots and wildcards).
func token(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\n', '\r':
			return '_'
		}
		return r
	}, s)
}

// StreamConfigs are the streams dhis2sync needs. Batches are kept 3 days so a resumed job can replay them;
// the broker deduplicates republished batches for 10 minutes.
func StreamConfigs() []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{
			Name: BatchesStream, Subjects: []string{batchPrefix + ">"}, Storage: jetstream.FileStorage,
			Retention: jetstream.LimitsPolicy, MaxAge: 72 * time.Hour, Duplicates: 10 * time.Minute,
			MaxMsgSize: 4 << 20, Description: "dhis2sync source pages, extractor to loader",
		},
		{
			Name: ResultsStream, Subjects: []string{resultPrefix + ">"}, Storage: jetstream.FileStorage,
			Retention: jetstream.LimitsPolicy, MaxAge: 7 * 24 * time.Hour, Duplicates: 10 * time.Minute,
			Description: "dhis2sync import results, loader to orchestrator",
		},
		{
			Name: EventsStream, Subjects: []string{eventPrefix + ">"}, Storage: jetstream.FileStorage,
			Retention: jetstream.LimitsPolicy, MaxAge: 7 * 24 * time.Hour,
			Description: "dhis2sync job and instance events for monitoring tools",
		},
	}
}

// Conn is a NATS connection with its JetStream context.
type Conn struct {
	*nats.Conn
	JS jetstream.JetStream
}

// Connect connects to url as name, retrying while ctx allows (NATS may start after us), and creates or
// updates the streams.
func Connect(ctx context.Context, url, name string, log *slog.Logger) (*Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name("dhis2sync-"+name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", slog.String("error", err.Error()))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", slog.String("url", c.ConnectedUrl())) }),
	)
	if err != nil {
		return nil, fmt.Errorf("nats: connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: %w", err)
	}
	c := &Conn{Conn: nc, JS: js}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err = c.EnsureStreams(ctx)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: JetStream at %s is not usable (is the server started with JetStream enabled? set DHIS2SYNC_NATS_URL): %w", url, err)
	}
	return c, nil
}

// EnsureStreams creates or updates every dhis2sync stream.
func (c *Conn) EnsureStreams(ctx context.Context) error {
	for _, cfg := range StreamConfigs() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.JS.CreateOrUpdateStream(ctx, cfg)
		cancel()
		if err != nil {
			return fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// PublishEvent publishes v as JSON on an event subject and waits for JetStream's acknowledgement.
func (c *Conn) PublishEvent(ctx context.Context, subject string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("nats: encode event: %w", err)
	}
	if _, err := c.JS.Publish(ctx, subject, data); err != nil {
		return fmt.Errorf("nats: publish %s: %w", subject, err)
	}
	return nil
}
