package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Execution is what running one code cell produced.
type Execution struct {
	// Outputs in the order the kernel sent them; update_display_data has been applied in place.
	Outputs []*Output
	// ExecutionCount is the kernel's counter for this cell (nil if the kernel gave none).
	ExecutionCount *int
	// Status is the execute_reply status: "ok", "error" or "aborted"; "" when no reply came
	// (timeout).
	Status string
	// EName, EValue and Traceback are the execute_reply error fields when Status is "error".
	EName, EValue string
	Traceback     []string
	// TimedOut is set when the cell ran past its timeout and was interrupted.
	TimedOut bool
	// Duration is the wall time from request to idle.
	Duration time.Duration
}

// Failed reports whether the cell failed: an error reply, an error output, or a timeout.
func (e *Execution) Failed() bool {
	if e.TimedOut || e.Status == "error" || e.Status == "aborted" {
		return true
	}
	for _, o := range e.Outputs {
		if o.Type == ErrorOutput {
			return true
		}
	}
	return false
}

// ErrKernelDied is returned (wrapped) by Execute when the kernel process exits mid-cell.
var ErrKernelDied = errors.New("kernel process exited")

// interruptGrace is how long Execute waits for the kernel to go idle after an interrupt before
// escalating to SIGINT, and again before giving up.
var interruptGrace = 10 * time.Second

// Execute runs code as one cell (execute_request with silent=false, store_history=true) and
// collects its iopub messages until the kernel reports idle and the execute_reply has arrived.
// Messages of the cell that come later are applied to its Execution while later cells run, and by
// Settle (see lateQuiet).
//
// With timeout > 0, on expiry it sends interrupt_request on control, then SIGINT if the kernel
// is still busy after a grace period, and returns the partial Execution with TimedOut set and
// a final error output saying so. The error return is only for transport failures: a kernel
// that died, a cancelled ctx; a failing cell is reported through the Execution.
func (k *Kernel) Execute(ctx context.Context, code string, timeout time.Duration) (*Execution, error) {
	start := time.Now()
	req, err := newMessage(k.session, "execute_request", map[string]any{
		"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
	})
	if err != nil {
		return nil, err
	}
	if err := k.send(k.shell, req); err != nil {
		return nil, err
	}
	ex := &Execution{}
	c := collector{ex: ex, displays: k.displays, parent: req.Header.MsgID}
	var idle, replied bool

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	escalation := 0 // 0: none yet; 1: interrupt_request sent; 2: SIGINT sent
	for !(idle && replied) {
		select {
		case m := <-k.iopubIn:
			if m.ParentHeader.MsgID != req.Header.MsgID {
				k.takeLate(m) // a late message of an earlier cell, or a handshake status
				continue
			}
			if m.Header.MsgType == "status" {
				var st struct {
					ExecutionState string `json:"execution_state"`
				}
				if json.Unmarshal(m.Content, &st) == nil && st.ExecutionState == "idle" {
					idle = true
				}
				continue
			}
			c.add(m)
		case m := <-k.shellIn:
			if m.ParentHeader.MsgID != req.Header.MsgID || m.Header.MsgType != "execute_reply" {
				continue
			}
			var reply struct {
				Status         string   `json:"status"`
				ExecutionCount *int     `json:"execution_count"`
				EName          string   `json:"ename"`
				EValue         string   `json:"evalue"`
				Traceback      []string `json:"traceback"`
			}
			if err := json.Unmarshal(m.Content, &reply); err != nil {
				return ex, fmt.Errorf("notebook: decoding execute_reply: %w", err)
			}
			replied = true
			ex.Status, ex.ExecutionCount = reply.Status, reply.ExecutionCount
			ex.EName, ex.EValue, ex.Traceback = reply.EName, reply.EValue, reply.Traceback
		case <-expired:
			escalation++
			switch escalation {
			case 1:
				ex.TimedOut = true
				_ = k.Interrupt()
			case 2:
				_ = k.Signal()
			default:
				c.timeout(timeout)
				ex.Duration = time.Since(start)
				return ex, nil
			}
			expired = time.After(interruptGrace)
		case <-k.exited:
			ex.Duration = time.Since(start)
			return ex, fmt.Errorf("notebook: %w during the cell (status %v); kernel log:\n%s", ErrKernelDied, k.waitErr, k.Logs())
		case <-ctx.Done():
			_ = k.Interrupt()
			ex.Duration = time.Since(start)
			return ex, ctx.Err()
		}
	}
	if ex.TimedOut {
		k.settle(&c) // its last output is the timeout's, after whatever else came
		c.timeout(timeout)
	} else {
		k.late[req.Header.MsgID] = &c
	}
	ex.Duration = time.Since(start)
	return ex, nil
}

// lateQuiet and lateMax bound how long Settle listens for late messages. A cell program that ends with
// gonbui.Sync (as pkg/nb and pkg/support/progress do) has had all its displays published before it exits,
// so before idle. One that does not may have displays still in GoNB's pipe when it exits: GoNB v0.11.5 then
// forwards them late, on a busy machine after idle, or drops them. Execute does not wait for them: they
// are applied to their cell whenever they come while later cells run (takeLate), and Settle, after the last
// cell, waits until none has come for lateQuiet (at most lateMax). A message that comes later still is
// lost, as in a front end that has moved on.
var lateQuiet, lateMax = 500 * time.Millisecond, 3 * time.Second

