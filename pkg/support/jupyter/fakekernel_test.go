package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// The protocol tests below need no GoNB: the test binary itself acts as a kernel when started
// with FAKE_KERNEL=1 (the helper-process pattern of os/exec's tests). The fake kernel binds the
// ports of the connection file like a real one and answers by the cell's first word:
//
//	print TEXT   stdout stream "TEXT\n" (twice, to check streams are merged)
//	late TEXT    stdout stream "TEXT\n" 300 ms after the cell's idle status, as GoNB may forward a display
//	display      display_data with display_id "bar", then two update_display_data
//	clear        stdout "old", clear_output(wait=true), stdout "new"
//	fail         error output and an execute_reply with status "error"
//	sleep        nothing until an interrupt_request arrives on control, then "interrupted"
//	pause MS     execute_result "ok" after MS milliseconds
//	exit         the process exits mid-cell
//	anything else: execute_result "ok"
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_KERNEL") == "1" {
		if err := fakeKernel(os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "fake kernel:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeKernel serves the connection file at path until shutdown_request.
func fakeKernel(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var conn ConnectionInfo
	if err := json.Unmarshal(b, &conn); err != nil {
		return err
	}
	if os.Getenv("FAKE_KERNEL_MODE") == "silent" {
		time.Sleep(time.Minute) // never binds: tests the start timeout
	}
	ctx := context.Background()
	shell, control, iopub := zmq4.NewRouter(ctx), zmq4.NewRouter(ctx), zmq4.NewPub(ctx)
	for _, l := range []struct {
		s    zmq4.Socket
		port int
	}{{shell, conn.ShellPort}, {control, conn.ControlPort}, {iopub, conn.IOPubPort}} {
		if err := l.s.Listen(conn.endpoint(l.port)); err != nil {
			return err
		}
	}
	key := []byte(conn.Key)
	var sending sync.Mutex // the late messages are sent from their own goroutines
	send := func(s zmq4.Socket, ids [][]byte, parent Header, msgType string, content any) {
		sending.Lock()
		defer sending.Unlock()
		m, _ := newMessage("fake", msgType, content)
		m.Identities, m.ParentHeader = ids, parent
		frames, _ := m.encode(key)
		_ = s.SendMulti(zmq4.NewMsgFrom(frames...))
	}
	interrupts := make(chan struct{}, 1)
	go func() {
		for {
			raw, err := control.Recv()
			if err != nil {
				return
			}
			m, err := decode(key, raw.Frames)
			if err != nil {
				continue
			}
			switch m.Header.MsgType {
			case "interrupt_request":
				interrupts <- struct{}{}
			case "shutdown_request":
				os.Exit(0)
			}
		}
	}()
	count := 0
	for {
		raw, err := shell.Recv()
		if err != nil {
			return err
		}
		m, err := decode(key, raw.Frames)
		if err != nil {
			return err
		}
		req, ids := m.Header, m.Identities
		pub := func(msgType string, content any) { send(iopub, nil, req, msgType, content) }
		pub("status", map[string]any{"execution_state": "busy"})
		switch req.MsgType {
		case "kernel_info_request":
			send(shell, ids, req, "kernel_info_reply", map[string]any{"status": "ok", "protocol_version": protocolVersion})
		case "execute_request":
			var c struct{ Code string }
			_ = json.Unmarshal(m.Content, &c)
			count++
			status := "ok"
			word, rest, _ := strings.Cut(c.Code, " ")
			switch word {
			case "print":
				pub("stream", map[string]any{"name": "stdout", "text": rest + "\n"})
				pub("stream", map[string]any{"name": "stdout", "text": rest + "\n"})
			case "display":
				for i, html := range []string{"<p>0%</p>", "<p>50%</p>", "<p>100%</p>"} {
					typ := "update_display_data"
					if i == 0 {
						typ = "display_data"
					}
					pub(typ, map[string]any{"data": map[string]any{"text/html": html}, "metadata": map[string]any{},
						"transient": map[string]any{"display_id": "bar"}})
				}
			case "late":
				go func() {
					time.Sleep(300 * time.Millisecond)
					pub("stream", map[string]any{"name": "stdout", "text": rest + "\n"})
				}()
			case "clear":
				pub("stream", map[string]any{"name": "stdout", "text": "old\n"})
				pub("clear_output", map[string]any{"wait": true})
				pub("stream", map[string]any{"name": "stdout", "text": "new\n"})
			case "fail":
				status = "error"
				pub("error", map[string]any{"ename": "ERROR", "evalue": "exit status 1", "traceback": []string{"exit status 1"}})
			case "sleep":
				<-interrupts
				status = "error"
				pub("error", map[string]any{"ename": "ERROR", "evalue": "signal: interrupt", "traceback": []string{"signal: interrupt"}})
			case "pause":
				ms, _ := strconv.Atoi(rest)
				time.Sleep(time.Duration(ms) * time.Millisecond)
				pub("execute_result", map[string]any{"execution_count": count, "data": map[string]any{"text/plain": "ok"}, "metadata": map[string]any{}})
			case "exit":
				os.Exit(3)
			default:
				pub("execute_result", map[string]any{"execution_count": count, "data": map[string]any{"text/plain": "ok"}, "metadata": map[string]any{}})
			}
			reply := map[string]any{"status": status, "execution_count": count}
			if status == "error" {
				reply["ename"], reply["evalue"], reply["traceback"] = "ERROR", "failed", []string{}
			}
			send(shell, ids, req, "execute_reply", reply)
		}
		pub("status", map[string]any{"execution_state": "idle"})
	}
}

// fakeSpec writes a kernel.json that starts this test binary as the fake kernel.
func fakeSpec(t *testing.T, mode string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "fake")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := KernelSpec{Argv: []string{exe, "-test.run=^$", "{connection_file}"}, DisplayName: "Fake", Language: "go",
		Env: map[string]string{"FAKE_KERNEL": "1", "FAKE_KERNEL_MODE": mode}}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeNotebook writes a notebook of code cells with the given sources.
func writeNotebook(t *testing.T, name string, sources ...string) string {
	t.Helper()
	nb := &Notebook{Cells: []*Cell{{Type: MarkdownCell, Source: "# " + name}}}
	for _, s := range sources {
		nb.Cells = append(nb.Cells, &Cell{Type: CodeCell, Source: s})
	}
	path := filepath.Join(t.TempDir(), name+".ipynb")
	if err := nb.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFakeKernelExecute checks the message flow of Execute against the fake kernel: handshake,
// stream merging, in-place display updates, clear_output, execute_result, errors.
func TestFakeKernelExecute(t *testing.T) {
	spec, err := LoadKernelSpec(fakeSpec(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	k, err := StartKernel(context.Background(), spec, KernelOptions{StartTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	tests := []struct {
		code   string
		want   string // the outputs, summarised by summary()
		failed bool
	}{
		{"print hi", "stream:stdout:hi\nhi\n", false},
		{"display", "display_data:<p>100%</p>", false},
		{"clear", "stream:stdout:new\n", false},
		{"fail", "error:exit status 1", true},
		{"x := 1", "execute_result:ok", false},
	}
	for i, tc := range tests {
		ex, err := k.Execute(context.Background(), tc.code, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", tc.code, err)
		}
		if got := summary(ex.Outputs); got != tc.want || ex.Failed() != tc.failed {
			t.Errorf("%s: outputs %q failed=%v, want %q failed=%v", tc.code, got, ex.Failed(), tc.want, tc.failed)
		}
		if ex.ExecutionCount == nil || *ex.ExecutionCount != i+1 {
			t.Errorf("%s: execution_count %v, want %d", tc.code, ex.ExecutionCount, i+1)
		}
	}
}

// summary renders outputs as "type:detail" lines for comparison.
func summary(outs []*Output) string {
	var parts []string
	for _, o := range outs {
		switch o.Type {
		case StreamOutput:
			parts = append(parts, "stream:"+o.Name+":"+o.Text)
		case ErrorOutput:
			parts = append(parts, "error:"+o.EValue)
		default:
			for _, v := range o.Data {
				parts = append(parts, o.Type+":"+fmt.Sprint(v))
			}
		}
	}
	return strings.Join(parts, "|")
}

// TestFakeKernelRun checks Run end to end without GoNB: the timeout interrupts the cell through
// interrupt_request, the CellError and the written notebook say so, and later cells stay unrun.
func TestFakeKernelRun(t *testing.T) {
	spec := fakeSpec(t, "")
	out := t.TempDir()
	ok := writeNotebook(t, "ok", "print a", "display")
	slow := writeNotebook(t, "slow", "print before", "sleep", "print never")
	var progress strings.Builder
	err := Run(context.Background(), Options{Notebooks: []string{ok, slow}, KernelSpec: spec, OutputDir: out,
		CellTimeout: time.Second, HTML: true, Progress: &progress})
	var ce *CellError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCellTimeout) {
		t.Fatalf("Run error = %v, want a timeout *CellError", err)
	}
	if ce.Notebook != slow || ce.Cell != 2 || ce.Index != 2 || !ce.TimedOut || ce.Message != "cell timed out after 1s and was interrupted" {
		t.Errorf("CellError = %+v", ce)
	}
	wantProgress := []string{"[ok] cell 1/2 ... ok (", "[ok] done: 2 code cells", "[slow] cell 2/3 ... TIMEOUT (", "s): cell timed out after 1s and was interrupted"}
	for _, w := range wantProgress {
		if !strings.Contains(progress.String(), w) {
			t.Errorf("progress %q lacks %q", progress.String(), w)
		}
	}
	nb, err := Read(filepath.Join(out, "slow.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(nb.Cells[2].Outputs); got != "error:signal: interrupt|error:cell timed out after 1s and was interrupted" {
		t.Errorf("timed-out cell outputs %q", got)
	}
	if nb.Cells[3].ExecutionCount != nil {
		t.Errorf("the cell after the timeout ran")
	}
	for _, f := range []string{"ok.ipynb", "ok.html", "slow.ipynb", "slow.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
}

// TestFakeKernelLate checks that a message that comes after its cell's idle status still lands in that
// cell's outputs, whether it comes while a later cell runs or after the last cell.
func TestFakeKernelLate(t *testing.T) {
	out := t.TempDir()
	path := writeNotebook(t, "late", "late first", "print b", "late last")
	if err := Run(context.Background(), Options{Notebooks: []string{path}, KernelSpec: fakeSpec(t, ""), OutputDir: out}); err != nil {
		t.Fatal(err)
	}
	nb, err := Read(filepath.Join(out, "late.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"stream:stdout:first\n", "stream:stdout:b\nb\n", "stream:stdout:last\n"} {
		if got := summary(nb.Cells[i+1].Outputs); got != want {
			t.Errorf("cell %d: outputs %q, want %q", i+1, got, want)
		}
	}
}

// TestFakeKernelDies checks that a kernel exiting mid-cell gives an error naming the cell, and
// the notebook is still written.
func TestFakeKernelDies(t *testing.T) {
	out := t.TempDir()
	path := writeNotebook(t, "dies", "print a", "exit")
	err := Run(context.Background(), Options{Notebooks: []string{path}, KernelSpec: fakeSpec(t, ""), OutputDir: out})
	if !errors.Is(err, ErrKernelDied) || !strings.Contains(err.Error(), "code cell 2") {
		t.Errorf("Run error = %v, want ErrKernelDied naming code cell 2", err)
	}
	if _, err := Read(filepath.Join(out, "dies.ipynb")); err != nil {
		t.Errorf("notebook not written: %v", err)
	}
}

// TestKernelStartFailures checks that start errors say why: a kernel that exits at once, and one
// that never opens its ports.
func TestKernelStartFailures(t *testing.T) {
	exits := &KernelSpec{Name: "sh", Argv: []string{"/bin/sh", "-c", "echo cannot find goimports >&2; exit 3", "{connection_file}"}}
	silent, err := LoadKernelSpec(fakeSpec(t, "silent"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec *KernelSpec
		want []string
	}{
		{"exits", exits, []string{"did not start", "the kernel exited", "exit status 3", "cannot find goimports"}},
		{"silent", silent, []string{"did not start", "did not open within 1s"}},
	}
	for _, tc := range tests {
		if _, err := os.Stat(tc.spec.Argv[0]); err != nil {
			testkit.Skipf(t, "%s: %v", tc.name, err)
		}
		_, err := StartKernel(context.Background(), tc.spec, KernelOptions{StartTimeout: time.Second})
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, w)
			}
		}
	}
}
