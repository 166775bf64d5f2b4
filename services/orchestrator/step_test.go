package orchestrator

import "testing"

func TestWatermarkResourcesKeepTrackerEventsApart(t *testing.T) {
	tracker := watermarkResources(&stepRow{Kind: kindTracker, Resources: []string{"trackedEntities", "events"}})
	events := watermarkResources(&stepRow{Kind: kindEvents, Resources: []string{"events"}})
	for _, r := range tracker {
		if r == events[0] {
			t.Fatalf("tracker and events steps share the watermark %q", r)
		}
	}
	if d := watermarkResources(&stepRow{Kind: kindDeletions, Resources: []string{"dataElements"}}); len(d) != 1 || d[0] != "deletedObjects" {
		t.Fatalf("deletions watermark %v", d)
	}
}
