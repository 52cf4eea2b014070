package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Kernel is a running Jupyter kernel process and this client's connection to it: a DEALER
// socket on shell (requests and replies), a DEALER on control (interrupt, shutdown) and a SUB
// on iopub (everything the kernel broadcasts: outputs and busy/idle status). Stdin and the
// heartbeat are not used: cells may not ask for input, and liveness is the process itself.
//
// A Kernel runs one request at a time; it is not safe for concurrent use.
type Kernel struct {
	spec     *KernelSpec
	conn     *ConnectionInfo
	connFile string
	key      []byte
	session  string

	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error         // the process's exit status, valid after exited is closed
	logs    *tailBuffer   // the last bytes of the kernel's stdout and stderr

	cancel           context.CancelFunc // closes the sockets
	shell, control   zmq4.Socket
	iopub            zmq4.Socket
	shellIn, iopubIn chan *Message

	// displays maps a display_id to the outputs showing it, so update_display_data can
	// replace them in place, also across cells.
	displays map[string][]*Output
	// late holds the collectors of the cells run so far, by request msg_id, for the messages
	// that come after their idle status (see lateQuiet).
	late map[string]*collector

	ready     bool // the handshake completed: the sockets are connected
	closeOnce sync.Once
}

// KernelOptions configure StartKernel.
type KernelOptions struct {
	// Dir is the kernel's working directory; Jupyter uses the notebook's directory, and GoNB
	// exposes it to cells as $GONB_DIR. Default: the current directory.
	Dir string
	// Env is added to the environment (after the kernel spec's env, so it wins).
	Env map[string]string
	// StartTimeout bounds the wait for the kernel to answer kernel_info. Default 2 minutes.
	StartTimeout time.Duration
	// Log, if set, receives the kernel's stdout and stderr as they are written.
	Log io.Writer
}

// StartKernel starts the kernel described by spec and returns once it has answered a
// kernel_info_request and its iopub broadcasts are arriving. The process runs in its own
// process group, which Close kills.
func StartKernel(ctx context.Context, spec *KernelSpec, opts KernelOptions) (*Kernel, error) {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	conn, err := newConnectionInfo(spec.Name)
	if err != nil {
		return nil, err
	}
	k := &Kernel{
		spec: spec, conn: conn, key: []byte(conn.Key), session: newID(),
		exited: make(chan struct{}), logs: &tailBuffer{max: 16 << 10},
		shellIn: make(chan *Message, 64), iopubIn: make(chan *Message, 4096),
		displays: map[string][]*Output{}, late: map[string]*collector{},
	}
	if err := k.writeConnectionFile(); err != nil {
		return nil, err
	}
	if err := k.startProcess(opts); err != nil {
		os.Remove(k.connFile)
		return nil, err
	}
	if err := k.connect(ctx, opts.StartTimeout); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// writeConnectionFile writes the connection info to a private temporary file.
func (k *Kernel) writeConnectionFile() error {
	f, err := os.CreateTemp("", "kernel-*.json")
	if err != nil {
		return fmt.Errorf("notebook: creating connection file: %w", err)
	}
	k.connFile = f.Name()
	err = json.NewEncoder(f).Encode(k.conn)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(k.connFile)
		return fmt.Errorf("notebook: writing connection file %s: %w", k.connFile, err)
	}
	return nil
}

// startProcess runs the kernel's argv with {connection_file} substituted.
func (k *Kernel) startProcess(opts KernelOptions) error {
	argv := make([]string, len(k.spec.Argv))
	for i, a := range k.spec.Argv {
		argv[i] = strings.ReplaceAll(a, "{connection_file}", k.connFile)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = opts.Dir
	cmd.Env = kernelEnv(os.Environ(), argv[0], k.spec.Env, opts.Env)
	var out io.Writer = k.logs
	if opts.Log != nil {
		out = io.MultiWriter(k.logs, opts.Log)
	}
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("notebook: starting kernel %q: %w (re-run kernel-setup/setup.sh if the binary moved)", argv[0], err)
	}
	k.cmd = cmd
	go func() {
		k.waitErr = cmd.Wait()
		close(k.exited)
	}()
	return nil
}

