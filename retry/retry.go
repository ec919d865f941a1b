// Package retry is the project's one retry loop: exponential backoff with
// full jitter, bounded in attempts and in time, and stopped by the context.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Policy says how often and how long to retry. The zero value retries
// forever with delays from 100 ms up to 10 s.
type Policy struct {
	Initial  time.Duration // first delay bound; default 100 ms
	Max      time.Duration // largest delay bound; default 10 s
	Attempts int           // total attempts, the first included; 0: unbounded
	Within   time.Duration // give up once this much time has passed; 0: unbounded
}

// Do calls fn until it returns nil, ctx ends, the policy's bound is reached
// or retryable(err) is false (nil retryable: every error is retryable). It
// returns fn's last error, or ctx's error if ctx ended first. Between
// attempts it sleeps a random time in [0, bound), the bound doubling from
// Initial up to Max ("full jitter"), so that many clients that failed
// together do not retry together.
func Do(ctx context.Context, p Policy, retryable func(error) bool, fn func(context.Context) error) error {
	if p.Initial <= 0 {
		p.Initial = 100 * time.Millisecond
	}
	if p.Max < p.Initial {
		p.Max = max(10*time.Second, p.Initial)
	}
	start := time.Now()
	bound := p.Initial
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if _, ok := errors.AsType[permanent](err); ok || (retryable != nil && !retryable(err)) {
			return err
		}
		if p.Attempts > 0 && attempt >= p.Attempts {
			return err
		}
		delay := time.Duration(rand.Int64N(int64(bound))) + time.Millisecond
		if p.Within > 0 && time.Since(start)+delay > p.Within {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		bound = min(2*bound, p.Max)
	}
}

// permanent marks an error that no retry can help.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Do returns it at once.
func Permanent(err error) error { return permanent{err} }
