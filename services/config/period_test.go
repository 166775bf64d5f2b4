package config

import "testing"

func TestIsPeriodID(t *testing.T) {
	cases := map[string]bool{
		"2024": true, "2024April": true, "2024July": true, "2024Oct": true, "2024Nov": true, "2024Sep": true,
		"202401": true, "202412": true, "2024-01": true, "202401B": true, "202406B": true,
		"2024W1": true, "2024W05": true, "2024W53": true, "2024WedW5": true, "2024ThuW5": true, "2024SatW5": true,
		"2024SunW52": true, "2024BiW1": true, "2024BiW27": true, "2024Q1": true, "2024Q4": true, "2024NovQ2": true,
		"2024S1": true, "2024S2": true, "2024AprilS1": true, "2024NovS2": true, "20240115": true, "2024-01-15": true,
		"20240229": true,

		"": false, "24": false, "0999": false, "202413": false, "202400": false, "2024-13": false, "202407B": false,
		"2024W0": false, "2024W54": false, "2024MonW5": false, "2024BiW28": false, "2024Q5": false, "2024Q0": false,
		"2024S3": false, "2024AprilS3": false, "20230229": false, "20241301": false, "2024-0115": false,
		"2024-01-32": false, "2024March": false, "LAST_12_MONTHS": false, "2024q1": false, " 2024": false,
		"2024Q1 ": false, "abcd": false, "2024W": false,
	}
	for in, want := range cases {
		if got := isPeriodID(in); got != want {
			t.Errorf("isPeriodID(%q) = %v, want %v", in, got, want)
		}
	}
}
