// Package proof builds and checks proof bundles: self-contained evidence
// that a record (a commitment letter's, or a bare digest's anchor) was
// written on the shared channel, which anyone can check offline, trusting
// only the hash of the channel's genesis block.
//
// A bundle (schema chengnuo-proof/2) holds the block with the transaction
// (every transaction of it, so the block's data hash can be recomputed,
// and its metadata with the ordering service's signatures) and every
// configuration block up to it (the organisations, their CA certificates,
// the consenters and the policies in force at each height). Its size grows
// with the configuration changes — a department joining or leaving, a
// certificate renewed — never with the height: about 17 KB at block 10³
// and at block 10⁶ of a four-department channel. Verify checks the chain
// of configurations from the pinned genesis block — each configuration
// block's data hashes to its header, its configuration sequence is the
// previous one's plus one (so none can be left out), and a BFT quorum of
// the consenters of the configuration before it signed it — then the
// transaction from the inside out: the write of the record, the
// endorsements over it against the channel's endorsement policy (a
// majority of the departments' peers), the proposal the endorsers signed
// against the transaction's own header (its time, id, creator and input),
// the creator's signature, the block's data hash, and the BFT quorum of
// ordering signatures over the block by the consenters of the last
// configuration carried, which the block's signed metadata must name as
// the one it was ordered under; then the peer's validation flag and, given
// the letter, its digest and the applicant's SM2 signature. It names the
// first check that fails.
//
// Bundles of the first schema (chengnuo-proof/1) also carried the header of
// every block before the proven one, the hash chain down to the genesis
// block — about 100 bytes a block, 94 MiB at a million blocks. They still
// verify, chain included.
//
// # What the chain of configurations assumes
//
// Under SmartBFT every block carries the signatures of a quorum of the
// consenters of the configuration in force (Fabric RFC 0010), and Fabric's
// own nodes catching up on a channel trust a block on that alone: the hash
// chain adds nothing a quorum's signatures do not already give, as long as
// no more than f of the n consenters (f = (n-1)/3) of each configuration
// are faulty. A bundle of schema 2 assumes exactly that, and for each
// configuration forever after it was replaced: a quorum of a superseded
// configuration's consenters — keys the departments retired — could sign a
// history of their own from that configuration on, which a bundle that
// leaves the later configurations out would present consistently. The
// consenters' keys are therefore kept, and retired, as the network's own
// are (an orderer's key is a department's signature on every block); a
// reader who knows of a later configuration than the bundle carries should
// ask a gateway for a bundle again.
//
// # What a bundle proves
//
// Checked against a genesis hash the reader got from the departments (not
// from the server that handed over the bundle), a bundle that passes
// proves, as long as no more than a minority of the departments' peers and
// no more than f of the n consenters (f = (n-1)/3) of each configuration
// conspire:
//
//   - that a majority of the departments' peers endorsed the write of the
//     record shown — its status, digests and history — as the result of
//     running the named chaincode on the proposal of the named creator;
//   - that this proposal carried the transaction id and the time shown:
//     the endorsers signed the hash of the channel header (time, id,
//     channel), the signature header (creator, nonce) and the input, so a
//     client cannot wrap an endorsed write in a new envelope with another
//     time, id or creator (CheckProposal); the chaincode refuses proposals
//     dated more than a few minutes from the endorsers' clocks, so the time
//     is within that skew of the real one;
//   - that the creator, a member of a department of the channel, signed the
//     transaction, and that a BFT quorum of the consenters in force ordered
//     it into the block of that number, under the last of the
//     configurations the bundle carries, which descend from the pinned
//     genesis block one by one, each signed by a quorum of the consenters
//     before it.
//
// # What it cannot prove
//
//   - That the transaction took effect. The validation flags of a block are
//     computed by each committing peer and signed by nobody: the flag in a
//     bundle is the word of the peer that built it. A transaction that was
//     ordered but invalidated — most often a read conflict (MVCC) with a
//     concurrent transaction on the same key, or a duplicate of an earlier
//     one — carries the same endorsements and ordering signatures as a valid
//     one. Together with CheckProposal this leaves a narrow gap: an endorsed
//     proposal that lost a race. For a reader it means that a bundle is the
//     ledger's record as one department's peer reports it, checked in every
//     part that is signed; a reader who doubts one department can ask
//     another department's gateway for the same record's bundle, whose flag
//     is its own peer's word. What would close it: a signature over the
//     flags, e.g. a later transaction endorsed by a majority whose read set
//     names the record's key at version (block, transaction) — the
//     endorsers read committed state, so that version exists only if the
//     write took effect — carried in the bundle as a second, endorsed
//     witness; or the peers' commit hashes signed by a majority.
//   - That the record is still current. A bundle proves the record as
//     written at its height; a later transition is a later proof.
//   - Who the applicant is, unless the verifier is given the applicant
//     CAs: without them a signature over the letter shows only that some key
//     signed it ("a key of unknown owner").
//   - Anything at all without a pin: a bundle of an invented network, with
//     its own CAs and consenters under the real departments' names, is
//     internally consistent. Report.Pinned is false and Describe never says
//     PROVEN when no genesis hash was given.
//
// It depends only on Fabric's protobuf definitions and the standard
// library's crypto (plus the project's SM2/SM3 package), so other systems
// can embed it; it compiles to WebAssembly.
package proof
