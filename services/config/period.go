package config

import (
	"regexp"
	"strconv"
	"time"
)

// periodFormats are the fixed DHIS2 period ids, as parsed by DHIS2's Period.Input.of
// (dhis2-core dhis-api/src/main/java/org/hisp/dhis/period/Period.java). Each pattern captures the year and,
// where the type has one, the number inside the year, which must lie in [min, max]; daily ids capture a date.
// Sep, NovQ and NovS exist only in recent DHIS2 versions; an older destination rejects them itself (E7611).
var periodFormats = []struct {
	re       *regexp.Regexp
	min, max int
	daily    bool
}{
	{re: regexp.MustCompile(`^(\d{4})$`)},                                                // yearly: 2024
	{re: regexp.MustCompile(`^(\d{4})(?:April|July|Sep|Oct|Nov)$`)},                      // financial year: 2024April
	{re: regexp.MustCompile(`^(\d{4})(\d{2})$`), min: 1, max: 12},                        // monthly: 202401
	{re: regexp.MustCompile(`^(\d{4})-(\d{2})$`), min: 1, max: 12},                       // monthly: 2024-01
	{re: regexp.MustCompile(`^(\d{4})(\d{2})B$`), min: 1, max: 6},                        // bi-monthly: 202401B
	{re: regexp.MustCompile(`^(\d{4})(?:Wed|Thu|Sat|Sun)?W(\d{1,2})$`), min: 1, max: 53}, // weekly: 2024W5, 2024SunW12
	{re: regexp.MustCompile(`^(\d{4})BiW(\d{1,2})$`), min: 1, max: 27},                   // bi-weekly: 2024BiW1
	{re: regexp.MustCompile(`^(\d{4})(?:Nov)?Q(\d)$`), min: 1, max: 4},                   // quarterly: 2024Q1, 2024NovQ1
	{re: regexp.MustCompile(`^(\d{4})(?:April|Nov)?S(\d)$`), min: 1, max: 2},             // six-monthly: 2024S1, 2024AprilS2
	{re: regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`), daily: true},                     // daily: 20240115
	{re: regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`), daily: true},                   // daily: 2024-01-15
}

// isPeriodID reports whether s is a fixed DHIS2 period id in the ISO calendar.
func isPeriodID(s string) bool {
	for _, f := range periodFormats {
		m := f.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if year, _ := strconv.Atoi(m[1]); year < 1000 {
			return false
		}
		switch {
		case f.daily:
			_, err := time.Parse("20060102", m[1]+m[2]+m[3])
			return err == nil
		case len(m) > 2:
			n, _ := strconv.Atoi(m[2])
			return n >= f.min && n <= f.max
		}
		return true
	}
	return false
}
