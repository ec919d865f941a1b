package notary

import (
	"context"
	"encoding/json"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/proof"
)

// CommitmentProof implements chengnuo.Service: the proof of the latest
// write of the commitment (its anchoring, or its last transition).
func (s *Service) CommitmentProof(ctx context.Context, id string) ([]byte, error) {
	rec, _, err := s.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	tx := rec.TxID
	if n := len(rec.History); n > 0 {
		tx = rec.History[n-1].TxID
	}
	return s.buildProof(ctx, proof.Subject{Kind: proof.KindCommitment, ID: rec.ID, LetterDigest: rec.LetterDigest}, tx)
}

// DigestProof implements chengnuo.Service.
func (s *Service) DigestProof(ctx context.Context, digest string) ([]byte, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	if rec, _, err := s.lookup(ctx, chengnuo.CommitmentID(digest)); err == nil && rec.LetterDigest == digest {
		return s.CommitmentProof(ctx, rec.ID)
	} else if err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, err
	}
	a, err := s.FindAnchor(ctx, digest)
	if err != nil {
		return nil, err
	}
	if a.CommitmentID != "" {
		// A paper letter's scan: the proof is of its commitment, whose
		// record holds the scan's digest.
		return s.CommitmentProof(ctx, a.CommitmentID)
	}
	return s.buildProof(ctx, proof.Subject{Kind: proof.KindAnchor, LetterDigest: a.Digest}, a.TxID)
}

// buildProof assembles the bundle of transaction txID from the peer's block
// and the read model's configuration blocks: its size and cost do not grow
// with the ledger's height.
func (s *Service) buildProof(ctx context.Context, subject proof.Subject, txID string) ([]byte, error) {
	if s.cfg.Index == nil {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this gateway keeps no read model, so it cannot build proofs")
	}
	block, err := s.ledger.BlockOfTx(ctx, txID)
	if err != nil {
		return nil, err
	}
	n, err := proof.BlockNumber(block)
	if err != nil {
		return nil, chengnuo.Internal("the peer's block could not be read", err)
	}
	configs, err := s.cfg.Index.Configs(ctx, n)
	if err != nil {
		return nil, err
	}
	b, err := proof.Build(s.cfg.Channel, s.cfg.Chaincode, subject, block, txID, configs)
	if err != nil {
		return nil, chengnuo.Internal("the proof could not be built", err)
	}
	return json.Marshal(b)
}

// GenesisHash implements chengnuo.Service.
func (s *Service) GenesisHash(ctx context.Context) (string, error) {
	if s.cfg.Index == nil {
		return "", chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this gateway keeps no read model")
	}
	configs, err := s.cfg.Index.Configs(ctx, 1)
	if err != nil {
		return "", err
	}
	if len(configs) == 0 {
		return "", chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the read model has not read the genesis block yet")
	}
	h, err := proof.GenesisHash(configs[0])
	if err != nil {
		return "", chengnuo.Internal("the genesis block could not be read", err)
	}
	return h, nil
}
