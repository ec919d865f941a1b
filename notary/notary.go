// Package notary is a department's application service: it implements
// chengnuo.Service over two ports, the shared Ledger and the department's
// own Store (and, for a data-holding department, its Registry). It renders
// drafts from the catalog, checks signed letters, keeps the full letters
// in the store and anchors their public records on the ledger, coalescing
// concurrent submissions into batches; it runs assisted verification,
// outcomes, credit, sampling and disclosure. It is the one place that
// decides what is hashed, what is stored and what goes on the ledger.
package notary

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/chengnuo/chengnuo/metrics"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

// Config configures a Service.
type Config struct {
	MSPID     string // this department
	OrganName string // this department's name, printed on letters
	// NumberPrefix is the prefix of this department's letter numbers
	// (文号前缀, e.g. 虎市监承): 〔2026〕虎市监承第000123号.
	NumberPrefix    string
	ApplicantSecret []byte // consortium secret for applicant keys
	Roots           *smx509.CertPool
	Logger          *slog.Logger
	Now             func() time.Time
	BatchWorkers    int // concurrent anchoring transactions; default DefaultBatchWorkers
	// BatchLinger is the least time between the starts of two batches
	// while one is in flight (default DefaultBatchLinger; negative: none).
	// An idle gateway anchors a letter at once; a busy one gathers the
	// letters that arrive meanwhile into one transaction instead of
	// sending each in a transaction of its own.
	BatchLinger time.Duration
	// DetailsRetention is how long an answered request's details stay in
	// this department's private collection before they are purged;
	// default DefaultDetailsRetention.
	DetailsRetention time.Duration
	// SampleWait bounds how long DrawSample waits for another department's
	// contribution and the publication of the draw; default 15 s.
	SampleWait time.Duration
	// Channel and Chaincode name what proofs are of (default chengnuo, notary).
	Channel, Chaincode string
	// Index is the department's read model of the ledger, kept by Follow;
	// when set, public verification is answered from it. Nil: every
	// verification queries the chaincode.
	Index chengnuo.Index
	// Metrics, if set, receives the service's figures (batches, pending
	// letters, read model height and lag).
	Metrics *metrics.Registry
	// RecoverAfter is how long a pending letter is left to the submission
	// anchoring it before the background pass anchors it too. Zero for a
	// store of one gateway (its own submissions are known); replicas
	// sharing a store set it above the time a submission takes.
	RecoverAfter time.Duration
	// Registry answers verification requests addressed to this department
	// automatically (online verification); nil: clerks answer them.
	Registry chengnuo.Registry
	// Notifier announces the requests addressed to this department that
	// are due soon or overdue (once each); nil: none are announced.
	Notifier chengnuo.Notifier
}

// Service is a department's application service.
type Service struct {
	cfg    Config
	ledger chengnuo.Ledger
	store  chengnuo.Store
	log    *slog.Logger
	queue  chan *job
	// collect is held by the one worker gathering the next batch; busy
	// counts the batches being anchored.
	collect   sync.Mutex
	lastBatch time.Time // when the last batch was gathered; under collect
	busy      atomic.Int32
	waiting   atomic.Int64 // letters queued that no worker has taken nor their caller dropped
	items     *itemCache
	// deliverPage is how many kept deliveries Deliver reads at a time.
	deliverPage int
	// inflight holds the ids of letters being anchored by this process, so
	// that Recover leaves them to the submission that is anchoring them.
	inflight sync.Map
	// lastEvent is the last block Follow applied that holds a chaincode event.
	lastEvent atomic.Uint64
	// height is the read model's height, as Follow last applied.
	height  atomic.Uint64
	m       serviceMetrics
	dir     directory
	missing missingYears // years without a calendar, as last checked
	cals    calendarCache
	overdue atomic.Int64 // open requests to this department past their due time, as the last pass counted
}

// serviceMetrics are the service's own figures; nil fields when no
// registry is configured.
type serviceMetrics struct {
	batches   *metrics.Counter
	batchSize *metrics.Histogram
	batchTime *metrics.Histogram
	recovered *metrics.Counter
	dropped   *metrics.Counter
	reminders *metrics.Counter
}

