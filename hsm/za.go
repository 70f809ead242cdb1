package hsm

import (
	"bytes"
	"crypto/ecdsa"
	"sync"
	"sync/atomic"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// An SM2 signature (made or checked) hashes Z_A || message, where Z_A
// (GB/T 32918.2 5.5) hashes the signer ID, the curve and the public key:
// the same for every signature of a key with the default ID. The few keys
// a node signs with, and those of the issuers, regions and nodes it
// verifies, are kept here with that Z_A, so that a signature hashes only
// its message. Bounded: past zaCacheMax keys, Z_A is computed each time.
const zaCacheMax = 4096

var (
	zaCache sync.Map // uncompressed point -> Z_A
	zaCount atomic.Int64
)

// SM2ZA is Z_A of pub with signer ID uid (nil or empty: the default ID,
// "1234567812345678").
func SM2ZA(pub *ecdsa.PublicKey, uid []byte) ([]byte, error) {
	if len(uid) != 0 && !bytes.Equal(uid, DefaultSM2UID) {
		return sm2.CalculateZA(pub, uid)
	}
	var key [64]byte
	pub.X.FillBytes(key[:32])
	pub.Y.FillBytes(key[32:])
	if z, ok := zaCache.Load(key); ok {
		return z.([]byte), nil
	}
	z, err := sm2.CalculateZA(pub, DefaultSM2UID)
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

// VerifySM2 checks an SM2 signature (DER) over msg with the default signer
// ID, as sm2.VerifyASN1WithSM2 does, with Z_A from the cache.
func VerifySM2(pub *ecdsa.PublicKey, msg, der []byte) bool {
	z, err := SM2ZA(pub, nil)
	if err != nil {
		return false
	}
	h := sm3.New()
	h.Write(z)
	h.Write(msg)
	return sm2.VerifyASN1(pub, h.Sum(nil), der)
}
