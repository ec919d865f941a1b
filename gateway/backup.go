package gateway

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Snapshot is one part of a gateway's state for a backup: Take calls fn
// with a consistent copy of it (one read transaction of a bbolt file).
type Snapshot struct {
	Name string
	Take func(fn func(size int64, w io.WriterTo) error) error
}

// operatorOnly lets through requests that carry the operator token.
func operatorOnly(token string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			answerJSON(w, http.StatusUnauthorized, map[string]string{"code": chengnuo.EUNAUTHORIZED, "message": "the operator token is required"})
			return
		}
		h(w, r)
	})
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// BackupHandler serves GET /backup on the operations listener: a tar
// archive of consistent snapshots of the gateway's state, taken while
// letters keep arriving — the sources in order (the store first, then the
// read model), the files (the event checkpoint: small, rewritten whole),
// then chengnuo.BackupMetaName. The node kit seals it with the rest of the
// department (chengnuo backup create).
func BackupHandler(token, mspID, store string, height func() uint64, sources []Snapshot, files map[string]string) http.Handler {
	return operatorOnly(token, func(w http.ResponseWriter, r *http.Request) {
		meta := chengnuo.BackupMeta{MSPID: mspID, BlockHeight: height(), Store: store}
		w.Header().Set("Content-Type", "application/x-tar")
		w.Header().Set("Cache-Control", "no-store")
		tw := tar.NewWriter(w)
		add := func(name string, size int64, wt io.WriterTo) error {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, Typeflag: tar.TypeReg, ModTime: time.Now()}); err != nil {
				return err
			}
			_, err := wt.WriteTo(tw)
			return err
		}
		// A large store takes longer than the listener's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
		for _, s := range sources {
			if err := s.Take(func(size int64, wt io.WriterTo) error { return add(s.Name, size, wt) }); err != nil {
				// The archive is cut short: the client finds no meta entry.
				return
			}
		}
		for name, path := range files {
			raw, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil || add(name, int64(len(raw)), bytes.NewReader(raw)) != nil {
				return
			}
		}
		meta.Taken = time.Now().UTC()
		raw, _ := json.Marshal(meta)
		if add(chengnuo.BackupMetaName, int64(len(raw)), bytes.NewReader(raw)) != nil {
			return
		}
		_ = tw.Close()
	})
}

// Reconciler is what ReconcileHandler needs of the service.
type Reconciler interface {
	Reconcile(ctx context.Context, atLeast uint64) (*chengnuo.Reconciliation, error)
}

// ReconcileHandler serves POST /reconcile on the operations listener: run
// once after a restore (notary.Service.Reconcile), it answers the letters
// anchored after the backup.
func ReconcileHandler(token string, rec Reconciler) http.Handler {
	return operatorOnly(token, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Minute)
		defer cancel()
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(11 * time.Minute))
		var atLeast uint64
		if h := r.URL.Query().Get("height"); h != "" {
			n, err := strconv.ParseUint(h, 10, 64)
			if err != nil {
				answerJSON(w, http.StatusBadRequest, map[string]string{"code": chengnuo.EINVALID, "message": "height is a block count"})
				return
			}
			atLeast = n
		}
		out, err := rec.Reconcile(ctx, atLeast)
		if err != nil {
			answerJSON(w, HTTPStatus(chengnuo.ErrorCode(err)), map[string]string{"code": chengnuo.ErrorCode(err), "message": chengnuo.ErrorMessage(err)})
			return
		}
		answerJSON(w, http.StatusOK, out)
	})
}
