// Package fabric is the adapter between the domain and a Hyperledger Fabric
// network, through the Fabric Gateway client (github.com/hyperledger/fabric-gateway).
//
// One Client holds one gRPC connection to the organization's own peer and
// signs with one identity of that organization. Every call runs under the
// caller's context plus a per-step timeout, and every failure is mapped once,
// here, to a *chengnuo.Error.
package fabric

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/retry"
)

// Config names the peer to connect to and the identity to sign with.
type Config struct {
	PeerEndpoint   string // host:port of the organization's own peer
	PeerTLSCAFile  string // PEM of the CA that issued the peer's TLS certificate
	PeerServerName string // TLS server name to expect; empty: the endpoint's host
	MSPID          string // MSP id of the signing identity
	CertFile       string // PEM certificate of the signing identity
	KeyFile        string // PEM (PKCS#8) private key of the signing identity
	Channel        string
	Chaincode      string
	Checkpoint     string       // file of the chaincode event checkpoint (ListenVerificationRequests)
	Logger         *slog.Logger // default: discard

	EvaluateTimeout time.Duration // default 5 s
	EndorseTimeout  time.Duration // default 15 s
	SubmitTimeout   time.Duration // default 5 s
	CommitTimeout   time.Duration // default 60 s
	// SubmitRetries is how many times a transaction whose outcome is
	// unknown is submitted again (default 2; negative: never), after
	// SubmitBackoff (default 500 ms), doubling.
	SubmitRetries int
	SubmitBackoff time.Duration
	// OnResubmit, if set, is called at every resubmission (a metric).
	OnResubmit func()
	// OnEvent, if set, is called for every chaincode event the listener
	// handled, with whether its handler succeeded (a metric).
	OnEvent func(name string, ok bool)
	// OnStep, if set, is called after each step of a transaction that
	// succeeded, with its duration (a metric): "endorse" (every endorsing
	// peer answered), "order" (the orderers took it), "commit" (the peer
	// committed its block). Where a transaction's time goes under load.
	OnStep func(step string, d time.Duration)
	// EndorserRefresh is how long the organizations the peer's gateway
	// chose to endorse an anchoring batch are named for the next ones,
	// which are then endorsed by all of them at once (see endorsers);
	// default 1 min; negative: never named, the gateway chooses each time.
	EndorserRefresh time.Duration
	// OnEndorsers, if set, is called for every anchoring batch endorsed,
	// with how its endorsers were chosen (a metric): "named" (learned),
	// "discovery" (by the peer's gateway), "failed" (named, and they
	// failed it; it is endorsed again as the gateway chooses).
	OnEndorsers func(plan string)
}

// step reports a step's duration to Config.OnStep.
func (c *Client) step(name string, since time.Time) {
	if c.cfg.OnStep != nil {
		c.cfg.OnStep(name, time.Since(since))
	}
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.EvaluateTimeout, 5*time.Second)
	def(&c.EndorseTimeout, 15*time.Second)
	def(&c.SubmitTimeout, 5*time.Second)
	def(&c.CommitTimeout, 60*time.Second)
	def(&c.SubmitBackoff, 500*time.Millisecond)
	if c.EndorserRefresh == 0 {
		c.EndorserRefresh = time.Minute
	}
	if c.SubmitRetries == 0 {
		c.SubmitRetries = 2
	}
	if c.SubmitRetries < 0 {
		c.SubmitRetries = 0
	}
}

// Client talks to one channel and chaincode through the organization's peer.
type Client struct {
	cfg      Config
	conn     *grpc.ClientConn
	gw       *client.Gateway
	network  *client.Network
	contract *client.Contract
	qscc     *client.Contract
	blocks   *blockCache
	// endorsers learns who endorses the functions named here.
	endorsers map[string]*endorsers
	// evBlock is the block of the listener's event checkpoint.
	evBlock atomic.Uint64
}

// EventCheckpoint is the block of the last chaincode event the listener
// handled and checkpointed (0 before the first).
func (c *Client) EventCheckpoint() uint64 { return c.evBlock.Load() }

