package demodata

import "math/bits"

// mix64 is the splitmix64 finaliser. It is a bijection on uint64 with full avalanche, so it serves both as a
// hash and, keyed by an XOR, as a seed-dependent permutation of identifiers.
func mix64(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash2 and hash3 combine a key with indexes into a well-mixed 64-bit value.
func hash2(key, a uint64) uint64 { return mix64(key ^ mix64(a+0x9e3779b97f4a7c15)) }

func hash3(key, a, b uint64) uint64 { return mix64(hash2(key, a) ^ (b * 0xd6e8feb86659fd93)) }

// perm is a keyed pseudo-random permutation of [0, n): a four-round Feistel network on the smallest even
// number of bits that covers n, with cycle walking to stay inside the range. It needs no memory, so data
// streams can decide membership of any slot in O(1).
type perm struct {
	n    uint64
	half uint
	mask uint64
	key  uint64
}

func newPerm(n, key uint64) perm {
	b := uint(bits.Len64(max(n, 2) - 1))
	half := (b + 1) / 2
	return perm{n: n, half: half, mask: 1<<half - 1, key: key}
}

// at returns the image of i, which must be below n.
func (p perm) at(i uint64) uint64 {
	if p.n <= 1 {
		return i
	}
	x := i
	for {
		l, r := x>>p.half, x&p.mask
		for round := uint64(0); round < 4; round++ {
			l, r = r, l^(mix64(r^p.key^round*0x9e3779b97f4a7c15)&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}