// kernelEnv builds the kernel's environment: the parent's, then the spec's env, then extra.
// The directory of the kernel binary is appended to PATH, so tools installed beside it (GoNB
// needs goimports) are found without touching the user's PATH.
func kernelEnv(base []string, binary string, specEnv, extra map[string]string) []string {
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	for k, v := range specEnv {
		set(k, v)
	}
	for k, v := range extra {
		set(k, v)
	}
	if dir := filepath.Dir(binary); filepath.IsAbs(binary) {
		if p := env["PATH"]; p == "" {
			set("PATH", dir)
		} else if !strings.Contains(string(os.PathListSeparator)+p+string(os.PathListSeparator), string(os.PathListSeparator)+dir+string(os.PathListSeparator)) {
			set("PATH", p+string(os.PathListSeparator)+dir)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+env[k])
	}
	return out
}

// connect dials the sockets and performs the kernel_info handshake.
func (k *Kernel) connect(ctx context.Context, timeout time.Duration) error {
	sctx, cancel := context.WithCancel(context.Background())
	k.cancel = cancel
	// The kernel binds its ports a moment after it starts: keep retrying the dial, every 100ms,
	// until the deadline below cancels it.
	// A send waits for a connection; 30s (not zmq4's 5 minutes) bounds that wait if one drops.
	opts := []zmq4.Option{zmq4.WithDialerRetry(100 * time.Millisecond), zmq4.WithDialerMaxRetries(-1),
		zmq4.WithTimeout(30 * time.Second), zmq4.WithLogger(discardLogger)}
	k.shell = zmq4.NewDealer(sctx, opts...)
	k.control = zmq4.NewDealer(sctx, opts...)
	k.iopub = zmq4.NewSub(sctx, opts...)
	if err := k.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		return fmt.Errorf("notebook: subscribing to iopub: %w", err)
	}

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	dialed := make(chan error, 1)
	go func() {
		for _, d := range []struct {
			s    zmq4.Socket
			port int
			name string
		}{{k.shell, k.conn.ShellPort, "shell"}, {k.control, k.conn.ControlPort, "control"}, {k.iopub, k.conn.IOPubPort, "iopub"}} {
			if err := d.s.Dial(k.conn.endpoint(d.port)); err != nil {
				dialed <- fmt.Errorf("dialing %s: %w", d.name, err)
				return
			}
		}
		dialed <- nil
	}()
	select {
	case err := <-dialed:
		if err != nil {
			return k.startError(err)
		}
	case <-k.exited:
		return k.startError(errors.New("the kernel exited"))
	case <-deadline.C:
		return k.startError(fmt.Errorf("its ports did not open within %v", timeout))
	case <-ctx.Done():
		return k.startError(ctx.Err())
	}
	go k.readLoop(k.shell, k.shellIn)
	go k.readLoop(k.iopub, k.iopubIn)

	// Handshake: ask kernel_info every 250ms until both the shell reply and an iopub message
	// for one of the requests arrived; the latter proves the subscription is live, so no output
	// of the first cell is lost.
	sent := map[string]bool{}
	var replied, broadcast bool
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	if err := k.sendRequest(k.shell, "kernel_info_request", map[string]any{}, sent); err != nil {
		return k.startError(err)
	}
	for !replied || !broadcast {
		select {
		case <-tick.C:
			if err := k.sendRequest(k.shell, "kernel_info_request", map[string]any{}, sent); err != nil {
				return k.startError(err)
			}
		case m := <-k.shellIn:
			if m != nil && sent[m.ParentHeader.MsgID] && m.Header.MsgType == "kernel_info_reply" {
				replied = true
			}
		case m := <-k.iopubIn:
			if m != nil && sent[m.ParentHeader.MsgID] {
				broadcast = true
			}
		case <-k.exited:
			return k.startError(errors.New("the kernel exited"))
		case <-deadline.C:
			return k.startError(fmt.Errorf("no kernel_info_reply within %v (reply seen: %v, iopub seen: %v)", timeout, replied, broadcast))
		case <-ctx.Done():
			return k.startError(ctx.Err())
		}
	}
	k.ready = true
	return nil
}

