package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/retry"
)

var errBoom = errors.New("boom")

func TestDoStopsAtSuccess(t *testing.T) {
	n := 0
	err := retry.Do(context.Background(), retry.Policy{Initial: time.Millisecond}, nil, func(context.Context) error {
		n++
		if n < 3 {
			return errBoom
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("err %v after %d calls, want nil after 3", err, n)
	}
}

func TestDoBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    retry.Policy
		want int
	}{
		{"attempts", retry.Policy{Initial: time.Millisecond, Attempts: 4}, 4},
		{"one attempt", retry.Policy{Attempts: 1}, 1},
	} {
		n := 0
		err := retry.Do(context.Background(), tc.p, nil, func(context.Context) error { n++; return errBoom })
		if !errors.Is(err, errBoom) || n != tc.want {
			t.Errorf("%s: err %v after %d calls, want boom after %d", tc.name, err, n, tc.want)
		}
	}
	start := time.Now()
	err := retry.Do(context.Background(), retry.Policy{Initial: 5 * time.Millisecond, Within: 50 * time.Millisecond}, nil,
		func(context.Context) error { return errBoom })
	if !errors.Is(err, errBoom) || time.Since(start) > 2*time.Second {
		t.Fatalf("within: err %v after %s", err, time.Since(start))
	}
}

func TestDoStopsAtPermanentErrorAndContext(t *testing.T) {
	n := 0
	permanent := errors.New("permanent")
	err := retry.Do(context.Background(), retry.Policy{Initial: time.Millisecond}, func(err error) bool { return err != permanent },
		func(context.Context) error { n++; return permanent })
	if err != permanent || n != 1 {
		t.Fatalf("permanent: err %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = retry.Do(ctx, retry.Policy{Initial: time.Hour}, nil, func(context.Context) error { n++; cancel(); return errBoom })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("cancelled: err %v after %d calls", err, n)
	}
}

func TestPermanentStopsAtOnce(t *testing.T) {
	n := 0
	err := retry.Do(context.Background(), retry.Policy{Initial: time.Millisecond}, nil, func(context.Context) error {
		n++
		return retry.Permanent(errBoom)
	})
	if !errors.Is(err, errBoom) || n != 1 {
		t.Fatalf("err %v after %d calls", err, n)
	}
}
