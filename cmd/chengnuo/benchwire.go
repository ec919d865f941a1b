package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// wire is the load generator's HTTP/1.1 client for the timed requests: a
// pool of keep-alive connections, each writing a request and reading its
// answer in place. net/http's client costs about 100 µs of CPU per request
// on this machine, as much as the gateway's own work on a verification, so
// at 10,000 verifications per second it would be the bottleneck it must not
// be. wire speaks only what the gateway answers: a status line, headers,
// and a body framed by Content-Length or chunked encoding.
type wire struct {
	addr, host string
	timeout    time.Duration
	pool       chan *wireConn
}

type wireConn struct {
	c   net.Conn
	r   *bufio.Reader
	req []byte // the request being written, reused
	res []byte // the body just read, reused
}

// newWire makes a client of the gateway at base (http:// only) keeping at
// most idle connections open between requests.
func newWire(base string, idle int, timeout time.Duration) (*wire, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("bench: --url must be http://HOST:PORT, got %q", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &wire{addr: addr, host: u.Host, timeout: timeout, pool: make(chan *wireConn, idle)}, nil
}

// do sends one request and calls read with the answer's status and body,
// which is only valid during the call.
func (w *wire) do(method, path, auth string, body []byte, read func(status int, body []byte)) error {
	var wc *wireConn
	select {
	case wc = <-w.pool:
	default:
		c, err := net.DialTimeout("tcp", w.addr, w.timeout)
		if err != nil {
			return err
		}
		wc = &wireConn{c: c, r: bufio.NewReaderSize(c, 16<<10)}
	}
	keep, err := wc.roundTrip(w, method, path, auth, body, read)
	if err != nil || !keep {
		wc.c.Close()
		return err
	}
	select {
	case w.pool <- wc:
	default:
		wc.c.Close()
	}
	return nil
}

func (wc *wireConn) roundTrip(w *wire, method, path, auth string, body []byte, read func(int, []byte)) (keep bool, err error) {
	if err := wc.c.SetDeadline(time.Now().Add(w.timeout)); err != nil {
		return false, err
	}
	q := append(wc.req[:0], method...)
	q = append(q, ' ')
	q = append(q, path...)
	q = append(q, " HTTP/1.1\r\nHost: "...)
	q = append(q, w.host...)
	q = append(q, "\r\nUser-Agent: chengnuo-bench\r\n"...)
	if auth != "" {
		q = append(q, "Authorization: Bearer "...)
		q = append(q, auth...)
		q = append(q, "\r\n"...)
	}
	if body != nil {
		q = append(q, "Content-Type: application/json\r\nContent-Length: "...)
		q = strconv.AppendInt(q, int64(len(body)), 10)
		q = append(q, "\r\n"...)
	}
	q = append(q, "\r\n"...)
	q = append(q, body...)
	wc.req = q
	if _, err := wc.c.Write(q); err != nil {
		return false, err
	}
	status, keep, err := wc.readResponse()
	if err != nil {
		return false, err
	}
	read(status, wc.res)
	return keep, nil
}

var errWire = errors.New("bench: malformed HTTP answer")

// readResponse reads one answer into wc.res.
func (wc *wireConn) readResponse() (status int, keep bool, err error) {
	line, err := wc.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errWire
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, errWire
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := wc.r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, false, errWire
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, errWire
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	wc.res = wc.res[:0]
	switch {
	case chunked:
		for {
			sz, err := wc.r.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			sz, _, _ = bytes.Cut(bytes.TrimRight(sz, "\r\n"), []byte(";"))
			n, err := strconv.ParseUint(string(sz), 16, 31)
			if err != nil {
				return 0, false, errWire
			}
			if err := wc.readBody(int(n) + 2); err != nil { // the chunk and its CRLF
				return 0, false, err
			}
			wc.res = wc.res[:len(wc.res)-2]
			if n == 0 {
				return status, keep, nil // no trailers from the gateway
			}
		}
	case length >= 0:
		return status, keep, wc.readBody(length)
	default:
		return 0, false, errWire // an answer framed by closing the connection
	}
}

// readBody appends n bytes of the connection to wc.res.
func (wc *wireConn) readBody(n int) error {
	at := len(wc.res)
	wc.res = slices.Grow(wc.res, n)[:at+n]
	_, err := io.ReadFull(wc.r, wc.res[at:])
	return err
}

// answerHeight reads the top-level "height" of a verification answer, the
// last field of its JSON object, without decoding the whole answer.
func answerHeight(body []byte) uint64 {
	i := bytes.LastIndex(body, []byte(`"height":`))
	if i < 0 {
		return 0
	}
	var h uint64
	for _, c := range body[i+len(`"height":`):] {
		if c < '0' || c > '9' {
			break
		}
		h = h*10 + uint64(c-'0')
	}
	return h
}
