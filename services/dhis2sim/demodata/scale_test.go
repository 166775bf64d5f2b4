package demodata

import (
	"strings"
	"testing"
)

func TestScaleByName(t *testing.T) {
	for name, want := range map[string]Scale{"small": Small, "Medium": Medium, " large ": Large} {
		got, err := ScaleByName(name)
		if err != nil || got != want {
			t.Errorf("ScaleByName(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	_, err := ScaleByName("huge")
	if err == nil {
		t.Fatal("ScaleByName(huge) succeeded")
	}
	for _, valid := range []string{"small", "medium", "large"} {
		if !strings.Contains(err.Error(), valid) {
			t.Errorf("error %q does not list %q", err, valid)
		}
	}
}

func TestParseSeed(t *testing.T) {
	if got := ParseSeed("42"); got != 42 {
		t.Errorf("ParseSeed(42) = %d", got)
	}
	if a, b := ParseSeed("demo"), ParseSeed("demo"); a != b || a == ParseSeed("demo2") {
		t.Error("ParseSeed of words is not a stable, distinguishing hash")
	}
}
