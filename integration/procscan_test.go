package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procScan samples the arguments and environment of every process on the
// machine, from before `make up` enrols the departments' identities until
// the tests end, so that TestZZNoSecretOnACommandLine can look for the
// network's secrets in them (issue 29: a secret on a command line or in an
// environment is readable by any local user through /proc).
var procScan = &procScanner{seen: map[string]procSample{}}

// procSample is a process's arguments and environment as sampled.
type procSample struct {
	args    []string
	environ []byte // NUL-separated, as /proc has it
}

type procScanner struct {
	mu      sync.Mutex
	seen    map[string]procSample // by "pid cmdline"
	passes  int
	stop    chan struct{}
	stopped chan struct{}
}

// start samples every 15 ms: a fabric-ca-client enrolment lives for a
// tenth of a second or more.
func (s *procScanner) start() {
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(15 * time.Millisecond)
		defer t.Stop()
		for {
			s.pass()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (s *procScanner) halt() {
	if s.stop != nil {
		close(s.stop)
		<-s.stopped
		s.stop = nil
	}
}

// pass reads every process's command line, and the environment of each
// (process, command line) not seen before: a process that execs into
// another program is sampled again.
func (s *procScanner) pass() {
	dirs, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, d := range dirs {
		pid := d.Name()
		if _, err := strconv.Atoi(pid); err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		key := pid + " " + string(cmdline)
		s.mu.Lock()
		_, known := s.seen[key]
		s.mu.Unlock()
		if known {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join("/proc", pid, "environ"))
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		s.mu.Lock()
		s.seen[key] = procSample{args: args, environ: environ}
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.passes++
	s.mu.Unlock()
}

// samples returns what was seen so far and the number of passes.
func (s *procScanner) samples() ([]procSample, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]procSample, 0, len(s.seen))
	for _, v := range s.seen {
		out = append(out, v)
	}
	return out, s.passes
}
