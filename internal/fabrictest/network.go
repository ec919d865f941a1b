package fabrictest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/chaincode"
	"github.com/chengnuo/chengnuo/fabric"
)

// Chaincode is the name the notary chaincode is deployed under.
const Chaincode = "notary"

// Network is one channel with the notary chaincode, served by an
// in-process Fabric Gateway service. Every submitted transaction is
// committed alone in a new block, after an MVCC check of its reads.
type Network struct {
	World *World

	mu      sync.Mutex
	blocks  []*common.Block
	txs     map[string]*txRecord // by tx id: endorsed, then committed
	changed chan struct{}        // closed and replaced at every new block

	// Hooks for fault tests; each is consulted once per call when set.
	FailSubmit       func(txID string) error // refuse a submission (as an ordering failure)
	FailCommitStatus func(txID string) error // fail a commit-status query
	// FailOrdered orders a submission, then reports it failed, as a BFT
	// submission does when too few orderers accept it because the others
	// have already put it in a block.
	FailOrdered func(txID string) error
	// LagEndorse, when it returns a message, makes an endorser refuse the
	// proposal with that chaincode message (a peer that has not committed
	// the latest blocks yet).
	LagEndorse  func(fn string) string
	resubmitted int // submissions of a transaction already ordered

	// Who endorses. Left to choose (no organizations named), the service
	// has the creator's organization endorse, then the next Majority-1
	// organizations of Orgs after it, as discovery would; named, exactly
	// those, and a named organization in Down fails the endorsement. At
	// commit a transaction needs endorsements of Majority organizations
	// of Orgs, unless one organization was named alone (private data).
	// Set them before the first transaction.
	Orgs     []string
	Majority int
	Down     map[string]bool // guarded by mu once transactions run

	srv *grpc.Server
	lis *bufconn.Listener
}

type txRecord struct {
	stub     *Stub
	fn       string
	orgs     []string // the endorsing organizations
	named    bool     // named by the client
	envelope []byte
	code     peer.TxValidationCode
	block    uint64
	done     bool
}

// NewNetwork starts a network whose genesis block is block 0. It stops when the test ends.
func NewNetwork(tb testing.TB) *Network {
	tb.Helper()
	n := &Network{World: NewWorld(), txs: map[string]*txRecord{}, changed: make(chan struct{}),
		Orgs: []string{"JusticeMSP", "MarketMSP", "PoliceMSP", "CreditMSP"}, Majority: 3, Down: map[string]bool{}}
	n.blocks = []*common.Block{newBlock(0, nil, nil, nil)}
	n.lis = bufconn.Listen(1 << 20)
	n.srv = grpc.NewServer()
	gateway.RegisterGatewayServer(n.srv, &server{n: n})
	peer.RegisterDeliverServer(n.srv, &deliver{n: n})
	go func() { _ = n.srv.Serve(n.lis) }()
	tb.Cleanup(n.srv.Stop)
	return n
}

// Resubmitted is how many submissions repeated a transaction already ordered.
func (n *Network) Resubmitted() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.resubmitted
}

// Args returns the arguments a submitted transaction was proposed with
// (what its block keeps), nil for an unknown transaction.
func (n *Network) Args(txID string) [][]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	if tx, ok := n.txs[txID]; ok {
		return tx.stub.Args
	}
	return nil
}

// Endorsers returns the organizations that endorsed a transaction and
// whether the client named them.
func (n *Network) Endorsers(txID string) (orgs []string, named bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if tx, ok := n.txs[txID]; ok {
		return tx.orgs, tx.named
	}
	return nil, false
}

// SetDown marks an organization's peers down (or up again).
func (n *Network) SetDown(org string, down bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Down[org] = down
}

// endorsers chooses the endorsing organizations of a proposal.
func (n *Network) endorsers(creatorMSP string, named []string) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(named) > 0 {
		for _, o := range named {
			if n.Down[o] || !slices.Contains(n.Orgs, o) {
				return nil, status.Errorf(codes.Unavailable, "failed to find any endorsing peers for org(s): %s", o)
			}
		}
		return named, nil
	}
	orgs := []string{creatorMSP}
	at := slices.Index(n.Orgs, creatorMSP)
	for i := 1; i < len(n.Orgs) && len(orgs) < n.Majority; i++ {
		if o := n.Orgs[(at+i)%len(n.Orgs)]; !n.Down[o] {
			orgs = append(orgs, o)
		}
	}
	return orgs, nil
}

// Height is the number of blocks.
func (n *Network) Height() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return uint64(len(n.blocks))
}

// Identity makes a client identity of mspID (an ECDSA P-256 certificate)
// and its serialized form, as the chaincode sees the creator.
func Identity(tb testing.TB, mspID string) (*identity.X509Identity, identity.Sign, []byte) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "User1@" + mspID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		tb.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		tb.Fatal(err)
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		tb.Fatal(err)
	}
	return id, sign, creator
}

