package dhis2

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a DHIS2 server version such as 2.40.3, 2.39.1.1 or 2.41-SNAPSHOT.
type Version struct {
	Major, Minor, Patch, Hotfix int
	Snapshot                    bool
}

// The minor versions this package speaks.
const (
	MinSupportedMinor = 36
	MaxSupportedMinor = 42
)

// versionPattern accepts what /api/system/info reports: "2.35", "2.40.2",
// "2.39.1.1", "2.41-SNAPSHOT", "2.42.0-rc1", optionally prefixed by "v".
var versionPattern = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.\-]+)?`)

// ParseVersion parses a DHIS2 version string tolerantly: trailing build
// qualifiers are ignored except -SNAPSHOT, which is kept as a flag.
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("dhis2: %q is not a DHIS2 version (expected a form like 2.40 or 2.40.3)", s)
	}
	var v Version
	nums := []*int{&v.Major, &v.Minor, &v.Patch, &v.Hotfix}
	for i, p := range nums {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return Version{}, fmt.Errorf("dhis2: version %q: component %q is too large", s, m[i+1])
		}
		*p = n
	}
	v.Snapshot = strings.EqualFold(m[5], "-SNAPSHOT")
	return v, nil
}

// MustParseVersion is ParseVersion for constants in tables and tests.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Compare returns -1, 0 or +1. A snapshot sorts before the release with the
// same numbers, as 2.41-SNAPSHOT precedes 2.41.0.
func (v Version) Compare(o Version) int {
	a := [4]int{v.Major, v.Minor, v.Patch, v.Hotfix}
	b := [4]int{o.Major, o.Minor, o.Patch, o.Hotfix}
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Snapshot == o.Snapshot:
		return 0
	case v.Snapshot:
		return -1
	default:
		return 1
	}
}

// Less reports whether v precedes o.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// AtLeast reports whether v is o or later.
func (v Version) AtLeast(o Version) bool { return v.Compare(o) >= 0 }

// IsZero reports whether v is the zero Version (unknown).
func (v Version) IsZero() bool { return v == Version{} }

// Supported reports whether v lies in the range this package speaks (2.36–2.42).
func (v Version) Supported() bool {
	return v.Major == 2 && v.Minor >= MinSupportedMinor && v.Minor <= MaxSupportedMinor
}

// APIVersion is the minor number used in versioned paths such as /api/40/.
func (v Version) APIVersion() int { return v.Minor }

func (v Version) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Hotfix > 0 {
		fmt.Fprintf(&b, ".%d", v.Hotfix)
	}
	if v.Snapshot {
		b.WriteString("-SNAPSHOT")
	}
	return b.String()
}

// MarshalText lets versions appear as strings in JSON and logs.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses with ParseVersion.
func (v *Version) UnmarshalText(b []byte) error {
	p, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}