// Dial connects to the peer and returns a ready Client. The connection is
// established lazily by gRPC; use Ping to check that the peer answers.
func Dial(cfg Config) (*Client, error) {
	cfg.defaults()
	caPEM, err := os.ReadFile(cfg.PeerTLSCAFile)
	if err != nil {
		return nil, fmt.Errorf("read peer TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("peer TLS CA %s holds no PEM certificate", cfg.PeerTLSCAFile)
	}
	creds := credentials.NewClientTLSFromCert(pool, cfg.PeerServerName)
	conn, err := grpc.NewClient(cfg.PeerEndpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("grpc client for %s: %w", cfg.PeerEndpoint, err)
	}
	id, sign, err := loadIdentity(cfg.MSPID, cfg.CertFile, cfg.KeyFile)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c, err := New(cfg, conn, id, sign)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// New returns a Client over an existing connection to the organization's
// peer, signing as id. Close closes conn.
func New(cfg Config, conn *grpc.ClientConn, id identity.Identity, sign identity.Sign) (*Client, error) {
	cfg.defaults()
	gw, err := client.Connect(id,
		client.WithSign(sign),
		client.WithHash(hash.SHA256),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(cfg.EvaluateTimeout),
		client.WithEndorseTimeout(cfg.EndorseTimeout),
		client.WithSubmitTimeout(cfg.SubmitTimeout),
		client.WithCommitStatusTimeout(cfg.CommitTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("connect gateway: %w", err)
	}
	network := gw.GetNetwork(cfg.Channel)
	return &Client{
		cfg:       cfg,
		conn:      conn,
		gw:        gw,
		network:   network,
		contract:  network.GetContract(cfg.Chaincode),
		qscc:      network.GetContract("qscc"),
		blocks:    newBlockCache(4096),
		endorsers: learnedEndorsers(cfg),
	}, nil
}

// learnedEndorsers: anchoring batches, the one transaction on every
// letter's path, name their endorsers once learned. Others leave the
// choice to the peer's gateway: some name their own (private data), and a
// batch's latency is the one that counts.
func learnedEndorsers(cfg Config) map[string]*endorsers {
	if cfg.EndorserRefresh < 0 {
		return nil
	}
	return map[string]*endorsers{contract.AnchorCommitments.Name: newEndorsers(cfg.MSPID, cfg.EndorserRefresh)}
}

func loadIdentity(mspID, certFile, keyFile string) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read identity certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parse identity certificate %s: %w", certFile, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read identity key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parse identity key %s: %w", keyFile, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signer: %w", err)
	}
	return id, sign, nil
}

// Close releases the gateway and the gRPC connection.
func (c *Client) Close() error {
	return errors.Join(c.gw.Close(), c.conn.Close())
}

// MSPID is the MSP id the client signs as.
func (c *Client) MSPID() string { return c.cfg.MSPID }

// Contract exposes the underlying fabric-gateway contract, for tests and
// tools that need options this adapter does not wrap.
func (c *Client) Contract() *client.Contract { return c.contract }

// Network exposes the channel, for event listeners and tests.
func (c *Client) Network() *client.Network { return c.network }

// Result is the outcome of a committed transaction.
type Result struct {
	TxID        string
	BlockNumber uint64
}

// call runs one function of the wire contract: a query is evaluated on the
// organization's peer, a transaction is endorsed, ordered and committed.
// The argument and result types are the contract's, shared with the
// chaincode. For a query the Result is nil.
func call[A, R any](ctx context.Context, c *Client, fn contract.Fn[A, R], a A, opts ...client.ProposalOption) (*R, *Result, error) {
	raw, err := fn.EncodeArgs(&a)
	if err != nil {
		return nil, nil, chengnuo.Internal("could not encode the ledger call", err)
	}
	opts = append([]client.ProposalOption{client.WithBytesArguments(raw)}, opts...)
	var out []byte
	var res *Result
	if fn.Submit {
		out, res, err = c.submit(ctx, fn.Name, opts...)
	} else {
		out, err = c.evaluate(ctx, fn.Name, opts...)
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := fn.DecodeResult(out)
	if err != nil {
		err = chengnuo.Internal("the ledger's answer could not be read", err)
		if res != nil {
			err = withTx(err, res.TxID)
		}
		return nil, nil, err
	}
	return r, res, nil
}

// evaluate runs a query on the organization's peer under the evaluate timeout.
func (c *Client) evaluate(ctx context.Context, fn string, opts ...client.ProposalOption) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	proposal, err := c.contract.NewProposal(fn, opts...)
	if err != nil {
		return nil, chengnuo.Internal("could not build the ledger query", err)
	}
	out, err := proposal.EvaluateWithContext(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	return out, nil
}

// submit endorses, orders and waits for the commit of one transaction, each
// step under its own timeout. When ordering fails or the commit status does
// not come (an orderer lost, a quorum not reached in time), the outcome is
// unknown: it submits the same signed transaction again (SubmitRetries
// times, with backoff). That is safe: at most one copy can commit (Fabric
// refuses a second transaction with the same id as a duplicate), and the
// commit status of the id is that of the copy that committed. If it still
// has no answer it reports EUNAVAILABLE with the tx id: the transaction may
// still commit.
//
// A function whose endorsers the client learns (see endorsers) names them
// when it knows them. If they cannot endorse it, or the transaction is
// refused at commit for want of endorsements (it changed nothing), what was
// learned is forgotten and the transaction is made again and endorsed the
// usual way.
func (c *Client) submit(ctx context.Context, fn string, opts ...client.ProposalOption) ([]byte, *Result, error) {
	e := c.endorsers[fn]
	if named := e.pick(); named != nil {
		out, res, err := c.submitTo(ctx, fn, named, opts)
		failed, ok := errors.AsType[namedError](err)
		if !ok {
			return out, res, err
		}
		e.forget()
		if c.cfg.OnEndorsers != nil {
			c.cfg.OnEndorsers("failed")
		}
		c.log().Warn("the named endorsers failed; endorsing as discovery chooses", slog.String("fn", fn),
			slog.Any("orgs", named), slog.String("error", err.Error()))
		if ctx.Err() != nil {
			return nil, nil, failed.err
		}
	}
	return c.submitTo(ctx, fn, nil, opts)
}

// namedError is the error of a transaction whose named endorsers failed
// it: it did not reach ordering, or was refused at commit for want of
// endorsements. Either way it changed nothing.
type namedError struct{ err error }

func (e namedError) Error() string { return e.err.Error() }
func (e namedError) Unwrap() error { return e.err }

// submitTo submits one transaction endorsed by the organizations named
// (nil: as the peer's gateway chooses, learned from for c.endorsers[fn]).
func (c *Client) submitTo(ctx context.Context, fn string, named []string, opts []client.ProposalOption) ([]byte, *Result, error) {
	if named != nil {
		opts = append(opts[:len(opts):len(opts)], client.WithEndorsingOrganizations(named...))
	}
	proposal, err := c.contract.NewProposal(fn, opts...)
	if err != nil {
		return nil, nil, chengnuo.Internal("could not build the transaction", err)
	}
	txID := proposal.TransactionID()

	txn, err := c.endorse(ctx, proposal)
	if err != nil {
		err = withTx(err, txID)
		if named != nil {
			err = namedError{err}
		}
		return nil, nil, err
	}
	if e := c.endorsers[fn]; e != nil {
		plan := "named"
		if named == nil {
			plan = "discovery"
			c.learnEndorsers(e, txn)
		}
		if c.cfg.OnEndorsers != nil {
			c.cfg.OnEndorsers(plan)
		}
	}
	// The transaction goes to the orderers again (the same signed bytes)
	// while its outcome is unknown. Between two submissions the wait is
	// spent asking for its commit status (settled, SubmitBackoff doubling),
	// not asleep, so retry's own pause is nominal.
	var status *client.Status
	wait := c.cfg.SubmitBackoff
	attempt := 0
	var last error
	err = retry.Do(ctx, retry.Policy{Initial: time.Millisecond, Max: time.Millisecond, Attempts: c.cfg.SubmitRetries + 1}, nil,
		func(ctx context.Context) error {
			if attempt > 0 {
				if st, ok := c.settled(ctx, txID, wait); ok {
					c.log().Info("transaction committed although its submission failed", slog.String("txId", txID),
						slog.String("error", last.Error()))
					status = st
					return nil
				}
				if ctx.Err() != nil {
					return retry.Permanent(last)
				}
				c.log().Warn("transaction outcome unknown; submitting it again", slog.String("txId", txID),
					slog.Int("attempt", attempt), slog.String("error", last.Error()))
				if c.cfg.OnResubmit != nil {
					c.cfg.OnResubmit()
				}
				wait *= 2
			}
			attempt++
			status, last = c.order(ctx, txn)
			return last
		})
	if err != nil {
		if last != nil {
			err = last // the submission's error, not the context's
		}
		return nil, nil, withTx(err, txID)
	}
	if !status.Successful {
		err := withTx(mapCommitCode(txID, status.Code), txID)
		if named != nil && status.Code == peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			err = namedError{err}
		}
		return nil, nil, err
	}
	c.blocks.put(txID, status.BlockNumber)
	return txn.Result(), &Result{TxID: txID, BlockNumber: status.BlockNumber}, nil
}

// settled waits up to wait for the commit status of a transaction whose
// submission or commit status failed, before it is submitted again. The
// orderers may have ordered it even so: a BFT submission goes to every
// orderer and needs a quorum of them to accept it, and an orderer that
// has already put it in a block (the leader can be that quick) refuses it
// as "already processed" — so a transaction ordered at once can be
// reported failed. Its status is then all it takes.
func (c *Client) settled(ctx context.Context, txID string, wait time.Duration) (*client.Status, bool) {
	sctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if st, err := c.status(sctx, txID); err == nil {
		return st, true
	}
	<-sctx.Done() // not committed yet: the rest of the wait, then again
	return nil, false
}

// status asks the peer for the commit status of a transaction; it waits
// until the transaction commits or ctx ends.
func (c *Client) status(ctx context.Context, txID string) (*client.Status, error) {
	id := c.gw.Identity()
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	if err != nil {
		return nil, err
	}
	req, err := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: c.cfg.Channel, TransactionId: txID, Identity: creator})
	if err != nil {
		return nil, err
	}
	signed, err := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: req})
	if err != nil {
		return nil, err
	}
	commit, err := c.gw.NewCommit(signed)
	if err != nil {
		return nil, err
	}
	return commit.StatusWithContext(ctx)
}

