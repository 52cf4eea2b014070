package jupyter

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// KernelSpec is a Jupyter kernel spec (kernel.json): how to start a kernel. Argv contains the
// placeholder "{connection_file}", replaced by the path of the connection file at start.
type KernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode,omitempty"`
	Env           map[string]string `json:"env,omitempty"`

	// Name is the kernel's name: the name of the directory holding kernel.json ("gonb").
	Name string `json:"-"`
}

// LoadKernelSpec reads a kernel spec from path, which is either a kernel.json file or the
// directory holding one (for example <repo>/.jupyter/kernels/gonb).
func LoadKernelSpec(path string) (*KernelSpec, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "kernel.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notebook: kernel spec: %w (run kernel-setup/setup.sh to build and register GoNB)", err)
	}
	var spec KernelSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("notebook: kernel spec %s: %w", path, err)
	}
	if len(spec.Argv) == 0 {
		return nil, fmt.Errorf("notebook: kernel spec %s: argv is empty, want the kernel command line", path)
	}
	if !strings.Contains(strings.Join(spec.Argv, " "), "{connection_file}") {
		return nil, fmt.Errorf("notebook: kernel spec %s: argv %q has no {connection_file} placeholder", path, spec.Argv)
	}
	spec.Name = filepath.Base(filepath.Dir(path))
	return &spec, nil
}

// ConnectionInfo is the content of a Jupyter connection file: where the kernel listens and the
// key that signs messages.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// newConnectionInfo picks five free TCP ports on 127.0.0.1 and a random signing key.
// The ports are free when chosen; another process could take one before the kernel binds it,
// in which case the kernel fails to start and the error says so.
func newConnectionInfo(kernelName string) (*ConnectionInfo, error) {
	var ports [5]int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	// Hold every listener open until all five are chosen so the same port is not picked twice.
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("notebook: finding a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return &ConnectionInfo{
		Transport: "tcp", IP: "127.0.0.1",
		ShellPort: ports[0], IOPubPort: ports[1], StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4],
		Key: newID(), SignatureScheme: "hmac-sha256", KernelName: kernelName,
	}, nil
}

// endpoint returns the ZeroMQ address of a port.
func (c *ConnectionInfo) endpoint(port int) string {
	return fmt.Sprintf("%s://%s:%d", c.Transport, c.IP, port)
}