// Client returns the real Fabric adapter of organization mspID, connected
// to this network. Checkpoint files go to a test directory.
func (n *Network) Client(tb testing.TB, mspID string) *fabric.Client {
	tb.Helper()
	conn, err := grpc.NewClient("passthrough:///fabrictest",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return n.lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	id, sign, _ := Identity(tb, mspID)
	c, err := fabric.New(fabric.Config{MSPID: mspID, Channel: "chengnuo", Chaincode: Chaincode,
		Checkpoint:      tb.TempDir() + "/events.checkpoint",
		EvaluateTimeout: 5 * time.Second, EndorseTimeout: 5 * time.Second, SubmitTimeout: 5 * time.Second, CommitTimeout: 5 * time.Second,
		SubmitBackoff: 10 * time.Millisecond,
	}, conn, id, sign)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// proposal is what the service reads from a signed proposal.
type proposal struct {
	txID, channel, chaincode, creatorMSP string
	creator                              []byte
	at                                   time.Time
	args                                 [][]byte
	transient                            map[string][]byte
	header                               *common.Header
	payload                              []byte
}

func parseProposal(sp *peer.SignedProposal) (*proposal, error) {
	var prop peer.Proposal
	var hdr common.Header
	var ch common.ChannelHeader
	var sh common.SignatureHeader
	var sid msp.SerializedIdentity
	var ext peer.ChaincodeHeaderExtension
	var cpp peer.ChaincodeProposalPayload
	var cis peer.ChaincodeInvocationSpec
	for _, step := range []struct {
		raw []byte
		m   proto.Message
	}{{sp.GetProposalBytes(), &prop}} {
		if err := proto.Unmarshal(step.raw, step.m); err != nil {
			return nil, err
		}
	}
	if err := proto.Unmarshal(prop.GetHeader(), &hdr); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), &ch); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), &sh); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(sh.GetCreator(), &sid); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(ch.GetExtension(), &ext); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(prop.GetPayload(), &cpp); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(cpp.GetInput(), &cis); err != nil {
		return nil, err
	}
	clean, _ := proto.Marshal(&peer.ChaincodeProposalPayload{Input: cpp.GetInput()}) // transient data never reaches a block
	return &proposal{
		txID: ch.GetTxId(), channel: ch.GetChannelId(), chaincode: ext.GetChaincodeId().GetName(),
		creatorMSP: sid.GetMspid(), creator: sh.GetCreator(), at: ch.GetTimestamp().AsTime(),
		args: cis.GetChaincodeSpec().GetInput().GetArgs(), transient: cpp.GetTransientMap(), header: &hdr, payload: clean,
	}, nil
}

// run executes the proposal on the peer of peerOrg.
func (n *Network) run(p *proposal, peerOrg string) (*Stub, *peer.Response) {
	stub := NewStub(n.World, p.txID, p.creator, p.at, p.args...)
	stub.Channel, stub.Transient, stub.PeerOrg = p.channel, p.transient, peerOrg
	if p.chaincode == "qscc" {
		return stub, n.qscc(p.args)
	}
	return stub, (&chaincode.Contract{}).Invoke(stub)
}

func chaincodeFailure(code codes.Code, what string, r *peer.Response) error {
	st := status.New(code, what+", see attached details for more info")
	st, _ = st.WithDetails(&gateway.ErrorDetail{Address: "fabrictest:7051", MspId: "Test",
		Message: "chaincode response " + strconv.Itoa(int(r.GetStatus())) + ", " + r.GetMessage()})
	return st.Err()
}

type server struct {
	gateway.UnimplementedGatewayServer
	n *Network
}

func (s *server) Evaluate(_ context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	p, err := parseProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	_, r := s.n.run(p, p.creatorMSP)
	if r.GetStatus() != shim.OK {
		return nil, chaincodeFailure(codes.Unknown, "evaluate call to endorser returned error", r)
	}
	return &gateway.EvaluateResponse{Result: r}, nil
}