func (s *Service) registerMetrics(r *metrics.Registry) {
	if r == nil {
		return
	}
	s.m = serviceMetrics{
		batches:   r.Counter("chengnuo_anchor_batches_total", "anchoring transactions by outcome (ok, refused, unknown)", "outcome"),
		batchSize: r.Histogram("chengnuo_anchor_batch_letters", "letters per anchoring transaction", []float64{1, 2, 5, 10, 20, 50, 100, 200, 500}),
		batchTime: r.Histogram("chengnuo_anchor_batch_seconds", "time from storing a batch of letters to the commit of its anchoring transaction", []float64{.1, .2, .3, .4, .5, .75, 1, 1.5, 2, 5, 10, 30, 60}),
		recovered: r.Counter("chengnuo_recovered_letters_total", "pending letters anchored by the background recovery"),
		reminders: r.Counter("chengnuo_reminders_total", "requests addressed to this department announced by the reminder webhook, by urgency (DUE_SOON, OVERDUE)", "urgency"),
		dropped: r.Counter("chengnuo_letters_dropped_total",
			"letters still waiting for an anchoring worker when their request's time ran out: answered 503, nothing stored"),
	}
	r.GaugeFunc("chengnuo_requests_overdue", "open verification requests addressed to this department past their due time (working days), as the last maintenance pass counted", func() (float64, bool) {
		return float64(s.overdue.Load()), true
	})
	r.GaugeFunc("chengnuo_calendar_missing", "years, of this one and the next, without a published calendar of working days (their deadlines count Monday to Friday)", func() (float64, bool) {
		m := s.missing.Load()
		if m == nil {
			return 0, false
		}
		return float64(len(*m)), true
	})
	r.GaugeFunc("chengnuo_anchor_queue_letters", "letters waiting for an anchoring worker", func() (float64, bool) {
		return float64(s.waiting.Load()), true
	})
	pending := func() (int, time.Time, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, oldest, err := s.store.PendingStats(ctx)
		return n, oldest, err == nil
	}
	r.GaugeFunc("chengnuo_pending_letters", "letters stored and not yet anchored", func() (float64, bool) {
		n, _, ok := pending()
		return float64(n), ok
	})
	r.GaugeFunc("chengnuo_pending_oldest_age_seconds", "age of the oldest pending letter (0: none)", func() (float64, bool) {
		n, oldest, ok := pending()
		if !ok || n == 0 {
			return 0, ok
		}
		return s.cfg.Now().Sub(oldest).Seconds(), true
	})
	r.GaugeFunc("chengnuo_read_model_height", "blocks the read model has applied", func() (float64, bool) {
		return float64(s.height.Load()), s.cfg.Index != nil
	})
	r.GaugeFunc("chengnuo_read_model_lag_blocks", "blocks the department's peer has committed and the read model has not applied yet", func() (float64, bool) {
		if s.cfg.Index == nil {
			return 0, false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		h, err := s.ledger.Height(ctx)
		if err != nil {
			return 0, false
		}
		return float64(h) - float64(s.height.Load()), true
	})
}

var _ chengnuo.Service = (*Service)(nil)

// New returns a Service and starts its anchoring workers, which stop when
// ctx ends.
func New(ctx context.Context, cfg Config, ledger chengnuo.Ledger, store chengnuo.Store) (*Service, error) {
	if cfg.MSPID == "" || len(cfg.ApplicantSecret) < 16 {
		return nil, fmt.Errorf("notary: MSP id and an applicant secret of at least 16 bytes are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchWorkers <= 0 {
		cfg.BatchWorkers = DefaultBatchWorkers
	}
	if cfg.BatchLinger == 0 {
		cfg.BatchLinger = DefaultBatchLinger
	}
	if cfg.Channel == "" {
		cfg.Channel = "chengnuo"
	}
	if cfg.Chaincode == "" {
		cfg.Chaincode = "notary"
	}
	if cfg.OrganName == "" {
		cfg.OrganName = cfg.MSPID
	}
	if err := chengnuo.ValidateDepartmentName(cfg.OrganName); err != nil {
		return nil, fmt.Errorf("notary: organ name: %s", chengnuo.ErrorMessage(err))
	}
	if err := chengnuo.ValidateNumberPrefix(cfg.NumberPrefix); err != nil {
		return nil, fmt.Errorf("notary: letter-number prefix (文号前缀): %s", chengnuo.ErrorMessage(err))
	}
	if cfg.DetailsRetention <= 0 {
		cfg.DetailsRetention = DefaultDetailsRetention
	}
	if cfg.SampleWait <= 0 {
		cfg.SampleWait = 15 * time.Second
	}
	s := &Service{cfg: cfg, ledger: ledger, store: store, log: cfg.Logger, queue: make(chan *job, 4096), items: newItemCache(cfg.Now),
		deliverPage: 1000}
	s.registerMetrics(cfg.Metrics)
	for range cfg.BatchWorkers {
		go s.worker(ctx)
	}
	return s, nil
}

// Ping implements chengnuo.Service.
func (s *Service) Ping(ctx context.Context) error { return s.ledger.Ping(ctx) }

// Anchor implements chengnuo.Service.
func (s *Service) Anchor(ctx context.Context, digest string) (*chengnuo.Anchor, error) {
	return s.ledger.Anchor(ctx, digest)
}

// FindAnchor implements chengnuo.Service.
func (s *Service) FindAnchor(ctx context.Context, digest string) (*chengnuo.Anchor, error) {
	if s.cfg.Index != nil {
		d, err := chengnuo.NormalizeDigest(digest)
		if err != nil {
			return nil, err
		}
		if a, err := s.cfg.Index.Anchor(ctx, d); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			return a, err
		}
	}
	return s.ledger.FindAnchor(ctx, digest)
}

// ListItems implements chengnuo.Service.
func (s *Service) ListItems(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Item], error) {
	return s.ledger.ListItems(ctx, p)
}

