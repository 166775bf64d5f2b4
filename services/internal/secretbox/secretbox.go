// Package secretbox encrypts small secrets (DHIS2 passwords and tokens) with AES-256-GCM.
//
// A sealed secret names the key that sealed it, so keys can be rotated: a Box opens ciphertexts made under its
// current key or any of its previous keys, and always seals under the current one. The layout is
//
//	version (1 byte, 0x01) | key id (8 bytes) | nonce (12 bytes) | ciphertext and GCM tag
//
// where the key id is the first 8 bytes of SHA-256 of the key. The version and key id are authenticated as
// additional data, together with a caller-supplied context (for example the row the secret belongs to), so a
// ciphertext cannot be moved to another row or have its header altered without failing to open.
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

const (
	formatV1   byte = 0x01
	keyIDSize       = 8
	nonceSize       = 12
	headerSize      = 1 + keyIDSize + nonceSize
)

var (
	// ErrUnknownKey means the ciphertext was sealed under a key this Box does not hold.
	ErrUnknownKey = errors.New("secretbox: sealed under an unknown key")
	// ErrOpen means the ciphertext is malformed, was tampered with or belongs to another context.
	ErrOpen = errors.New("secretbox: cannot open ciphertext")
)

// KeyID identifies a key without revealing it: the hex encoding of the first 8 bytes of its SHA-256.
type KeyID [keyIDSize]byte

func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// IDOf returns the id of key.
func IDOf(key []byte) KeyID {
	sum := sha256.Sum256(key)
	var id KeyID
	copy(id[:], sum[:keyIDSize])
	return id
}

// Box seals under one current key and opens under the current or a previous key. It is safe for concurrent
// use.
type Box struct {
	current KeyID
	aeads   map[KeyID]cipher.AEAD
}

// New returns a Box that seals under current and also opens ciphertexts sealed under any of previous. Every key
// must be KeySize bytes.
func New(current []byte, previous ...[]byte) (*Box, error) {
	b := &Box{aeads: make(map[KeyID]cipher.AEAD, 1+len(previous))}
	for i, key := range append([][]byte{current}, previous...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secretbox: key %d is %d bytes, want %d", i, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		id := IDOf(key)
		if i == 0 {
			b.current = id
		}
		if _, dup := b.aeads[id]; !dup {
			b.aeads[id] = aead
		}
	}
	return b, nil
}

// KeyID is the id of the key Seal uses.
func (b *Box) KeyID() KeyID { return b.current }

// Seal encrypts plaintext under the current key, binding it to context (which Open must be given again).
func (b *Box) Seal(plaintext, context []byte) ([]byte, error) {
	out := make([]byte, headerSize, headerSize+len(plaintext)+16)
	out[0] = formatV1
	copy(out[1:], b.current[:])
	if _, err := rand.Read(out[1+keyIDSize : headerSize]); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	aead := b.aeads[b.current]
	nonce := out[1+keyIDSize : headerSize]
	return aead.Seal(out, nonce, plaintext, additionalData(out[:1+keyIDSize], context)), nil
}

// Open decrypts a ciphertext made by Seal with the same context.
func (b *Box) Open(ciphertext, context []byte) ([]byte, error) {
	id, err := SealedBy(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := b.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownKey, id)
	}
	nonce := ciphertext[1+keyIDSize : headerSize]
	plain, err := aead.Open(nil, nonce, ciphertext[headerSize:], additionalData(ciphertext[:1+keyIDSize], context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// SealedBy returns the id of the key a ciphertext was sealed under, without opening it.
func SealedBy(ciphertext []byte) (KeyID, error) {
	var id KeyID
	if len(ciphertext) < headerSize+16 || ciphertext[0] != formatV1 {
		return id, fmt.Errorf("%w: not a sealed secret of a known format", ErrOpen)
	}
	copy(id[:], ciphertext[1:1+keyIDSize])
	return id, nil
}

// NeedsReseal reports whether a ciphertext was sealed under a key other than the current one.
func (b *Box) NeedsReseal(ciphertext []byte) bool {
	id, err := SealedBy(ciphertext)
	return err == nil && id != b.current
}

func additionalData(header, context []byte) []byte {
	return bytes.Join([][]byte{header, context}, nil)
}
