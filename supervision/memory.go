package supervision

import (
	"context"
	"slices"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Memory is a Source kept in memory from blocks applied in order: what a
// peer's blocks say, for recomputing the figures without a gateway.
type Memory struct {
	commitments map[string]*chengnuo.Commitment
	order       []string
	records     map[string]map[string][]byte // kind -> id -> last written
	time        time.Time
}

// NewMemory returns an empty source.
func NewMemory() *Memory {
	return &Memory{commitments: map[string]*chengnuo.Commitment{}, records: map[string]map[string][]byte{}}
}

// Apply applies a block's records (later blocks after earlier ones).
func (m *Memory) Apply(b *chengnuo.LedgerBlock) {
	for _, c := range b.Commitments {
		if _, ok := m.commitments[c.ID]; !ok {
			m.order = append(m.order, c.ID)
		}
		m.commitments[c.ID] = c
	}
	for _, r := range b.Records {
		if m.records[r.Kind] == nil {
			m.records[r.Kind] = map[string][]byte{}
		}
		m.records[r.Kind][r.ID] = r.Value
	}
	if b.Time.After(m.time) {
		m.time = b.Time
	}
}

// LedgerTime implements Source.
func (m *Memory) LedgerTime(context.Context) (time.Time, error) { return m.time, nil }

// Commitments implements Source.
func (m *Memory) Commitments(_ context.Context, fn func(*chengnuo.Commitment) error) error {
	for _, id := range m.order {
		if err := fn(m.commitments[id]); err != nil {
			return err
		}
	}
	return nil
}

// Records implements Source, in id order.
func (m *Memory) Records(_ context.Context, kind string, fn func(string, []byte) error) error {
	ids := make([]string, 0, len(m.records[kind]))
	for id := range m.records[kind] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(id, m.records[kind][id]); err != nil {
			return err
		}
	}
	return nil
}