// discardLogger silences zmq4's own logging (it reports every dial retry).
var discardLogger = log.New(io.Discard, "", 0)

// sendRequest sends a new request of msgType on socket and records its msg_id in sent.
func (k *Kernel) sendRequest(socket zmq4.Socket, msgType string, content any, sent map[string]bool) error {
	m, err := newMessage(k.session, msgType, content)
	if err != nil {
		return err
	}
	if sent != nil {
		sent[m.Header.MsgID] = true
	}
	return k.send(socket, m)
}

// send signs and sends m on socket.
func (k *Kernel) send(socket zmq4.Socket, m *Message) error {
	frames, err := m.encode(k.key)
	if err != nil {
		return err
	}
	if err := socket.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("notebook: sending %s: %w", m.Header.MsgType, err)
	}
	return nil
}

// readLoop decodes messages from socket into ch until the socket closes. Messages that fail
// to decode (bad signature) are dropped: they cannot be trusted to belong to this kernel.
func (k *Kernel) readLoop(socket zmq4.Socket, ch chan<- *Message) {
	for {
		raw, err := socket.Recv()
		if err != nil {
			return
		}
		m, err := decode(k.key, raw.Frames)
		if err != nil {
			continue
		}
		select {
		case ch <- m:
		case <-k.exited:
			return
		}
	}
}

// startError wraps a start failure with the tail of the kernel's log, which usually says why.
func (k *Kernel) startError(err error) error {
	msg := fmt.Sprintf("notebook: kernel %q did not start: %v", k.spec.Argv[0], err)
	select {
	case <-k.exited:
		msg += fmt.Sprintf(" (exit status: %v)", k.waitErr)
	default:
	}
	if tail := strings.TrimSpace(k.logs.String()); tail != "" {
		msg += "\nkernel log:\n" + tail
	}
	return errors.New(msg)
}

// Interrupt asks the kernel to interrupt the running cell: an interrupt_request on control
// (GoNB's interrupt_mode is "message").
func (k *Kernel) Interrupt() error {
	return k.sendRequest(k.control, "interrupt_request", map[string]any{}, nil)
}

// Signal sends SIGINT to the kernel process, the fallback interrupt of kernels whose
// interrupt_mode is "signal".
func (k *Kernel) Signal() error {
	return interruptProcess(k.cmd)
}

// Close shuts the kernel down: a shutdown_request on control, up to 3 seconds for the process
// to exit, then a kill of its whole process group (which also ends any cell program it runs).
// It removes the connection file. Close is safe to call more than once.
func (k *Kernel) Close() error {
	k.closeOnce.Do(func() {
		if k.ready {
			select {
			case <-k.exited:
			default:
				_ = k.sendRequest(k.control, "shutdown_request", map[string]any{"restart": false}, nil)
				select {
				case <-k.exited:
				case <-time.After(3 * time.Second):
				}
			}
		}
		if k.cmd != nil {
			killProcessGroup(k.cmd)
			select {
			case <-k.exited:
			case <-time.After(5 * time.Second):
			}
		}
		if k.cancel != nil {
			k.cancel()
		}
		for _, s := range []zmq4.Socket{k.shell, k.control, k.iopub} {
			if s != nil {
				s.Close()
			}
		}
		os.Remove(k.connFile)
	})
	return nil
}

// Logs returns the last bytes the kernel wrote to its stdout and stderr.
func (k *Kernel) Logs() string { return k.logs.String() }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
