package people

import (
	"context"
	"time"
)

// Slept records the slow-downs instead of sleeping, for a test.
func (s *Service) Slept() *[]time.Duration {
	var d []time.Duration
	s.sleep = func(_ context.Context, t time.Duration) { d = append(d, t) }
	return &d
}
