package fabric

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// BenchmarkStateDBMiss measures what issue 33 asks before choosing a
// filter: the cost of reading a key that does not exist — every new
// letter's commitment key and applicant's standing key — in a peer's state
// database as it grows. The database is goleveldb at the version Fabric
// 3.1.1 builds with, opened as Fabric opens it (default options: no bloom
// filter), holding keys as Fabric writes them (channel, 'd', namespace,
// key) with values of a record's size, written a block of 500 at a time;
// then the same with a 10-bit bloom filter, which Fabric does not set.
// Hits are measured too. Reads go through the OS page cache (the database
// is smaller than memory), so the figures are CPU, not disk.
func BenchmarkStateDBMiss(b *testing.B) {
	value := make([]byte, 420)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		for _, bloom := range []bool{false, true} {
			o := &opt.Options{}
			if bloom {
				o.Filter = filter.NewBloomFilter(10)
			}
			db, err := leveldb.OpenFile(b.TempDir(), o)
			if err != nil {
				b.Fatal(err)
			}
			var hits []string
			batch := new(leveldb.Batch)
			for i := range n {
				k := stateKey("commitment", fmt.Sprintf("CN%024x", i*7919))
				batch.Put([]byte(k), value)
				if i%(n/1000) == 0 {
					hits = append(hits, k)
				}
				if batch.Len() == 500 {
					if err := db.Write(batch, nil); err != nil {
						b.Fatal(err)
					}
					batch.Reset()
				}
			}
			if err := db.Write(batch, nil); err != nil {
				b.Fatal(err)
			}
			misses := make([]string, 1000)
			for i := range misses {
				var r [12]byte
				_, _ = rand.Read(r[:])
				misses[i] = stateKey("commitment", "CN"+hex.EncodeToString(r[:]))
			}
			name := fmt.Sprintf("keys=%d/filter=%v", n, map[bool]string{false: "none(Fabric)", true: "bloom10"}[bloom])
			for _, what := range []struct {
				kind string
				keys []string
				err  error
			}{{"miss", misses, leveldb.ErrNotFound}, {"hit", hits, nil}} {
				b.Run(name+"/"+what.kind, func(b *testing.B) {
					i := 0
					for b.Loop() {
						if _, err := db.Get([]byte(what.keys[i%len(what.keys)]), nil); err != what.err {
							b.Fatal(err)
						}
						i++
					}
				})
			}
			db.Close()
		}
	}
}

// stateKey is a key as Fabric's state database stores it: the channel's
// prefix, 'd', the namespace, and the chaincode's composite key.
func stateKey(kind, id string) string {
	return "chengnuo\x00d" + "notary\x00" + "\x00" + kind + "\x00" + id + "\x00"
}