func (s *server) Endorse(_ context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	p, err := parseProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	peerOrg := p.creatorMSP
	if orgs := req.GetEndorsingOrganizations(); len(orgs) > 0 {
		peerOrg = orgs[0]
	}
	if s.n.LagEndorse != nil && len(p.args) > 0 {
		if msg := s.n.LagEndorse(string(p.args[0])); msg != "" {
			return nil, chaincodeFailure(codes.Aborted, "failed to endorse transaction", &peer.Response{Status: shim.ERROR, Message: msg})
		}
	}
	orgs, err := s.n.endorsers(p.creatorMSP, req.GetEndorsingOrganizations())
	if err != nil {
		return nil, err
	}
	stub, r := s.n.run(p, peerOrg)
	if r.GetStatus() != shim.OK {
		return nil, chaincodeFailure(codes.Aborted, "failed to endorse transaction", r)
	}
	endorsements := make([]*peer.Endorsement, len(orgs))
	for i, o := range orgs {
		endorser := p.creator
		if o != p.creatorMSP {
			endorser, _ = proto.Marshal(&msp.SerializedIdentity{Mspid: o})
		}
		endorsements[i] = &peer.Endorsement{Endorser: endorser}
	}
	var events []byte
	if stub.Event != nil {
		stub.Event.ChaincodeId = p.chaincode
		events, _ = proto.Marshal(stub.Event)
	}
	ext, _ := proto.Marshal(&peer.ChaincodeAction{Response: r, Events: events, Results: stub.Results(p.chaincode)})
	prp, _ := proto.Marshal(&peer.ProposalResponsePayload{Extension: ext})
	cap, _ := proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: p.payload,
		Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: endorsements}})
	tx, _ := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: p.header.GetSignatureHeader(), Payload: cap}}})
	payload, _ := proto.Marshal(&common.Payload{Header: p.header, Data: tx})
	fn := ""
	if len(p.args) > 0 {
		fn = string(p.args[0])
	}
	s.n.mu.Lock()
	s.n.txs[p.txID] = &txRecord{stub: stub, fn: fn, orgs: orgs, named: len(req.GetEndorsingOrganizations()) > 0}
	s.n.mu.Unlock()
	return &gateway.EndorseResponse{PreparedTransaction: &common.Envelope{Payload: payload}}, nil
}

func (s *server) Submit(_ context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	n := s.n
	if n.FailSubmit != nil {
		if err := n.FailSubmit(req.GetTransactionId()); err != nil {
			return nil, status.Error(codes.Unavailable, err.Error())
		}
	}
	env, err := proto.Marshal(req.GetPreparedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	tx, ok := n.txs[req.GetTransactionId()]
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "unknown transaction "+req.GetTransactionId())
	}
	if tx.done {
		// Submitted again: Fabric would order the copy and mark it a
		// duplicate (no effect); its id's status stays the first copy's.
		n.resubmitted++
		return &gateway.SubmitResponse{}, nil
	}
	tx.done, tx.envelope = true, env
	tx.block = uint64(len(n.blocks))
	tx.code = peer.TxValidationCode_VALID
	if len(tx.orgs) < n.Majority && !(tx.named && len(tx.orgs) == 1) {
		tx.code = peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
	} else if tx.stub.Conflict() {
		tx.code = peer.TxValidationCode_MVCC_READ_CONFLICT
	} else {
		tx.stub.Commit(tx.block)
	}
	n.blocks = append(n.blocks, newBlock(tx.block, n.blocks[len(n.blocks)-1], [][]byte{env}, []byte{byte(tx.code)}))
	close(n.changed)
	n.changed = make(chan struct{})
	if n.FailOrdered != nil {
		if err := n.FailOrdered(req.GetTransactionId()); err != nil {
			return nil, status.Error(codes.Unavailable, err.Error())
		}
	}
	return &gateway.SubmitResponse{}, nil
}

func (s *server) CommitStatus(ctx context.Context, req *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	var r gateway.CommitStatusRequest
	if err := proto.Unmarshal(req.GetRequest(), &r); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if s.n.FailCommitStatus != nil {
		if err := s.n.FailCommitStatus(r.GetTransactionId()); err != nil {
			return nil, status.Error(codes.DeadlineExceeded, err.Error())
		}
	}
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	tx, ok := s.n.txs[r.GetTransactionId()]
	if !ok || !tx.done {
		return nil, status.Error(codes.NotFound, "transaction "+r.GetTransactionId()+" is not committed")
	}
	return &gateway.CommitStatusResponse{Result: tx.code, BlockNumber: tx.block}, nil
}

func (s *server) ChaincodeEvents(req *gateway.SignedChaincodeEventsRequest, stream grpc.ServerStreamingServer[gateway.ChaincodeEventsResponse]) error {
	var r gateway.ChaincodeEventsRequest
	if err := proto.Unmarshal(req.GetRequest(), &r); err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	n := s.n
	n.mu.Lock()
	next := uint64(len(n.blocks))
	n.mu.Unlock()
	switch pos := r.GetStartPosition().GetType().(type) {
	case *orderer.SeekPosition_Specified:
		next = pos.Specified.GetNumber()
	case *orderer.SeekPosition_Oldest:
		next = 0
	}
	after := r.GetAfterTransactionId()
	return n.follow(stream.Context(), next, func(b *common.Block) error {
		events := n.events(b, r.GetChaincodeId(), &after)
		if len(events) == 0 {
			return nil
		}
		return stream.Send(&gateway.ChaincodeEventsResponse{Events: events, BlockNumber: b.GetHeader().GetNumber()})
	})
}

