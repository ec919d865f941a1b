package notary

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/retry"
)

// job is one letter on its way to the ledger. A worker takes it with its
// batch, stores it if it is not stored yet (the whole batch in one write:
// store before anchor, one commit per batch), anchors the batch in one
// transaction, and marks the batch anchored in one more write.
type job struct {
	st *chengnuo.StoredLetter
	it *chengnuo.Item // the letter's item if the caller has it (for its disclosure row)
	l  *letter.Letter // the parsed letter if the caller has it

	state  atomic.Int32 // jobQueued, then jobTaken by a worker or jobDropped by its caller
	stored atomic.Bool  // st is in the store; final once kept is closed
	kept   chan struct{}
	done   chan outcome
}

const (
	jobQueued int32 = iota
	jobTaken
	jobDropped
)

// outcome is what became of a job's letter.
type outcome struct {
	st     *chengnuo.StoredLetter // as stored: another submission's, if that one came first
	rec    *chengnuo.Commitment   // the ledger record, once anchored
	stored bool                   // the letter is in the store, pending at worst
	err    error
}

// errNotStored answers a letter that waited so long for a worker that its
// request ended first: nothing was stored, so the caller must send it again.
var errNotStored = &chengnuo.Error{Code: chengnuo.EUNAVAILABLE,
	Message: "the gateway is too busy to take the letter now; nothing was stored; submit it again"}

// errKept answers a stored letter whose anchoring outlasted its request.
var errKept = &chengnuo.Error{Code: chengnuo.EUNAVAILABLE,
	Message: "anchoring did not finish in time; the letter is kept and will be anchored"}

// anchor hands a letter to the anchoring workers and waits for its outcome
// until ctx ends. stored says st is in the store already (a resubmission,
// a recovery); otherwise a worker stores it with its batch. A letter no
// worker has taken when ctx ends is dropped, stored nowhere; one a worker
// has taken is answered as soon as it is stored.
func (s *Service) anchor(ctx context.Context, st *chengnuo.StoredLetter, stored bool, it *chengnuo.Item, l *letter.Letter) outcome {
	s.inflight.Store(st.ID, true)
	defer s.inflight.Delete(st.ID)
	j := &job{st: st, it: it, l: l, kept: make(chan struct{}), done: make(chan outcome, 1)}
	if stored {
		j.stored.Store(true)
		close(j.kept)
	}
	s.waiting.Add(1) // before the send: a worker may take it at once
	select {
	case s.queue <- j:
		select {
		case o := <-j.done:
			return o
		case <-ctx.Done():
		}
		if j.state.CompareAndSwap(jobQueued, jobDropped) {
			s.waiting.Add(-1)
		} else {
			<-j.kept // taken: storing it is a matter of one write
			select {
			case o := <-j.done: // refused by the store, or held already and anchored
				return o
			default:
			}
		}
	case <-ctx.Done():
		s.waiting.Add(-1)
	}
	if j.stored.Load() {
		return outcome{st: st, stored: true, err: errKept}
	}
	if s.m.dropped != nil {
		s.m.dropped.Inc()
	}
	return outcome{st: st, err: errNotStored}
}

// DefaultBatchLinger is Config.BatchLinger's default, chosen from
// measurements (make bench, issue 10). Greedy workers sent two batches in
// three with one letter. When a transaction cost the network ~33 ms of CPU
// and a letter 4-5 ms, batches started 100 ms apart let a steady stream of
// 300 letters/s queue without bound (p50 8 s) and 250 ms apart kept up.
// Once a letter cost under 2 ms, 150 ms against 250 ms on fresh networks
// (block interval 250 ms), CPU per letter unchanged: open loop at 800/s
// after 29,000 letters p99 1.24 / 1.65 s against 1.53 / 1.94 s (and 1.48 /
// 1.90 against 1.73 / 3.15 in a second pair); at 400/s 512 against 633 ms,
// at 200/s 502 against 609 ms; closed loop at 600 clients 968-972 against
// 872-946 letters/s. The price is smaller batches where the network has
// CPU to spare: at 300 clients, the same 552-568 letters/s cost 1.89 / 1.95
// ms of network CPU per letter against 1.55 / 1.50. With eight workers and
// the peers on every core, 100 ms again lost (fresh networks, open loop at
// 800/s after 22,000 letters): p99 1.11 / 1.03 / 1.01 s against 0.68 /
// 0.79 / 0.68 s, at 1.77-1.97 ms of network CPU a letter against 1.62-1.75.
const DefaultBatchLinger = 150 * time.Millisecond

