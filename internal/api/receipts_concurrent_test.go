package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/verify"
)

// Verifications made at the same time are logged together; each receipt
// still names its own entry, with an inclusion proof in the tree that
// entry completes, and each such tree head is one the log's next
// checkpoint extends.
func TestConcurrentReceipts(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	const n = 40
	body := `{"token":"` + ts.Permit.Token + `"}`
	receipts := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequest("POST", ts.URL+"/v1/verify/license", strings.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+ts.CaseSystem)
			req.Header.Set("Content-Type", "application/json")
			resp, err := ts.Client().Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			var ans verifyAnswer
			switch {
			case err != nil:
				errs[i] = err
			case resp.StatusCode != 200:
				errs[i] = fmt.Errorf("%d %s", resp.StatusCode, b)
			case json.Unmarshal(b, &ans) != nil || ans.Receipt == "":
				errs[i] = fmt.Errorf("no receipt in %s", b)
			default:
				receipts[i] = ans.Receipt
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("verification %d: %v", i, err)
		}
	}
	cp, err := ts.Audit.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trust := ts.PKI.Trust()
	seen := map[uint64]bool{}
	for i, r := range receipts {
		rc, err := verify.VerifyReceipt(r, trust)
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		a := rc.Audit
		if a == nil || a.TreeSize != a.Index+1 {
			t.Fatalf("receipt %d: no inclusion proof: %+v", i, a)
		}
		if seen[a.Index] {
			t.Fatalf("two receipts name entry %d", a.Index)
		}
		seen[a.Index] = true
		if err := a.Verify(); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		leaf, err := ts.Audit.Leaf(ctx, a.Index)
		if err != nil || a.Leaf != b64(leaf) {
			t.Fatalf("receipt %d: the leaf is not the log's entry %d (%v)", i, a.Index, err)
		}
		p, err := ts.Audit.ConsistencyProof(ctx, a.TreeSize, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		root, _ := unb64(a.Root)
		if err := audit.VerifyConsistency(a.TreeSize, cp.Size, p, root, cp.Root); err != nil {
			t.Errorf("receipt %d: its tree head is not extended by checkpoint %d: %v", i, cp.Size, err)
		}
	}
	// The issuance, logged in its own transaction, comes with a proof too.
	if a := ts.Permit.Audit; a == nil || a.TreeSize != a.Index+1 || a.Verify() != nil {
		t.Fatalf("the permit's issuance has no valid inclusion proof: %+v", a)
	}
}
