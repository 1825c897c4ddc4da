package stream

import (
	"errors"
	"fmt"

	"github.com/natsbridge/bridge/artifact"
)

// Check validates one artifact, returning an error describing what is wrong.
type Check func(a *artifact.Artifact) error

// Validate returns middleware that runs every check and rejects the artifact
// with all their errors joined, matching ErrInvalid.
func Validate(checks ...Check) Middleware {
	return func(a *artifact.Artifact) (*artifact.Artifact, error) {
		var errs []error
		for _, c := range checks {
			if err := c(a); err != nil {
				errs = append(errs, err)
			}
		}
		if errs != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
		}
		return a, nil
	}
}

// MaxPayload checks that the payload is at most n bytes.
func MaxPayload(n int) Check {
	return func(a *artifact.Artifact) error {
		if len(a.Payload) > n {
			return fmt.Errorf("payload of %d bytes exceeds %d", len(a.Payload), n)
		}
		return nil
	}
}

// NonEmptyPayload checks that the payload is not empty.
func NonEmptyPayload(a *artifact.Artifact) error {
	if len(a.Payload) == 0 {
		return errors.New("empty payload")
	}
	return nil
}

// RequireMeta checks that every key has a value.
func RequireMeta(keys ...string) Check {
	return func(a *artifact.Artifact) error {
		for _, k := range keys {
			if _, ok := a.Meta.Lookup(k); !ok {
				return fmt.Errorf("metadata %q missing", k)
			}
		}
		return nil
	}
}

// RequireSubject checks that the subject is set.
func RequireSubject(a *artifact.Artifact) error {
	if a.Subject == "" {
		return errors.New("empty subject")
	}
	return nil
}
