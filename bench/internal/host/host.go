// Package host describes the machine a benchmark ran on, for the reports
// of the load generators in bench/.
package host

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

var (
	modelName = regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`)
	memTotal  = regexp.MustCompile(`(?m)^MemTotal:\s*(\d+) kB`)
)

// Lines returns the Markdown list items every report starts its machine
// section with: CPU and cores, memory and kernel, the Go version the load
// generator was built with.
func Lines() string {
	cpu := "unknown"
	if f, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := modelName.FindSubmatch(f); m != nil {
			cpu = string(m[1])
		}
	}
	mem := "unknown"
	if f, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := memTotal.FindSubmatch(f); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			mem = fmt.Sprintf("%.1f GiB", float64(kb)/1024/1024)
		}
	}
	kernel, _ := exec.Command("uname", "-sr").Output()
	return fmt.Sprintf("- CPU: %s, %d logical cores visible to Go\n- memory: %s; kernel: %s\n- load generator built with %s\n",
		cpu, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), runtime.Version())
}