// learnEndorsers learns from the endorsements of a transaction discovery
// planned.
func (c *Client) learnEndorsers(e *endorsers, txn *client.Transaction) {
	raw, err := txn.Bytes()
	if err == nil {
		var orgs []string
		if orgs, err = endorsingOrgs(raw); err == nil {
			e.learn(orgs)
			return
		}
	}
	c.log().Warn("could not read the endorsers of a transaction", slog.String("error", err.Error()))
}

// notFoundPolicy paces endorsements refused as NOT_FOUND. The department's
// own peer may have committed a record (a letter just anchored) that
// another endorsing peer has not yet; a moment later it has. A record that
// really does not exist costs these waits (under 2 s) before NOT_FOUND.
var notFoundPolicy = retry.Policy{Initial: 100 * time.Millisecond, Max: 800 * time.Millisecond, Attempts: 5, Within: 2 * time.Second}

func isNotFound(err error) bool { return chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND }

// whileNotFound calls fn again, paced by notFoundPolicy, while it answers
// NOT_FOUND; it returns fn's last error (not the context's).
func whileNotFound(ctx context.Context, fn func(context.Context) error) error {
	var last error
	err := retry.Do(ctx, notFoundPolicy, isNotFound, func(ctx context.Context) error {
		last = fn(ctx)
		return last
	})
	if err != nil && last != nil {
		return last
	}
	return err
}