// DefaultBatchWorkers is Config.BatchWorkers's default, chosen from
// measurements (issue 10). The linger, not the workers, should space the
// batches: a batch takes 0.3-0.5 s from storing to commit at 800-900
// letters/s and up to a second at peaks, so with four workers and batches
// due every 150 ms every worker was busy whenever a batch ran slow, and
// letters queued behind them. Fresh networks, open loop (p99 at 830 / 930
// letters/s): four workers 1.72 / 1.75 s and 0.87 / 1.92 s, eight 0.87 /
// 1.11 s, 0.76 / 1.21 s and 0.73 / 1.43 s, with batches then every 150 ms
// as meant (133 in 20 s against 104-112) and no more CPU per letter.
// Where four did not run out (open loop at 814/s after 40,000 letters) the
// two were alike: p99 0.92 / 1.09 s against 1.19 / 0.78 / 0.76 s.
const DefaultBatchWorkers = 8

// worker gathers a batch — at least one letter, at most contract.MaxBatch —
// and anchors it in one transaction. One worker gathers at a time. While
// no batch is in flight a letter goes at once, with whatever else is
// queued; while one is, a batch starts no sooner than Config.BatchLinger
// after the previous one, gathering what arrives meanwhile.
func (s *Service) worker(ctx context.Context) {
	for {
		batch := s.gather(ctx)
		if batch == nil {
			return
		}
		s.busy.Add(1)
		s.anchorBatch(ctx, batch)
		s.busy.Add(-1)
	}
}

