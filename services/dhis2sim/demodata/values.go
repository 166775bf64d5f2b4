package demodata

import (
	"math"
	"strconv"
)

// Precomputed value strings, so that streaming a value never formats a number. Index them with the low bits
// of a hash: the tables are skewed the way health counts are (many small numbers, a long tail).
const valueTableSize = 1024

var (
	countValues      [valueTableSize]string // 0 … ~600
	positiveValues   [valueTableSize]string // 1 … ~600
	decimalValues    [valueTableSize]string // 0.0 … ~250.0, one decimal
	percentageValues [valueTableSize]string // 0 … 100
	booleanValues    = [2]string{"false", "true"}
	// Tables without zero, for data elements whose zeroIsSignificant is false: DHIS2 does not store their
	// zeros (ValidationUtils.dataValueIsZeroAndInsignificant), so generating them would make the data set
	// differ from what an import keeps.
	decimalNonZero    [valueTableSize]string
	percentageNonZero [valueTableSize]string
)

func init() {
	for i := range valueTableSize {
		u := float64(i) / valueTableSize
		// A permutation of i spreads small and large values over the table, so consecutive hashes do not
		// produce sorted runs.
		j := (i * 389) % valueTableSize
		n := int(math.Pow(600, u)) - 1
		countValues[j] = strconv.Itoa(n)
		positiveValues[j] = strconv.Itoa(n + 1)
		decimalValues[j] = strconv.FormatFloat(math.Round(math.Pow(2500, u)-1)/10, 'f', 1, 64)
		percentageValues[j] = strconv.Itoa(int(math.Round(100 * math.Sqrt(u))))
		decimalNonZero[j], percentageNonZero[j] = decimalValues[j], percentageValues[j]
		if decimalNonZero[j] == "0.0" {
			decimalNonZero[j] = "0.1"
		}
		if percentageNonZero[j] == "0" {
			percentageNonZero[j] = "1"
		}
	}
}

// valueSource yields values of one value type: a table, or an option set's codes.
type valueSource struct {
	table   []string
	options []string
}

func (s valueSource) value(h uint64) string {
	if s.options != nil {
		return s.options[h%uint64(len(s.options))]
	}
	return s.table[h%uint64(len(s.table))]
}

// valueSourceFor returns the source for a data element's value type (and option set, if any).
func (m *model) valueSourceFor(de dataElement) valueSource {
	if de.optionSet >= 0 {
		var codes []string
		for _, o := range m.optionSets[de.optionSet].options {
			codes = append(codes, o.code)
		}
		return valueSource{options: codes}
	}
	switch de.valueType {
	case vtIntPos:
		return valueSource{table: positiveValues[:]}
	case vtNumber:
		if !de.zeroSig {
			return valueSource{table: decimalNonZero[:]}
		}
		return valueSource{table: decimalValues[:]}
	case vtPercentage:
		if !de.zeroSig {
			return valueSource{table: percentageNonZero[:]}
		}
		return valueSource{table: percentageValues[:]}
	case vtBoolean:
		return valueSource{table: booleanValues[:]}
	case vtTrueOnly:
		return valueSource{table: booleanValues[1:]}
	default:
		if !de.zeroSig {
			return valueSource{table: positiveValues[:]}
		}
		return valueSource{table: countValues[:]}
	}
}
