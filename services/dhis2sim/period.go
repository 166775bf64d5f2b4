package dhis2sim

import (
	"strconv"
	"strings"
	"time"
)

// periodRange returns the first and last day of an ISO period identifier (DHIS2 PeriodType formats):
// daily yyyyMMdd, weekly yyyyWn (and yyyyWedWn, ThuW, SatW, SunW), bi-weekly yyyyBiWn, monthly yyyyMM,
// bi-monthly yyyyMMB, quarterly yyyyQn, six-monthly yyyySn and yyyyAprilSn, yearly yyyy, financial
// yyyyApril, yyyyJuly, yyyyOct, yyyyNov.
func periodRange(p string) (time.Time, time.Time, bool) {
	if len(p) < 4 {
		return time.Time{}, time.Time{}, false
	}
	year, err := strconv.Atoi(p[:4])
	if err != nil || year < 1000 {
		return time.Time{}, time.Time{}, false
	}
	rest := p[4:]
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	monthsFrom := func(start time.Time, n int) (time.Time, time.Time, bool) {
		return start, start.AddDate(0, n, -1), true
	}
	num := func(s string, lo, hi int) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= lo && n <= hi && s != "" && s[0] != '+' && s[0] != '-'
	}
	switch {
	case rest == "":
		return monthsFrom(date(year, 1, 1), 12)
	case len(rest) == 2 && isDigits(rest):
		if m, ok := num(rest, 1, 12); ok {
			return monthsFrom(date(year, time.Month(m), 1), 1)
		}
	case len(rest) == 4 && isDigits(rest):
		m, ok1 := num(rest[:2], 1, 12)
		d, ok2 := num(rest[2:], 1, 31)
		if ok1 && ok2 {
			t := date(year, time.Month(m), d)
			if t.Day() == d {
				return t, t, true
			}
		}
	case len(rest) == 3 && rest[2] == 'B':
		if m, ok := num(rest[:2], 1, 6); ok {
			return monthsFrom(date(year, time.Month(2*m-1), 1), 2)
		}
	case strings.HasPrefix(rest, "Q"):
		if q, ok := num(rest[1:], 1, 4); ok {
			return monthsFrom(date(year, time.Month(3*q-2), 1), 3)
		}
	case strings.HasPrefix(rest, "S"):
		if h, ok := num(rest[1:], 1, 2); ok {
			return monthsFrom(date(year, time.Month(6*h-5), 1), 6)
		}
	case strings.HasPrefix(rest, "AprilS"):
		if h, ok := num(rest[6:], 1, 2); ok {
			return monthsFrom(date(year, time.Month(6*h-2), 1), 6)
		}
	case rest == "April":
		return monthsFrom(date(year, 4, 1), 12)
	case rest == "July":
		return monthsFrom(date(year, 7, 1), 12)
	case rest == "Oct":
		return monthsFrom(date(year, 10, 1), 12)
	case rest == "Nov":
		return monthsFrom(date(year, 11, 1), 12)
	case strings.HasPrefix(rest, "BiW"):
		if w, ok := num(rest[3:], 1, 27); ok {
			start := isoWeekStart(year, 2*w-1, time.Monday)
			return start, start.AddDate(0, 0, 13), true
		}
	default:
		for _, v := range []struct {
			prefix string
			day    time.Weekday
		}{{"W", time.Monday}, {"WedW", time.Wednesday}, {"ThuW", time.Thursday}, {"SatW", time.Saturday}, {"SunW", time.Sunday}} {
			if strings.HasPrefix(rest, v.prefix) {
				if w, ok := num(rest[len(v.prefix):], 1, 53); ok {
					start := isoWeekStart(year, w, v.day)
					if w == 53 {
						if _, lastWeek := start.AddDate(0, 0, 3).ISOWeek(); lastWeek != 53 && v.day == time.Monday {
							return time.Time{}, time.Time{}, false
						}
					}
					return start, start.AddDate(0, 0, 6), true
				}
			}
		}
	}
	return time.Time{}, time.Time{}, false
}

// isoWeekStart returns the first day of week w of year, for weeks starting on startDay (the week containing
// the year's first Thursday-equivalent, as ISO 8601 does for Monday weeks).
func isoWeekStart(year, w int, startDay time.Weekday) time.Time {
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	offset := (int(jan4.Weekday()) - int(startDay) + 7) % 7
	first := jan4.AddDate(0, 0, -offset)
	return first.AddDate(0, 0, 7*(w-1))
}
