// Command benchtable reads `go test -bench` output on stdin, passes it
// through, and prints a table of ratios between each benchmark and its
// baseline from the same run. `make bench` uses it.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// A pair compares one benchmark with its baseline.
//
//	speed: throughput ratio baseline_ns / ours_ns, higher is better, goal is a floor
//	cost:  time ratio ours_ns / baseline_ns, lower is better, goal is a ceiling
type pair struct {
	label      string
	ours, base string // full benchmark names without the -GOMAXPROCS suffix
	kind       string
	goal       float64
}

var pairs = []pair{
	{"soft keystore SM2 sign vs raw gmsm SM2 sign", "BenchmarkSoftSign/ours", "BenchmarkSoftSign/raw-gmsm", "speed", 0.95},
	{"pooled PKCS#11 vs bare miekg, SoftHSM2 P-256, 1 goroutine", "BenchmarkPKCS11SoftHSM/ours-g1", "BenchmarkPKCS11SoftHSM/bare-g1", "speed", 0.9},
	{"pooled PKCS#11 vs bare miekg, SoftHSM2 P-256, 2 goroutines", "BenchmarkPKCS11SoftHSM/ours-g2", "BenchmarkPKCS11SoftHSM/bare-g2", "speed", 0.9},
	{"pooled PKCS#11 vs bare miekg, SM2 test token, 1 goroutine", "BenchmarkPKCS11SM2Token/ours-g1", "BenchmarkPKCS11SM2Token/bare-g1", "speed", 0.9},
	{"pooled PKCS#11 vs bare miekg, SM2 test token, 2 goroutines", "BenchmarkPKCS11SM2Token/ours-g2", "BenchmarkPKCS11SM2Token/bare-g2", "speed", 0.9},
	{"stamp 1-page 3 KB PDF (visible, with GB/T 38540 seal) vs SM3 of file + raw SM2 sign", "BenchmarkStampOnePage/ours", "BenchmarkStampOnePage/raw-sm3-sm2", "cost", 1.3},
	{"stamp 1-page 3 KB PDF (invisible, no seal data) vs SM3 of file + raw SM2 sign", "BenchmarkStampOnePage/ours-invisible", "BenchmarkStampOnePage/raw-sm3-sm2", "cost", 1.3},
	{"stamp 1-page 47 KB approval document (visible, with seal) vs SM3 of file + raw SM2 sign", "BenchmarkStampOnePage/approval/ours", "BenchmarkStampOnePage/approval/raw-sm3-sm2", "cost", 1.3},
	{"stamp 10 MB PDF vs read + SM3 once", "BenchmarkLarge/10MB/stamp", "BenchmarkLarge/10MB/read-sm3", "cost", 1.5},
	{"verify 10 MB PDF vs read + SM3 once", "BenchmarkLarge/10MB/verify", "BenchmarkLarge/10MB/read-sm3", "cost", 1.5},
	{"stamp 100 MB PDF vs read + SM3 once", "BenchmarkLarge/100MB/stamp", "BenchmarkLarge/100MB/read-sm3", "cost", 1.5},
	{"verify 100 MB PDF vs read + SM3 once", "BenchmarkLarge/100MB/verify", "BenchmarkLarge/100MB/read-sm3", "cost", 1.5},
	{"issue a license without PDF (sign + durable store, SQLite) vs raw SM2 sign", "BenchmarkIssue/ours-sqlite", "BenchmarkIssue/raw-sm2-sign", "speed", 0.7},
	{"issue a license without PDF (16 at once, PostgreSQL) vs raw SM2 sign", "BenchmarkIssue/ours-postgres-16", "BenchmarkIssue/raw-sm2-sign", "speed", 0.7},
	{"verify a license token (JWS + data) vs raw SM2 verify", "BenchmarkVerifyToken/ours", "BenchmarkVerifyToken/raw-sm2-verify", "speed", 0.8},
	{"CMS SM2 sign vs raw gmsm SM2 sign", "BenchmarkSignSM2/ours", "BenchmarkSignSM2/raw-gmsm", "cost", 2},
	{"CMS SM2 verify vs raw gmsm SM2 verify", "BenchmarkVerifySM2/ours", "BenchmarkVerifySM2/raw-gmsm", "cost", 2},
	{"license verification by token through the API vs raw SM2 verify (2 cores)", "BenchmarkAPIVerifyToken/ours", "BenchmarkAPIVerifyToken/raw-sm2-verify", "speed", 0.6},
	{"license verification by token through the API vs raw SM2 verify + SM2 sign (2 cores)", "BenchmarkAPIVerifyToken/ours", "BenchmarkAPIVerifyToken/raw-sm2-verify-and-sign", "speed", 0.6},
	{"signed status answer through the API vs raw SM2 sign (2 cores)", "BenchmarkAPIStatus/ours", "BenchmarkAPIStatus/raw-sm2-sign", "speed", 0.6},
}

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$`)

func main() {
	ns := map[string][]float64{}
	extra := map[string]string{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fmt.Println(sc.Text())
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			ns[m[1]] = append(ns[m[1]], v)
			extra[m[1]] = strings.TrimSpace(m[3])
		}
	}
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "COMPARISON\tOURS ns/op\tBASELINE ns/op\tRATIO\tGOAL\tMET")
	failed := 0
	for _, p := range pairs {
		o, b := median(ns[p.ours]), median(ns[p.base])
		if o == 0 || b == 0 {
			fmt.Fprintf(w, "%s\t-\t-\tnot run\t\t\n", p.label)
			continue
		}
		var ratio float64
		var goal, met string
		if p.kind == "speed" {
			ratio = b / o
			goal = fmt.Sprintf(">= %.2f", p.goal)
			met = yes(ratio >= p.goal)
		} else {
			ratio = o / b
			goal = fmt.Sprintf("<= %.2f", p.goal)
			met = yes(ratio <= p.goal)
		}
		if met == "no" {
			failed++
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.0f\t%.2f\t%s\t%s\n", p.label, o, b, ratio, goal, met)
	}
	w.Flush()
	var names []string
	for name, e := range extra {
		if strings.Contains(e, "peak-heap-MB") || strings.Contains(e, "docs/s") || strings.Contains(e, "p50-ms") || strings.Contains(e, "p99-ms") ||
			strings.Contains(e, "answers/s") || strings.Contains(e, "licenses/s") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Println("\nother figures:")
	}
	for _, name := range names {
		fmt.Printf("  %s: %s\n", name, extra[name])
	}
	if failed > 0 {
		fmt.Printf("\n%d comparison(s) missed their goal\n", failed)
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
