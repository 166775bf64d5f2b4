package instanceregistry

import (
	"context"
	"fmt"
	"log/slog"
)

// sealContext binds a sealed secret to its instance, so that a ciphertext copied to another row fails to
// open.
func sealContext(id string) []byte { return []byte("dhis2sync/instance-registry/instance/" + id) }

// seal stores the secret of creds (the password or the token) sealed under the current key.
func (s *Server) seal(in *instance, creds credentials) error {
	secret := creds.Password
	if in.AuthType == authToken {
		secret = creds.Token
	}
	sealed, err := s.box.Seal([]byte(secret), sealContext(in.ID))
	if err != nil {
		return fmt.Errorf("seal secret of instance %s: %w", in.ID, err)
	}
	in.Secret, in.SecretKeyID = sealed, s.box.KeyID().String()
	return nil
}

// open returns the decrypted credentials of an instance.
func (s *Server) open(in *instance) (credentials, error) {
	plain, err := s.box.Open(in.Secret, sealContext(in.ID))
	if err != nil {
		return credentials{}, fmt.Errorf("open secret of instance %s (is DHIS2SYNC_SECRET_KEY, or DHIS2SYNC_SECRET_KEY_PREVIOUS after a rotation, the key it was sealed with?): %w", in.ID, err)
	}
	if in.AuthType == authToken {
		return credentials{Token: string(plain)}, nil
	}
	return credentials{Username: in.Username, Password: string(plain)}, nil
}

// ResealSecrets re-encrypts under the current key every secret sealed under a previous one, so that the
// previous key can be retired. Secrets that no configured key opens are logged and left alone.
func (s *Server) ResealSecrets(ctx context.Context) error {
	current := s.box.KeyID().String()
	ids, err := s.store.sealedUnderOtherKeys(ctx, current)
	if err != nil {
		return err
	}
	resealed := 0
	for _, id := range ids {
		in, err := s.store.get(ctx, id)
		if err != nil {
			return err
		}
		creds, err := s.open(in)
		if err != nil {
			s.log.ErrorContext(ctx, "cannot reseal instance secret", slog.String("instance_id", id), slog.String("error", err.Error()))
			continue
		}
		old := in.Secret
		if err := s.seal(in, creds); err != nil {
			return err
		}
		ok, err := s.store.reseal(ctx, id, old, in.Secret, in.SecretKeyID)
		if err != nil {
			return err
		}
		if ok {
			resealed++
		}
	}
	if resealed > 0 {
		s.log.InfoContext(ctx, "instance secrets resealed under the current key", slog.Int("count", resealed), slog.String("key_id", current))
	}
	return nil
}