// follow calls send for every block from next on, as blocks are added,
// until ctx ends or send fails.
func (n *Network) follow(ctx context.Context, next uint64, send func(*common.Block) error) error {
	for {
		n.mu.Lock()
		changed := n.changed
		var blocks []*common.Block
		if next < uint64(len(n.blocks)) {
			blocks = n.blocks[next:]
		}
		n.mu.Unlock()
		for _, b := range blocks {
			if err := send(b); err != nil {
				return err
			}
			next = b.GetHeader().GetNumber() + 1
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// deliver is the peer's Deliver service: blocks from a seek position on.
type deliver struct {
	peer.UnimplementedDeliverServer
	n *Network
}

func (d *deliver) Deliver(stream grpc.BidiStreamingServer[common.Envelope, peer.DeliverResponse]) error {
	env, err := stream.Recv()
	if err != nil {
		return err
	}
	var payload common.Payload
	var seek orderer.SeekInfo
	if err := errors.Join(proto.Unmarshal(env.GetPayload(), &payload), proto.Unmarshal(payload.GetData(), &seek)); err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	n := d.n
	var next uint64
	switch pos := seek.GetStart().GetType().(type) {
	case *orderer.SeekPosition_Specified:
		next = pos.Specified.GetNumber()
	case *orderer.SeekPosition_Newest:
		next = n.Height() - 1
	}
	return n.follow(stream.Context(), next, func(b *common.Block) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: b}})
	})
}

// events returns the chaincode events of the valid transactions of a
// block, skipping those up to and including *after (then cleared).
func (n *Network) events(b *common.Block, chaincodeID string, after *string) []*peer.ChaincodeEvent {
	var out []*peer.ChaincodeEvent
	flags := b.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	for i, raw := range b.GetData().GetData() {
		txID, ev := eventOf(raw)
		if *after != "" {
			if txID == *after {
				*after = ""
			}
			continue
		}
		if ev != nil && ev.GetChaincodeId() == chaincodeID && i < len(flags) && peer.TxValidationCode(flags[i]) == peer.TxValidationCode_VALID {
			out = append(out, ev)
		}
	}
	return out
}

// eventOf digs the chaincode event out of a transaction envelope.
func eventOf(raw []byte) (string, *peer.ChaincodeEvent) {
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	var tx peer.Transaction
	if proto.Unmarshal(raw, &env) != nil || proto.Unmarshal(env.GetPayload(), &payload) != nil ||
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch) != nil || proto.Unmarshal(payload.GetData(), &tx) != nil ||
		len(tx.GetActions()) == 0 {
		return "", nil
	}
	var cap peer.ChaincodeActionPayload
	var prp peer.ProposalResponsePayload
	var ca peer.ChaincodeAction
	var ev peer.ChaincodeEvent
	if proto.Unmarshal(tx.GetActions()[0].GetPayload(), &cap) != nil ||
		proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp) != nil ||
		proto.Unmarshal(prp.GetExtension(), &ca) != nil || len(ca.GetEvents()) == 0 ||
		proto.Unmarshal(ca.GetEvents(), &ev) != nil {
		return ch.GetTxId(), nil
	}
	return ch.GetTxId(), &ev
}

// qscc answers the query system chaincode's functions the adapter uses.
func (n *Network) qscc(args [][]byte) *peer.Response {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(args) < 2 {
		return shim.Error("qscc: missing arguments")
	}
	var m proto.Message
	switch fn := string(args[0]); fn {
	case "GetChainInfo":
		m = &common.BlockchainInfo{Height: uint64(len(n.blocks))}
	case "GetBlockByNumber":
		num, err := strconv.ParseUint(string(args[2]), 10, 64)
		if err != nil || num >= uint64(len(n.blocks)) {
			return shim.Error("qscc: no block " + string(args[2]))
		}
		m = n.blocks[num]
	case "GetBlockByTxID":
		tx, ok := n.txs[string(args[2])]
		if !ok || !tx.done {
			return shim.Error("qscc: no transaction " + string(args[2]))
		}
		m = n.blocks[tx.block]
	default:
		return shim.Error("qscc: unsupported function " + fn)
	}
	raw, err := proto.Marshal(m)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(raw)
}

func newBlock(num uint64, prev *common.Block, data [][]byte, flags []byte) *common.Block {
	b := &common.Block{Header: &common.BlockHeader{Number: num}, Data: &common.BlockData{Data: data},
		Metadata: &common.BlockMetadata{Metadata: make([][]byte, 5)}}
	b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = flags
	if prev != nil {
		raw, _ := proto.Marshal(prev.GetHeader())
		b.Header.PreviousHash = raw[:min(len(raw), 32)]
	}
	return b
}

// String describes the network, for test failure messages.
func (n *Network) String() string { return fmt.Sprintf("fabrictest network at height %d", n.Height()) }
