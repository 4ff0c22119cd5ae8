package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness condition. Fn returns nil when it holds, else an
// error saying what is wrong in an operator's words.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Server serves /healthz, /readyz and /metrics.
type Server struct {
	Addr    string
	Checks  []Check
	Metrics *Metrics // nil: no /metrics
	Log     *slog.Logger
}

// Handler is the server's routes, for tests and for embedding.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry(), promhttp.HandlerOpts{}))
	}
	return mux
}

// Ready runs every check and returns one line per check, failing ones
// naming what is wrong, and whether all passed.
func (s *Server) Ready(ctx context.Context) (lines []string, ok bool) {
	ok = true
	for _, c := range s.Checks {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.Fn(cctx)
		cancel()
		if err != nil {
			ok = false
			lines = append(lines, fmt.Sprintf("%s: FAIL: %s", c.Name, oneLine(err.Error())))
			continue
		}
		lines = append(lines, c.Name+": ok")
	}
	return lines, ok
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	lines, ok := s.Ready(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// Listen opens the listener before anything else starts, so an address in
// use is an error at start-up rather than a log line later.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("ops: http.addr: %w", err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops: http: %w", err)
	}
	<-stopped // Shutdown has finished the requests in flight
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