// endorse collects the endorsements of a proposal, trying again while
// the endorsers answer NOT_FOUND (see notFoundPolicy).
func (c *Client) endorse(ctx context.Context, proposal *client.Proposal) (*client.Transaction, error) {
	var txn *client.Transaction
	err := whileNotFound(ctx, func(ctx context.Context) error {
		start := time.Now()
		ectx, cancel := context.WithTimeout(ctx, c.cfg.EndorseTimeout)
		defer cancel()
		t, err := proposal.EndorseWithContext(ectx)
		if err != nil {
			return mapError(err)
		}
		c.step("endorse", start)
		txn = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return txn, nil
}

// order submits an endorsed transaction and waits for its commit status;
// any error means the outcome is unknown.
func (c *Client) order(ctx context.Context, txn *client.Transaction) (*client.Status, error) {
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, c.cfg.SubmitTimeout)
	commit, err := txn.SubmitWithContext(sctx)
	cancel()
	if err != nil {
		return nil, mapError(err)
	}
	c.step("order", start)
	start = time.Now()
	cctx, cancel := context.WithTimeout(ctx, c.cfg.CommitTimeout)
	status, err := commit.StatusWithContext(cctx)
	cancel()
	if err != nil {
		return nil, commitUnknown(err)
	}
	c.step("commit", start)
	return status, nil
}