// GetItem implements chengnuo.Service.
func (s *Service) GetItem(ctx context.Context, code string, version int) (*chengnuo.Item, error) {
	if version < 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "version must be a positive integer")
	}
	return s.ledger.GetItem(ctx, code, version)
}

// PublishItem implements chengnuo.Service.
func (s *Service) PublishItem(ctx context.Context, it *chengnuo.Item) (*chengnuo.Item, error) {
	defer s.items.forget(it.Code)
	return s.ledger.PublishItem(ctx, it)
}

// RetireItem implements chengnuo.Service.
func (s *Service) RetireItem(ctx context.Context, code string) (*chengnuo.Item, error) {
	defer s.items.forget(code)
	return s.ledger.RetireItem(ctx, code)
}

// ProposeItemChange implements chengnuo.Service: the reason stays here, its
// digest goes on the ledger, and the text goes to the catalog authority.
func (s *Service) ProposeItemChange(ctx context.Context, req chengnuo.ProposalRequest) (*chengnuo.Proposal, error) {
	t, err := s.reason(ctx, chengnuo.TextProposal, "", req.Reason, checkWrittenReason)
	if err != nil {
		return nil, err
	}
	p, err := s.ledger.ProposeItemChange(ctx, chengnuo.Proposal{Kind: req.Kind, Code: req.Code, Item: req.Item, ReasonDigest: t.Digest})
	if err != nil {
		return nil, err
	}
	return p, s.share(ctx, chengnuo.CatalogAuthority, t, chengnuo.TextProposal, p.ID)
}

// Proposals implements chengnuo.Service.
func (s *Service) Proposals(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Proposal], error) {
	return s.ledger.ListProposals(ctx, p)
}

// Objections implements chengnuo.Service.
func (s *Service) Objections(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Objection], error) {
	return s.ledger.ListObjections(ctx, p)
}

// GetProposal implements chengnuo.Service.
func (s *Service) GetProposal(ctx context.Context, id string) (*chengnuo.Proposal, error) {
	return s.ledger.GetProposal(ctx, id)
}

// DecideProposal implements chengnuo.Service; the decision's reason goes to
// the proposing department.
func (s *Service) DecideProposal(ctx context.Context, id string, d chengnuo.ProposalDecision) (*chengnuo.Proposal, error) {
	t, err := s.reason(ctx, chengnuo.TextProposalDecision, id, d.Reason, checkWrittenReason)
	if err != nil {
		return nil, err
	}
	p, err := s.ledger.DecideProposal(ctx, id, d.Approve, t.Digest)
	if err != nil {
		return nil, err
	}
	return p, s.share(ctx, p.From, t, chengnuo.TextProposalDecision, p.ID)
}

// activeItem returns an item version that accepts new letters.
func (s *Service) activeItem(ctx context.Context, code string, version int) (*chengnuo.Item, error) {
	if code == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "itemCode is required")
	}
	it, err := s.items.get(ctx, s.ledger, code, version)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s", chengnuo.ErrorMessage(err))
	}
	if err != nil {
		return nil, err
	}
	if it.Status != chengnuo.ItemActive {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s version %d is %s and accepts no new letters", it.Code, it.Version, it.Status)
	}
	return it, nil
}

// Draft implements chengnuo.Service: it renders a letter from the current
// catalog version of an item, numbers it (〔year〕prefix第NNNNNN号, the
// year China's) and keeps it, so that it can be printed and a paper scan
// can name it.
func (s *Service) Draft(ctx context.Context, req chengnuo.DraftRequest) (*chengnuo.Draft, error) {
	it, err := s.activeItem(ctx, req.ItemCode, req.ItemVersion)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	year := now.In(chengnuo.China).Year()
	salt := make([]byte, letter.SaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return nil, chengnuo.Internal("no randomness", err)
	}
	organ := letter.Organ{MSPID: s.cfg.MSPID, Name: s.cfg.OrganName, ContactName: req.ContactName, ContactPhone: req.ContactPhone}
	number := func(n int) string { return chengnuo.LetterNumber(year, s.cfg.NumberPrefix, n) }
	// A refused draft takes no number: the letter is checked with a
	// placeholder number of the same length first.
	if _, _, err := letter.New(it, req.Applicant, organ, number(999999), hex.EncodeToString(salt), now.Format(time.RFC3339)); err != nil {
		return nil, err
	}
	n, err := s.store.NextNumber(ctx, year)
	if err != nil {
		return nil, err
	}
	l, c, err := letter.New(it, req.Applicant, organ, number(n), hex.EncodeToString(salt), now.Format(time.RFC3339))
	if err != nil {
		return nil, err
	}
	digest := letter.Digest(c)
	d := &chengnuo.Draft{ID: chengnuo.CommitmentID(digest), Canonical: string(c), Digest: digest, CreatedAt: now}
	if err := s.store.PutDraft(ctx, d); err != nil {
		return nil, err
	}
	d.Letter = l
	return d, nil
}