// takeLate applies m to the earlier cell of this kernel it belongs to, if any.
func (k *Kernel) takeLate(m *Message) {
	if c, ok := k.late[m.ParentHeader.MsgID]; ok && m.Header.MsgType != "status" {
		c.add(m)
	}
}

// Settle waits for the late messages of the cells run so far and applies them to their Executions
// (see lateQuiet). Call it after the last cell, before reading the Executions' outputs.
func (k *Kernel) Settle() {
	if len(k.late) > 0 {
		k.settle(nil)
	}
	clear(k.late)
}

// settle applies the messages that arrive until none has come for lateQuiet (at most lateMax): those of
// the cell that c collects (nil: none) and the late ones of earlier cells.
func (k *Kernel) settle(c *collector) {
	deadline := time.After(lateMax)
	quiet := time.NewTimer(lateQuiet)
	defer quiet.Stop()
	for {
		select {
		case m := <-k.iopubIn:
			switch {
			case m.Header.MsgType == "status":
				continue
			case c != nil && m.ParentHeader.MsgID == c.parent:
				c.add(m)
			default:
				k.takeLate(m)
			}
			quiet.Reset(lateQuiet)
		case <-quiet.C:
			return
		case <-deadline:
			return
		case <-k.exited:
			return
		}
	}
}

// collector turns iopub messages into nbformat outputs, as a Jupyter front end does.
type collector struct {
	ex       *Execution
	parent   string // the execute_request's msg_id, which the cell's messages name as their parent
	displays map[string][]*Output
	// clearPending is set by clear_output(wait=true): clear just before the next output.
	clearPending bool
}

// mimeContent is the content of display_data, update_display_data and execute_result.
type mimeContent struct {
	Data           map[string]any `json:"data"`
	Metadata       map[string]any `json:"metadata"`
	ExecutionCount *int           `json:"execution_count"`
	Transient      struct {
		DisplayID string `json:"display_id"`
	} `json:"transient"`
}

// add applies one iopub message.
func (c *collector) add(m *Message) {
	switch m.Header.MsgType {
	case "stream":
		var s struct{ Name, Text string }
		if json.Unmarshal(m.Content, &s) != nil {
			return
		}
		c.flushClear()
		// Consecutive writes to the same stream become one output, as JupyterLab shows them.
		if n := len(c.ex.Outputs); n > 0 {
			if last := c.ex.Outputs[n-1]; last.Type == StreamOutput && last.Name == s.Name {
				last.Text += s.Text
				return
			}
		}
		c.ex.Outputs = append(c.ex.Outputs, &Output{Type: StreamOutput, Name: s.Name, Text: s.Text})
	case "display_data", "execute_result":
		var d mimeContent
		if json.Unmarshal(m.Content, &d) != nil {
			return
		}
		c.flushClear()
		o := &Output{Type: m.Header.MsgType, Data: d.Data, Metadata: d.Metadata}
		if o.Type == ExecuteResultOutput {
			o.ExecutionCount = d.ExecutionCount
		}
		c.ex.Outputs = append(c.ex.Outputs, o)
		if id := d.Transient.DisplayID; id != "" {
			c.displays[id] = append(c.displays[id], o)
		}
	case "update_display_data":
		var d mimeContent
		if json.Unmarshal(m.Content, &d) != nil {
			return
		}
		// Every output showing this display_id takes the new data; an id never displayed is
		// ignored, as in JupyterLab.
		for _, o := range c.displays[d.Transient.DisplayID] {
			o.Data, o.Metadata = d.Data, d.Metadata
		}
	case "error":
		var e struct {
			EName     string   `json:"ename"`
			EValue    string   `json:"evalue"`
			Traceback []string `json:"traceback"`
		}
		if json.Unmarshal(m.Content, &e) != nil {
			return
		}
		c.flushClear()
		c.ex.Outputs = append(c.ex.Outputs, &Output{Type: ErrorOutput, EName: e.EName, EValue: e.EValue, Traceback: e.Traceback})
	case "clear_output":
		var cl struct {
			Wait bool `json:"wait"`
		}
		_ = json.Unmarshal(m.Content, &cl)
		if cl.Wait {
			c.clearPending = true
		} else {
			c.clear()
		}
	}
}

func (c *collector) flushClear() {
	if c.clearPending {
		c.clearPending = false
		c.clear()
	}
}

// clear drops the cell's outputs (and their display ids, which no longer show anywhere here).
func (c *collector) clear() {
	for id, outs := range c.displays {
		kept := outs[:0]
		for _, o := range outs {
			if !c.owns(o) {
				kept = append(kept, o)
			}
		}
		c.displays[id] = kept
	}
	c.ex.Outputs = nil
}

func (c *collector) owns(o *Output) bool {
	for _, x := range c.ex.Outputs {
		if x == o {
			return true
		}
	}
	return false
}

// timeout records the timeout as the cell's final error output.
func (c *collector) timeout(d time.Duration) {
	msg := fmt.Sprintf("cell timed out after %v and was interrupted", d)
	c.ex.Outputs = append(c.ex.Outputs, &Output{Type: ErrorOutput, EName: "Timeout", EValue: msg, Traceback: []string{msg}})
}