// gather returns the next batch, or nil once ctx ends.
func (s *Service) gather(ctx context.Context) []*job {
	s.collect.Lock()
	defer s.collect.Unlock()
	var batch []*job
	select {
	case j := <-s.queue:
		batch = append(batch, j)
	case <-ctx.Done():
		return nil
	}
	defer func() { s.lastBatch = time.Now() }()
drain:
	for len(batch) < contract.MaxBatch {
		select {
		case j := <-s.queue:
			batch = append(batch, j)
		default:
			break drain
		}
	}
	wait := time.Until(s.lastBatch.Add(s.cfg.BatchLinger))
	if len(batch) == contract.MaxBatch || s.cfg.BatchLinger < 0 || s.busy.Load() == 0 || wait <= 0 {
		return batch
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(batch) < contract.MaxBatch {
		select {
		case j := <-s.queue:
			batch = append(batch, j)
		case <-t.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

// abortedPolicy retries a batch that lost an MVCC race: the chaincode
// refuses a second anchoring of a digest, so a retry never doubles a letter.
var abortedPolicy = retry.Policy{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond, Attempts: 5}

func (s *Service) anchorBatch(ctx context.Context, batch []*job) {
	batch = slices.DeleteFunc(batch, func(j *job) bool {
		if !j.state.CompareAndSwap(jobQueued, jobTaken) {
			return true // dropped by its caller
		}
		s.waiting.Add(-1)
		return false
	})
	if len(batch) == 0 {
		return
	}
	started := time.Now()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	batch = s.keep(actx, batch)
	if len(batch) == 0 {
		return
	}
	// The same letter submitted twice at once shares one slot in the batch.
	var reqs []chengnuo.AnchorRequest
	slot := map[string]int{}
	for _, j := range batch {
		if _, ok := slot[j.st.Request.LetterDigest]; !ok {
			slot[j.st.Request.LetterDigest] = len(reqs)
			reqs = append(reqs, j.st.Request)
		}
	}
	var results []chengnuo.AnchorResult
	err := retry.Do(actx, abortedPolicy, func(err error) bool { return chengnuo.ErrorCode(err) == chengnuo.EABORTED },
		func(ctx context.Context) error {
			var err error
			results, err = s.ledger.AnchorCommitments(ctx, reqs)
			if err == nil && len(results) != len(reqs) {
				err = chengnuo.Internal("the ledger answered a batch with the wrong number of results", errors.New("result count"))
			}
			return err
		})
	s.log.Debug("anchored batch", slog.Int("letters", len(reqs)), slog.Any("error", err))
	if s.m.batches != nil {
		outcome := "ok"
		switch {
		case chengnuo.Retryable(err):
			outcome = "unknown"
		case err != nil:
			outcome = "refused"
		}
		s.m.batches.Inc(outcome)
		s.m.batchSize.Observe(float64(len(reqs)))
		s.m.batchTime.Observe(time.Since(started).Seconds())
	}
	if err != nil {
		// Unknown outcome: the letters stay pending for Recover.
		for _, j := range batch {
			j.done <- outcome{st: j.st, stored: true, err: err}
		}
		return
	}
	s.settle(actx, batch, func(j *job) chengnuo.AnchorResult { return results[slot[j.st.Request.LetterDigest]] })
}

// keep stores, in one write, the letters of the batch not stored yet, and
// returns the jobs left to anchor: a letter held already and anchored (an
// earlier submission of it) is answered at once.
func (s *Service) keep(ctx context.Context, batch []*job) []*job {
	var fresh []*job
	var ls []*chengnuo.StoredLetter
	for _, j := range batch {
		if !j.stored.Load() {
			fresh, ls = append(fresh, j), append(ls, j.st)
		}
	}
	if len(fresh) > 0 {
		existing, err := s.store.PutPending(ctx, ls)
		for i, j := range fresh {
			if err != nil {
				j.done <- outcome{st: j.st, err: err}
			} else {
				if existing[i] != nil {
					j.st = existing[i]
				}
				j.stored.Store(true)
			}
			close(j.kept)
		}
	}
	return slices.DeleteFunc(batch, func(j *job) bool {
		if !j.stored.Load() {
			return true // answered with the store's error
		}
		if j.st.State == chengnuo.StateAnchored {
			j.done <- outcome{st: j.st, rec: j.st.Record, stored: true}
			return true
		}
		return false
	})
}

// settle records what the ledger made of each letter of an anchored batch:
// the anchored ones are marked in one write, with their disclosure rows;
// a letter the ledger refused (nothing was written there) is removed.
func (s *Service) settle(ctx context.Context, batch []*job, result func(*job) chengnuo.AnchorResult) {
	var marks []chengnuo.AnchorMark
	var marked []*job
	var recs []*chengnuo.Commitment
	seen := map[string]bool{}
	for _, j := range batch {
		res := result(j)
		if !res.Created && !(res.Code == chengnuo.ECONFLICT && res.Record != nil && res.Record.LetterDigest == j.st.Digest) {
			code := res.Code
			if code == "" {
				code = chengnuo.EINTERNAL
			}
			o := outcome{st: j.st, err: &chengnuo.Error{Code: code, Message: res.Message}}
			if err := s.store.Delete(ctx, j.st.ID); err != nil {
				o.stored, o.err = true, err
			}
			j.done <- o
			continue
		}
		row, err := s.disclosureRow(ctx, j.st, res.Record, j.it, j.l)
		if err != nil {
			j.done <- outcome{st: j.st, stored: true, err: err}
			continue
		}
		if !seen[j.st.ID] {
			seen[j.st.ID] = true
			marks = append(marks, chengnuo.AnchorMark{ID: j.st.ID, Record: res.Record, Disclosed: row})
		}
		marked, recs = append(marked, j), append(recs, res.Record)
	}
	var err error
	if len(marks) > 0 {
		err = s.store.MarkAnchored(ctx, marks)
	}
	for i, j := range marked {
		if err != nil {
			j.done <- outcome{st: j.st, stored: true, err: err}
		} else {
			j.done <- outcome{st: j.st, rec: recs[i], stored: true}
		}
	}
}
