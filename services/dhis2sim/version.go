package dhis2sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a simulated DHIS2 server version, 2.36.x–2.42.x.
type Version struct {
	Minor int // 36 … 42
	Patch int
}

// ParseVersion parses "2.41", "2.41.3" or "2.41.3-SNAPSHOT".
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "2" {
		return Version{}, fmt.Errorf("invalid DHIS2 version %q: want 2.MINOR[.PATCH]", s)
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil {
		return Version{}, fmt.Errorf("invalid DHIS2 version %q: %w", s, err)
	}
	v := Version{Minor: minor}
	if len(parts) == 3 {
		if v.Patch, err = strconv.Atoi(parts[2]); err != nil {
			return Version{}, fmt.Errorf("invalid DHIS2 version %q: %w", s, err)
		}
	}
	if minor < 36 || minor > 42 {
		return Version{}, fmt.Errorf("unsupported DHIS2 version %q: the simulator covers 2.36–2.42", s)
	}
	return v, nil
}

// String is the form /api/system/info reports, e.g. "2.41.0".
func (v Version) String() string { return fmt.Sprintf("2.%d.%d", v.Minor, v.Patch) }

// AtLeast compares with a minor version.
func (v Version) AtLeast(minor int) bool { return v.Minor >= minor }

// DefaultAPIVersion is DhisApiVersion.DEFAULT of the server: the API version of unversioned /api paths
// (dhis2-core WebMessageControllerAdvice, DhisApiVersion; release notes 2.38: 2.37→V37, 2.38→V38, 2.39→V39, 2.40–2.42→V41).
func (v Version) DefaultAPIVersion() int {
	if v.Minor >= 40 {
		return 41
	}
	return v.Minor
}

// MaxAPIVersion is the highest /api/NN/ prefix the server accepts.
func (v Version) MaxAPIVersion() int {
	if d := v.DefaultAPIVersion(); d > v.Minor {
		return d
	}
	return v.Minor
}

// minAPIVersion is the lowest versioned prefix DhisApiVersion lists (V28).
const minAPIVersion = 28
