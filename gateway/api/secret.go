package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

const (
	minPasswordLen = 8
	maxPasswordLen = 72 // bcrypt ignores (and x/crypto rejects) anything longer
)

// dummyHash is compared against when a username is unknown, so that a failed sign-in takes as long whether or
// not the user exists and response times do not reveal usernames.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("dhis2sync-no-such-user"), bcrypt.DefaultCost)

func hashPassword(password string) (string, error) {
	if len(password) > maxPasswordLen {
		return "", fmt.Errorf("the password is longer than %d bytes", maxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// checkPassword reports whether password matches hash; an empty hash stands for an unknown user.
func checkPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// newToken returns 32 random bytes as URL-safe text, what the client sends back as its bearer token.
func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// hashToken is what the database stores: a leaked tokens table cannot be replayed as bearer tokens.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
