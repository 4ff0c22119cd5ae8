// Command complaintd-demo runs complaintd's whole job once, on mail servers
// of its own and sample complaints, with no configuration: `make demo`.
//
// The in-process IMAP and SMTP servers (mailbox/mailtest) are test code;
// they live in this program so that the complaintd binary an organisation
// runs does not contain them. The demo runs that binary, unchanged, as a
// child process: what it shows is what the daemon does.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmdDemo(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "complaintd-demo:", err)
		os.Exit(1)
	}
}

// findDaemon returns the complaintd binary to run: the one named, else
// complaintd beside this program, else complaintd in PATH.
func findDaemon(named string) (string, error) {
	if named != "" {
		if _, err := os.Stat(named); err != nil {
			return "", fmt.Errorf("demo: -complaintd: %w", err)
		}
		return named, nil
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "complaintd"); isFile(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("complaintd"); err == nil {
		return p, nil
	}
	return "", errors.New("demo: no complaintd binary beside this program or in PATH; build one (make build) and pass -complaintd bin/complaintd, or run make demo")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// daemonEnv is this process's environment without complaintd's own
// variables: the demo's configuration file is the whole configuration.
func daemonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPLAINTD_") && !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			env = append(env, kv)
		}
	}
	return env
}

// runDaemon runs one complaintd command to its end and returns what it
// printed; its error output is passed on.
func runDaemon(ctx context.Context, bin string, stderr io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = daemonEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("demo: complaintd %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// daemon is `complaintd run` as a child process.
type daemon struct {
	cmd    *exec.Cmd
	log    *bytes.Buffer // its log, shown when it fails (nil with -v: passed on)
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done closes
}

// startDaemon starts `complaintd run -config conf`. Its ctx ends when the
// daemon does.
func startDaemon(ctx context.Context, bin, conf string, stderr io.Writer, verbose bool) (*daemon, error) {
	d := &daemon{cmd: exec.Command(bin, "run", "-config", conf), done: make(chan struct{})}
	d.cmd.Env = daemonEnv()
	if verbose {
		d.cmd.Stderr = stderr
	} else {
		d.log = new(bytes.Buffer)
		d.cmd.Stderr = d.log
	}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo: start complaintd run: %w", err)
	}
	d.ctx, d.cancel = context.WithCancel(ctx)
	go func() {
		d.err = d.cmd.Wait()
		d.cancel()
		close(d.done)
	}()
	return d, nil
}

// stop asks the daemon to finish (SIGINT, as on Ctrl-C) and waits for it;
// an exit other than that clean one is an error, with the daemon's log.
func (d *daemon) stop() error {
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Signal(os.Interrupt)
		select {
		case <-d.done:
		case <-time.After(time.Minute):
			_ = d.cmd.Process.Kill()
			<-d.done
			return errors.New("demo: complaintd run did not stop within a minute of SIGINT")
		}
	}
	if d.err != nil {
		log := ""
		if d.log != nil {
			log = "\n" + d.log.String()
		}
		return fmt.Errorf("demo: complaintd run: %w%s", d.err, log)
	}
	return nil
}

// caseReferences reads the references from `complaintd cases list`, in its
// order: the first column of every row after the heading.
func caseReferences(list string) []string {
	var refs []string
	for i, line := range strings.Split(strings.TrimRight(list, "\n"), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			refs = append(refs, f[0])
		}
	}
	return refs
}

// printDigests shows what `complaintd digest` printed, one framed section
// per manager.
func printDigests(w io.Writer, out string) {
	const head = "==== digest for "
	for _, sec := range strings.Split(out, head)[1:] {
		who, body, _ := strings.Cut(sec, "\n")
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.Repeat("=", 78))
		fmt.Fprintf(w, "DIGEST PREVIEW for %s\n", who)
		fmt.Fprintln(w, strings.Repeat("=", 78))
		if strings.HasPrefix(body, "nothing to report") {
			fmt.Fprintln(w, "nothing to report")
			continue
		}
		fmt.Fprint(w, strings.TrimSuffix(body, "\n"))
	}
}
