// Package testtoken holds the SM2 PKCS#11 test token: a small PKCS#11 v2.40
// module written in C on OpenSSL 3's libcrypto (the *.c files here) that
// implements the IBM openCryptoki SM2 profile (CKK_IBM_SM2, CKM_IBM_SM2,
// CKM_IBM_SM2_SM3), so that the PKCS#11 code can be tested for SM2 exactly as
// it would drive a vendor HSM. internal/testenv builds it for tests
// (SM2TokenModule). It is test infrastructure and never a default; the Go
// files of this package are only its tests. See README.md.
package testtoken
