package jws

import (
	"crypto/ecdsa"
	"sync"
	"sync/atomic"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// An SM2 verification hashes Z_A || message, where Z_A (GB/T 32918.2 5.5)
// hashes the signer ID, the curve and the public key: the same for every
// signature of a key. The few keys of the issuers, regions and nodes a
// verifier sees are kept here with their Z_A, so that verifying a token
// hashes only the token. Bounded: past zaCacheMax keys, Z_A is computed
// each time.
const zaCacheMax = 4096

// defaultID is the signer ID of GB/T 35276 and GM/T 0009 when none is
// agreed, "1234567812345678" (sm2.CalculateZA takes no ID as an empty one).
var defaultID = []byte("1234567812345678")

var (
	zaCache sync.Map // uncompressed point -> Z_A
	zaCount atomic.Int64
)

// zaOf is Z_A of pub with the default signer ID.
func zaOf(pub *ecdsa.PublicKey) ([]byte, error) {
	var key [64]byte
	pub.X.FillBytes(key[:32])
	pub.Y.FillBytes(key[32:])
	if z, ok := zaCache.Load(key); ok {
		return z.([]byte), nil
	}
	z, err := sm2.CalculateZA(pub, defaultID)
	if err != nil {
		return nil, err
	}
	if zaCount.Load() < zaCacheMax {
		if _, loaded := zaCache.LoadOrStore(key, z); !loaded {
			zaCount.Add(1)
		}
	}
	return z, nil
}

// verifySM2 checks an SM2 signature (DER) over msg with the default signer
// ID, as sm2.VerifyASN1WithSM2 does.
func verifySM2(pub *ecdsa.PublicKey, msg, der []byte) bool {
	z, err := zaOf(pub)
	if err != nil {
		return false
	}
	h := sm3.New()
	h.Write(z)
	h.Write(msg)
	return sm2.VerifyASN1(pub, h.Sum(nil), der)
}
